//! The one answer to "which stage is this alliance in at block `now`?".
//!
//! Every call's check (`rounds.rs`), the `on_initialize` hook, the due-block queue, the
//! off-chain worker and the lifetime of a worker's transaction ask this file's [`Staged`]
//! implementation for [`Alliance`]; none of them compares window ends itself.
//!
//! A round's windows are set when its roles are drawn (`start_round`), which can wait for
//! randomness; until then the record still holds the previous round's windows, all in the
//! past, so the round reads as [`Stage::Closing`] and every worker call is refused as late.
//! `on_initialize` tells a round waiting for its draw by its missing roles.

use crate::types::{Alliance, Phase};
use sp_runtime::traits::Saturating;
pub use starling_support::stage::Staged;

/// Where an alliance is at a block, in lifecycle order (`Ord` follows it).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Stage {
    /// FL participants join (until `join_end`).
    Joining,
    /// The join window has closed; `on_initialize` starts the first round (or cancels).
    Starting,
    /// Proposers commit sealed updates (from the draw until `commit_end`).
    Propose,
    /// Proposers reveal their updates (until `reveal_end`).
    RevealUpdates,
    /// Voters commit sealed ballots (until `vote_end`).
    Vote,
    /// Voters reveal their ballots (until `ballot_end`).
    RevealBallots,
    /// The ballot reveals have closed; `on_initialize` closes the round.
    Closing,
    /// Finished or cancelled.
    Ended,
}

impl<AccountId, Balance, BlockNumber: PartialOrd + Copy + Saturating> Staged<BlockNumber>
    for Alliance<AccountId, Balance, BlockNumber>
{
    type Stage = Stage;

    /// The alliance's stage at block `now`.
    fn stage_at(&self, now: BlockNumber) -> Stage {
        match self.phase {
            Phase::Finished | Phase::Cancelled => Stage::Ended,
            Phase::Joining if now < self.join_end => Stage::Joining,
            Phase::Joining => Stage::Starting,
            Phase::Round if now < self.commit_end => Stage::Propose,
            Phase::Round if now < self.reveal_end => Stage::RevealUpdates,
            Phase::Round if now < self.vote_end => Stage::Vote,
            Phase::Round if now < self.ballot_end => Stage::RevealBallots,
            Phase::Round => Stage::Closing,
        }
    }

    /// The blocks `[opens, closes)` of a stage in which someone acts; `None` for the stages
    /// that only wait for `on_initialize`, and for an ended alliance.
    fn window(&self, stage: Stage) -> Option<(BlockNumber, BlockNumber)> {
        match stage {
            Stage::Joining => {
                Some((self.join_end.saturating_sub(self.spec.join_window), self.join_end))
            },
            Stage::Propose => Some((self.round_start(), self.commit_end)),
            Stage::RevealUpdates => Some((self.commit_end, self.reveal_end)),
            Stage::Vote => Some((self.reveal_end, self.vote_end)),
            Stage::RevealBallots => Some((self.vote_end, self.ballot_end)),
            Stage::Starting | Stage::Closing | Stage::Ended => None,
        }
    }
}

impl<AccountId, Balance, BlockNumber: PartialOrd + Copy + Saturating>
    Alliance<AccountId, Balance, BlockNumber>
{
    /// The block the running round's roles were drawn at (the start of its propose window);
    /// what its slashes are dated at.
    pub fn round_start(&self) -> BlockNumber {
        self.commit_end.saturating_sub(self.spec.propose_window)
    }

    /// The block at which `on_initialize` next has something to do: the end of the join
    /// window, or of the running round's ballot reveals (a round whose roles are not drawn yet
    /// has a ballot end in the past, so it is looked at in the next block); `None` once it has
    /// ended. What `DueAlliances` queues.
    pub fn next_due(&self) -> Option<BlockNumber> {
        match self.phase {
            Phase::Joining => Some(self.join_end),
            Phase::Round => Some(self.ballot_end),
            Phase::Finished | Phase::Cancelled => None,
        }
    }
}
