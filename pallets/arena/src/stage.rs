//! The one answer to "which stage is this task in at block `now`?".
//!
//! Every call's check (`lifecycle.rs`), the `on_initialize` hook that records phase changes,
//! the due-block queue, the off-chain worker's `act` and the lifetime of a worker's transaction
//! ask this file's [`Staged`] implementation for [`Task`]; none of them compares window ends itself.
//!
//! The stage follows the block number, with one exception: the committee is drawn in
//! `on_initialize` when the reveals close, and a draw can wait (for randomness, or for the
//! block's budget of heavy transitions). Until the stored phase says the committee exists, a
//! task past its reveal window is [`Stage::Drawing`], and nobody can score it.

use crate::types::{Phase, Task};
pub use starling_support::stage::Staged;

/// Where a task is at a block, in lifecycle order (`Ord` follows it).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Stage {
    /// Trainers commit sealed models (from creation until `submission_end`).
    Submission,
    /// Trainers reveal their models and the creator publishes the evaluation data (until
    /// `reveal_end`).
    Reveal,
    /// The reveals have closed and the committee is not drawn yet (`on_initialize` draws it).
    Drawing,
    /// The committee commits its scores (until `scoring_end`).
    Scoring,
    /// The committee reveals its scores (until `score_reveal_end`).
    ScoreReveal,
    /// The score reveals have closed; `on_initialize` finalises the task.
    Finalising,
    /// Finalised or cancelled.
    Ended,
}

impl<AccountId, Balance, BlockNumber: PartialOrd + Copy> Staged<BlockNumber>
    for Task<AccountId, Balance, BlockNumber>
{
    type Stage = Stage;

    /// The task's stage at block `now`.
    fn stage_at(&self, now: BlockNumber) -> Stage {
        match self.phase {
            Phase::Finalised | Phase::Cancelled(_) => Stage::Ended,
            _ if now < self.submission_end => Stage::Submission,
            _ if now < self.reveal_end => Stage::Reveal,
            Phase::Submission | Phase::Reveal => Stage::Drawing,
            _ if now < self.scoring_end => Stage::Scoring,
            _ if now < self.score_reveal_end => Stage::ScoreReveal,
            _ => Stage::Finalising,
        }
    }

    /// The blocks `[opens, closes)` of a stage in which someone acts; `None` for the stages
    /// that only wait for `on_initialize`, and for an ended task.
    fn window(&self, stage: Stage) -> Option<(BlockNumber, BlockNumber)> {
        match stage {
            Stage::Submission => Some((self.created_at, self.submission_end)),
            Stage::Reveal => Some((self.submission_end, self.reveal_end)),
            Stage::Scoring => Some((self.reveal_end, self.scoring_end)),
            Stage::ScoreReveal => Some((self.scoring_end, self.score_reveal_end)),
            Stage::Drawing | Stage::Finalising | Stage::Ended => None,
        }
    }
}

impl<AccountId, Balance, BlockNumber: PartialOrd + Copy> Task<AccountId, Balance, BlockNumber> {
    /// The stage the stored phase records (what `on_initialize` last moved it to).
    pub fn recorded_stage(&self) -> Stage {
        match self.phase {
            Phase::Submission => Stage::Submission,
            Phase::Reveal => Stage::Reveal,
            Phase::Scoring => Stage::Scoring,
            Phase::ScoreReveal => Stage::ScoreReveal,
            Phase::Finalised | Phase::Cancelled(_) => Stage::Ended,
        }
    }

    /// The block at which `on_initialize` next has something to record: the end of the
    /// recorded stage's window; `None` once the task has ended. What `DueTasks` queues.
    pub fn next_due(&self) -> Option<BlockNumber> {
        self.window(self.recorded_stage()).map(|(_, closes)| closes)
    }
}
