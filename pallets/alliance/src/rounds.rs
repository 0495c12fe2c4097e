//! An alliance's lifecycle: creation, joining, rounds (roles, sealed updates, votes), round
//! close (tally, aggregation, rewards, slashes, history) and the end.

use crate::{
    aggregation::{self, Update},
    pallet::*,
    stage::{Stage, Staged},
    tally::{self, VoterBallots},
    types::*,
    worker::{BallotCommitment, BallotReveal, UpdateCommitment, UpdateReveal},
    WeightInfo,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
    defensive, ensure,
    pallet_prelude::*,
    traits::{
        fungible::{Inspect, Mutate, MutateHold},
        tokens::{Fortitude, Precision, Preservation, Restriction},
        Defensive, Randomness,
    },
    BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
    traits::{AccountIdConversion, AtLeast32BitUnsigned, SaturatedConversion, Saturating, Zero},
    DispatchError, DispatchResult,
};
use starling_ml_interface::{ModelFamily, Schema};
use starling_primitives::{
    arith::weighted_draw,
    models::{ModelData, ModelRegistry, ModelSource, ModelSpec, ProducedModel},
    staking::StakingInterface,
    Role, SlashReason,
};
use starling_support::settlement::{self, Applied, Payment, Settled, Settlement, Slash};
use starling_support::{commit_reveal::opens, due};

/// Most rounds closed (or alliances started) per block.
pub const MAX_TRANSITIONS_PER_BLOCK: u32 = 2;

/// Number of parameters of `family` on `schema`, if they fit together.
pub fn param_count(family: ModelFamily, schema: Schema) -> Option<u32> {
    family.param_count(schema)
}

impl<T: Config> Pallet<T> {
    /// The account through which every round's reward moves: out of the creator's hold (by
    /// force) into this account, then from it into the participants' staking pools. It keeps
    /// the existential deposit for good (minted at genesis) and nothing else between payments.
    pub fn payout_account() -> T::AccountId {
        T::PalletId::get().into_account_truncating()
    }

    /// Mints the existential deposit into the payout account if it holds less: at genesis,
    /// and before a round's payments on a chain whose genesis did not (a raw chain spec made
    /// before the account existed), once.
    pub(crate) fn ensure_payout_account() {
        let payout = Self::payout_account();
        let minimum = T::Currency::minimum_balance();
        let balance = T::Currency::balance(&payout);
        if balance < minimum {
            if let Err(error) = T::Currency::mint_into(&payout, minimum.saturating_sub(balance)) {
                defensive!(error, "the alliance payout account could not be created");
            }
        }
    }

    fn running(alliance: AllianceId) -> Result<AllianceOf<T>, DispatchError> {
        let record = Alliances::<T>::get(alliance).ok_or(Error::<T>::AllianceNotFound)?;
        ensure!(matches!(record.phase, Phase::Joining | Phase::Round), Error::<T>::AllianceEnded);
        Ok(record)
    }

    fn now() -> BlockNumberFor<T> {
        frame_system::Pallet::<T>::block_number()
    }

    pub(crate) fn do_create(
        creator: T::AccountId,
        spec: AllianceSpec<BlockNumberFor<T>>,
        reward: BalanceOf<T>,
    ) -> Result<AllianceId, DispatchError> {
        let params = Parameters::<T>::get();
        let count =
            param_count(spec.family, spec.schema).ok_or(Error::<T>::FamilyDoesNotFitSchema)?;
        ensure!(spec.initial_model.len() as u32 == count, Error::<T>::WrongParameterCount);
        ensure!(spec.rounds >= 1 && spec.rounds <= MAX_ROUNDS, Error::<T>::InvalidRounds);
        ensure!(
            spec.min_participants >= 2
                && spec.min_participants <= spec.max_participants
                && spec.max_participants <= MAX_PARTICIPANTS,
            Error::<T>::InvalidParticipantBounds
        );
        ensure!(!spec.proposer_fraction.is_zero(), Error::<T>::InvalidProposerFraction);
        let in_bounds = |w: BlockNumberFor<T>| w >= params.min_window && w <= params.max_window;
        ensure!(
            in_bounds(spec.join_window)
                && in_bounds(spec.propose_window)
                && in_bounds(spec.vote_window),
            Error::<T>::WindowOutOfBounds
        );
        // A round binds its participants' stake from the draw to its close; staking can keep
        // a slash dated at the draw within reach for so long only.
        ensure!(
            round_length(&spec, &params) <= T::Staking::max_engagement(),
            Error::<T>::RoundTooLong
        );
        ensure!(reward >= params.min_reward, Error::<T>::RewardTooLow);

        let id = NextAllianceId::<T>::get();
        let next = id.checked_add(1).ok_or(Error::<T>::AllianceIdsExhausted)?;
        ActiveAlliances::<T>::try_mutate(|active| active.try_push(id))
            .map_err(|_| Error::<T>::TooManyAlliances)?;
        T::Currency::hold(&HoldReason::RewardPool.into(), &creator, reward)
            .map_err(|_| Error::<T>::InsufficientFunds)?;
        let join_end = Self::now().saturating_add(spec.join_window);
        let global = spec.initial_model.clone();
        Alliances::<T>::insert(
            id,
            Alliance {
                creator: creator.clone(),
                spec,
                pool: reward,
                emission: Zero::zero(),
                phase: Phase::Joining,
                members: BoundedVec::new(),
                round: 0,
                global,
                join_end,
                commit_end: join_end,
                reveal_end: join_end,
                vote_end: join_end,
                ballot_end: join_end,
            },
        );
        NextAllianceId::<T>::put(next);
        Self::schedule(id, join_end);
        Self::deposit_event(Event::AllianceCreated {
            alliance: id,
            creator,
            pool: reward,
            join_end,
        });
        Ok(id)
    }

    pub(crate) fn do_join(who: &T::AccountId, alliance: AllianceId) -> DispatchResult {
        let mut record = Self::running(alliance)?;
        ensure!(record.stage_at(Self::now()) == Stage::Joining, Error::<T>::JoinWindowClosed);
        ensure!(T::Staking::is_active(who, Role::FlParticipant), Error::<T>::NotAnFlParticipant);
        ensure!(!record.members.contains(who), Error::<T>::AlreadyMember);
        ensure!(
            (record.members.len() as u32) < record.spec.max_participants,
            Error::<T>::AllianceFull
        );
        record.members.try_push(who.clone()).map_err(|_| Error::<T>::AllianceFull)?;
        Alliances::<T>::insert(alliance, record);
        Self::deposit_event(Event::Joined { alliance, participant: who.clone() });
        Ok(())
    }

    pub(crate) fn do_leave(who: &T::AccountId, alliance: AllianceId) -> DispatchResult {
        let mut record = Self::running(alliance)?;
        ensure!(record.members.contains(who), Error::<T>::NotAMember);
        if let Some(roles) = Roles::<T>::get(alliance) {
            let drawn = roles.proposers.iter().chain(roles.voters.iter()).any(|(a, _)| a == who);
            ensure!(!drawn, Error::<T>::InRound);
        }
        record.members.retain(|m| m != who);
        Alliances::<T>::insert(alliance, record);
        Self::deposit_event(Event::Left { alliance, participant: who.clone() });
        Ok(())
    }

    pub(crate) fn do_set_params(params: AllianceParamsOf<T>) -> DispatchResult {
        ensure!(
            !params.reveal_window.is_zero()
                && !params.min_window.is_zero()
                && params.min_window <= params.max_window,
            Error::<T>::InvalidParams
        );
        Parameters::<T>::put(params);
        Self::deposit_event(Event::ParamsSet { params });
        Ok(())
    }

    // ----- worker calls -----

    /// The running alliance of a worker payload, in the payload's round.
    fn in_round(alliance: AllianceId, round: u32) -> Result<AllianceOf<T>, DispatchError> {
        let record = Self::running(alliance)?;
        ensure!(record.phase == Phase::Round && record.round == round, Error::<T>::WrongRound);
        Ok(record)
    }

    /// Whether the alliance is in `wanted` at this block (`stage.rs`): `early` before it,
    /// `late` after it.
    fn ensure_stage(
        record: &AllianceOf<T>,
        wanted: Stage,
        early: Error<T>,
        late: Error<T>,
    ) -> DispatchResult {
        record.expect_stage(Self::now(), wanted, early, late).map_err(Into::into)
    }

    fn weight_in(list: &[(T::AccountId, u128)], who: &T::AccountId) -> Option<u128> {
        list.iter().find(|(a, _)| a == who).map(|(_, w)| *w)
    }

    pub(crate) fn check_commit_update(
        proposer: &T::AccountId,
        payload: &UpdateCommitment<T::Public>,
    ) -> DispatchResult {
        let record = Self::in_round(payload.alliance, payload.round)?;
        Self::ensure_stage(
            &record,
            Stage::Propose,
            Error::<T>::CommitWindowClosed,
            Error::<T>::CommitWindowClosed,
        )?;
        let roles = Roles::<T>::get(payload.alliance).ok_or(Error::<T>::CommitWindowClosed)?;
        ensure!(Self::weight_in(&roles.proposers, proposer).is_some(), Error::<T>::NotAProposer);
        ensure!(
            !Updates::<T>::contains_key(payload.alliance, proposer),
            Error::<T>::DuplicateUpdate
        );
        Ok(())
    }

    pub(crate) fn do_commit_update(
        proposer: &T::AccountId,
        payload: &UpdateCommitment<T::Public>,
    ) -> DispatchResult {
        Self::check_commit_update(proposer, payload)?;
        Updates::<T>::insert(
            payload.alliance,
            proposer,
            UpdateRecord { commitment: payload.commitment, params: None, samples: 0 },
        );
        Self::deposit_event(Event::UpdateCommitted {
            alliance: payload.alliance,
            round: payload.round,
            proposer: proposer.clone(),
        });
        Ok(())
    }

    pub(crate) fn check_reveal_update(
        proposer: &T::AccountId,
        payload: &UpdateReveal<T::Public>,
    ) -> DispatchResult {
        let record = Self::in_round(payload.alliance, payload.round)?;
        Self::ensure_stage(
            &record,
            Stage::RevealUpdates,
            Error::<T>::RevealNotOpen,
            Error::<T>::RevealClosed,
        )?;
        let update =
            Updates::<T>::get(payload.alliance, proposer).ok_or(Error::<T>::NoCommitment)?;
        ensure!(update.params.is_none(), Error::<T>::AlreadyRevealed);
        ensure!(payload.params.len() == record.global.len(), Error::<T>::WrongParameterCount);
        ensure!(
            opens(&update.commitment, &(&payload.params, payload.samples), &payload.salt, proposer),
            Error::<T>::RevealDoesNotMatchCommit
        );
        Ok(())
    }

    pub(crate) fn do_reveal_update(
        proposer: &T::AccountId,
        payload: &UpdateReveal<T::Public>,
    ) -> DispatchResult {
        Self::check_reveal_update(proposer, payload)?;
        Updates::<T>::mutate(payload.alliance, proposer, |update| {
            if let Some(update) = update {
                update.params = Some(payload.params.clone());
                update.samples = payload.samples;
            }
        });
        Self::deposit_event(Event::UpdateRevealed {
            alliance: payload.alliance,
            round: payload.round,
            proposer: proposer.clone(),
            samples: payload.samples,
        });
        Ok(())
    }

    pub(crate) fn check_commit_ballots(
        voter: &T::AccountId,
        payload: &BallotCommitment<T::Public>,
    ) -> DispatchResult {
        let record = Self::in_round(payload.alliance, payload.round)?;
        Self::ensure_stage(&record, Stage::Vote, Error::<T>::VoteNotOpen, Error::<T>::VoteClosed)?;
        let roles = Roles::<T>::get(payload.alliance).ok_or(Error::<T>::NotAVoter)?;
        ensure!(Self::weight_in(&roles.voters, voter).is_some(), Error::<T>::NotAVoter);
        ensure!(
            !SealedBallots::<T>::contains_key(payload.alliance, voter),
            Error::<T>::AlreadyVoted
        );
        Ok(())
    }

    pub(crate) fn do_commit_ballots(
        voter: &T::AccountId,
        payload: &BallotCommitment<T::Public>,
    ) -> DispatchResult {
        Self::check_commit_ballots(voter, payload)?;
        SealedBallots::<T>::insert(payload.alliance, voter, payload.commitment);
        Self::deposit_event(Event::BallotsCommitted {
            alliance: payload.alliance,
            round: payload.round,
            voter: voter.clone(),
        });
        Ok(())
    }

    pub(crate) fn check_reveal_ballots(
        voter: &T::AccountId,
        payload: &BallotReveal<T::Public, T::AccountId>,
    ) -> DispatchResult {
        let record = Self::in_round(payload.alliance, payload.round)?;
        Self::ensure_stage(
            &record,
            Stage::RevealBallots,
            Error::<T>::RevealNotOpen,
            Error::<T>::RevealClosed,
        )?;
        let commitment =
            SealedBallots::<T>::get(payload.alliance, voter).ok_or(Error::<T>::NoCommitment)?;
        ensure!(!Votes::<T>::contains_key(payload.alliance, voter), Error::<T>::AlreadyRevealed);
        ensure!(
            opens(&commitment, &payload.ballots, &payload.salt, voter),
            Error::<T>::RevealDoesNotMatchCommit
        );
        for (i, ballot) in payload.ballots.iter().enumerate() {
            let revealed = Updates::<T>::get(payload.alliance, &ballot.proposer)
                .is_some_and(|u| u.params.is_some());
            ensure!(revealed, Error::<T>::UnknownUpdate);
            let repeated =
                payload.ballots.iter().take(i).any(|earlier| earlier.proposer == ballot.proposer);
            ensure!(!repeated, Error::<T>::DuplicateBallot);
        }
        Ok(())
    }

    pub(crate) fn do_reveal_ballots(
        voter: &T::AccountId,
        payload: &BallotReveal<T::Public, T::AccountId>,
    ) -> DispatchResult {
        Self::check_reveal_ballots(voter, payload)?;
        Votes::<T>::insert(payload.alliance, voter, payload.ballots.clone());
        Self::deposit_event(Event::BallotsRevealed {
            alliance: payload.alliance,
            round: payload.round,
            voter: voter.clone(),
            ballots: payload.ballots.len() as u32,
        });
        Ok(())
    }

    // ----- phase changes -----

    pub(crate) fn on_block(now: BlockNumberFor<T>) -> Weight {
        let mut weight = T::WeightInfo::on_initialize_idle();
        let mut heavy = 0u32;
        for alliance in DueAlliances::<T>::take(now) {
            weight.saturating_accrue(T::DbWeight::get().reads_writes(1, 1));
            if heavy >= MAX_TRANSITIONS_PER_BLOCK {
                // The block's budget of heavy changes is spent: the next block looks again.
                Self::schedule(alliance, due::requeue_at(now, now));
                continue;
            }
            let Some(record) = Alliances::<T>::get(alliance) else { continue };
            let members = record.members.len() as u32;
            let stage = record.stage_at(now);
            match record.phase {
                Phase::Joining if stage == Stage::Starting => {
                    heavy = heavy.saturating_add(1);
                    if members < record.spec.min_participants {
                        Self::cancel(alliance, record);
                    } else {
                        Self::start_round(alliance, record, now);
                    }
                    weight.saturating_accrue(Self::start_round_weight(members));
                },
                Phase::Round if !Roles::<T>::contains_key(alliance) => {
                    heavy = heavy.saturating_add(1);
                    Self::start_round(alliance, record, now);
                    weight.saturating_accrue(Self::start_round_weight(members));
                },
                Phase::Round if stage == Stage::Closing => {
                    heavy = heavy.saturating_add(1);
                    let len = record.global.len() as u32;
                    let slashed = Self::close_round(alliance, record, now);
                    // The benchmark pays every participant; a slash instead of a payment is
                    // charged at the staking pallet's weight.
                    // Closing a round starts the next one; a silent proposer's window is
                    // checked against the block-room record (three reads).
                    weight.saturating_accrue(T::WeightInfo::close_round(members, len));
                    weight.saturating_accrue(
                        T::DbWeight::get().reads(3u64.saturating_mul(u64::from(members))),
                    );
                    weight.saturating_accrue(Self::start_round_weight(members));
                    weight.saturating_accrue(
                        T::Staking::slash_weight().saturating_mul(u64::from(slashed)),
                    );
                    // The last round hands the final model on (charged every round: cheap).
                    weight.saturating_accrue(T::Models::register_weight());
                },
                _ => {},
            }
            // Queued again at its next stage change (an ended alliance is not), at the
            // earliest in the next block: a round waiting for randomness, or whose roles are
            // still to be drawn, is looked at again then.
            if let Some(due) = Alliances::<T>::get(alliance).as_ref().and_then(Alliance::next_due) {
                Self::schedule(alliance, due::requeue_at(due, now));
            }
        }
        weight
    }

    /// Queues `alliance` for block `at` (or the first later block with room).
    pub(crate) fn schedule(alliance: AllianceId, at: BlockNumberFor<T>) {
        let queued = due::schedule(at, |block| {
            DueAlliances::<T>::mutate(block, |queue| {
                queue.contains(&alliance) || queue.try_push(alliance).is_ok()
            })
        });
        if queued.is_none() {
            // Each queue holds every running alliance, so one of them always has room.
            frame_support::defensive!("a running alliance could not be queued");
        }
    }

    /// Weight of [`Self::start_round`] for `members` participants: the benchmark, plus binding
    /// each participant's stake for the round.
    pub(crate) fn start_round_weight(members: u32) -> Weight {
        T::WeightInfo::start_round(members)
            .saturating_add(T::Staking::engage_weight().saturating_mul(u64::from(members)))
    }

    /// Draws the roles of the next round (or waits a block for randomness) and binds every
    /// drawn participant's stake until the round closes, so that a slash dated at the draw
    /// still reaches stake that leaves during the round (security review §7).
    pub(crate) fn start_round(
        alliance: AllianceId,
        mut record: AllianceOf<T>,
        now: BlockNumberFor<T>,
    ) {
        record.phase = Phase::Round;
        if record.round == 0 {
            record.round = 1;
        }
        // A seed nobody could know before `fixed_before`, applied to stake as it stood then
        // (security review §10).
        let (random, fixed_before) =
            T::Randomness::random(&(b"starling/alliance/roles", alliance, record.round).encode());
        let Some(random) = random else {
            Alliances::<T>::insert(alliance, record);
            return;
        };
        let seed = sp_io::hashing::blake2_256(&(random, alliance, record.round).encode());
        let weights: Vec<u128> = record
            .members
            .iter()
            .map(|m| T::Staking::draw_weight_of(m, Role::FlParticipant, fixed_before))
            .collect();
        let active = weights.iter().filter(|w| **w > 0).count();
        let wanted = (record.spec.proposer_fraction.mul_ceil(active as u32) as usize)
            .max(1)
            .min(active.saturating_sub(1).max(1));
        let order = weighted_draw(&weights, active, &seed);
        let mut roles = RoundRoles { proposers: BoundedVec::new(), voters: BoundedVec::new() };
        for (position, index) in order.into_iter().enumerate() {
            let (Some(member), Some(weight)) = (record.members.get(index), weights.get(index))
            else {
                continue;
            };
            let entry = (member.clone(), *weight);
            let _ = if position < wanted {
                roles.proposers.try_push(entry)
            } else {
                roles.voters.try_push(entry)
            };
        }
        let params = Parameters::<T>::get();
        record.commit_end = now.saturating_add(record.spec.propose_window);
        record.reveal_end = record.commit_end.saturating_add(params.reveal_window);
        record.vote_end = record.reveal_end.saturating_add(record.spec.vote_window);
        record.ballot_end = record.vote_end.saturating_add(params.reveal_window);
        roles.proposers.retain(|(member, _)| {
            T::Staking::engage(member, Role::FlParticipant, record.ballot_end).is_ok()
        });
        roles.voters.retain(|(member, _)| {
            T::Staking::engage(member, Role::FlParticipant, record.ballot_end).is_ok()
        });
        let accounts = |list: &BoundedVec<(T::AccountId, u128), ConstU32<MAX_PARTICIPANTS>>| {
            BoundedVec::truncate_from(list.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>())
        };
        Self::deposit_event(Event::RoundStarted {
            alliance,
            round: record.round,
            proposers: accounts(&roles.proposers),
            voters: accounts(&roles.voters),
        });
        Roles::<T>::insert(alliance, roles);
        Alliances::<T>::insert(alliance, record);
    }

    /// Tallies the votes, aggregates the accepted updates, pays, slashes and records the
    /// round; then starts the next round or finishes the alliance. Returns the number of
    /// participants slashed.
    pub(crate) fn close_round(
        alliance: AllianceId,
        mut record: AllianceOf<T>,
        now: BlockNumberFor<T>,
    ) -> u32 {
        let roles = Roles::<T>::take(alliance)
            .unwrap_or(RoundRoles { proposers: BoundedVec::new(), voters: BoundedVec::new() });
        let params = Parameters::<T>::get();
        let ballots: Vec<(T::AccountId, u128, Ballots<T::AccountId>)> = roles
            .voters
            .iter()
            .filter_map(|(v, w)| Votes::<T>::get(alliance, v).map(|b| (v.clone(), *w, b)))
            .collect();

        // Compute: what the votes decided, from the reveals and ballots alone.
        let updates: Vec<Option<UpdateRecord>> = roles
            .proposers
            .iter()
            .map(|(p, _)| Updates::<T>::get(alliance, p).filter(|u| u.params.is_some()))
            .collect();
        let proposals: Vec<(T::AccountId, bool)> = roles
            .proposers
            .iter()
            .zip(&updates)
            .map(|((p, _), update)| (p.clone(), update.is_some()))
            .collect();
        let voter_ballots: Vec<VoterBallots<T::AccountId>> = ballots
            .iter()
            .map(|(_, weight, list)| VoterBallots {
                weight: *weight,
                ballots: list.iter().map(|b| (b.proposer.clone(), b.approve)).collect(),
            })
            .collect();
        // Lost ballots do not lower the bar: two thirds of every drawn voter's weight.
        let drawn = roles.voters.iter().fold(0u128, |acc, (_, w)| acc.saturating_add(*w));
        let decided = tally::tally(&proposals, &voter_ballots, drawn);
        let proposer_at = |i: &usize| roles.proposers.get(*i);
        let accepted: Vec<(T::AccountId, u128, UpdateRecord)> = decided
            .accepted
            .iter()
            .filter_map(|i| {
                let (p, w) = proposer_at(i)?;
                Some((p.clone(), *w, updates.get(*i)?.clone()?))
            })
            .collect();
        // A proposer that revealed nothing is rejected, unless no block of the window it was
        // silent in had room for worker calls (security review §4): congestion alone never
        // costs an honest proposer.
        let excused = |p: &T::AccountId| {
            let stage = match Updates::<T>::get(alliance, p) {
                Some(update) if update.params.is_some() => return false,
                Some(_) => Stage::RevealUpdates,
                None => Stage::Propose,
            };
            record.window(stage).is_some_and(|(from, to)| !T::Staking::had_room(from, to))
        };
        let rejected: Vec<T::AccountId> = decided
            .rejected
            .iter()
            .filter_map(|i| proposer_at(i).map(|(p, _)| p.clone()))
            .filter(|p| !excused(p))
            .collect();
        // Claimed samples of the revealed updates the voters judged and did not accept (voted
        // down, or split).
        let rejected_samples: Vec<u32> = decided
            .voted_down
            .iter()
            .chain(&decided.split)
            .filter_map(|i| updates.get(*i)?.as_ref().map(|u| u.samples))
            .collect();
        let voter_at = |i: &usize| ballots.get(*i).map(|(v, w, _)| (v.clone(), *w));
        let majority: Vec<(T::AccountId, u128)> =
            decided.majority.iter().filter_map(voter_at).collect();
        let minority: Vec<T::AccountId> =
            decided.minority.iter().filter_map(|i| voter_at(i).map(|(v, _)| v)).collect();

        // The new global model. Under FedAvg an update the voters judged and did not accept
        // counts as "no change" (the current global model with its claimed samples): a round in which the voters vouch
        // for few of the updates moves the model proportionally less, which damps both the
        // noise of a lone accepted update and whatever a poisoned one that slipped through
        // would do. The median and trimmed mean take the accepted updates only.
        let current = record.global.clone();
        let mut updates: Vec<Update<'_>> = accepted
            .iter()
            .filter_map(|(_, _, u)| {
                u.params.as_ref().map(|p| Update { params: p, samples: u.samples })
            })
            .collect();
        if !updates.is_empty() && record.spec.aggregation == Aggregation::FedAvg {
            updates.extend(
                rejected_samples
                    .iter()
                    .map(|samples| Update { params: current.as_slice(), samples: *samples }),
            );
        }
        let aggregated =
            aggregation::aggregate(record.spec.aggregation, &updates, record.spec.sample_cap);
        let rolled_back = aggregated.is_none();
        if let Some(model) = aggregated {
            record.global = BoundedVec::truncate_from(model);
        }

        // The round's reward: the pool left divided by the rounds left, plus this round's part
        // of the emission credit (minted only when there is someone to pay).
        let rounds_left = record.spec.rounds.saturating_sub(record.round).saturating_add(1);
        let pool: u128 = record.pool.saturated_into();
        let mut reward = pool.checked_div(u128::from(rounds_left)).unwrap_or_default();
        let minted = if accepted.is_empty() && majority.is_empty() {
            0
        } else {
            Self::mint_round_emission(alliance, &mut record, rounds_left)
        };
        reward = reward.saturating_add(minted);
        let proposer_weights: Vec<u128> = accepted.iter().map(|(_, w, _)| *w).collect();
        let voter_weights: Vec<u128> = majority.iter().map(|(_, w)| *w).collect();
        // What is not paid (rounding, or a side with nobody to pay) stays in the pool.
        let (proposer_shares, voter_shares, _unpaid) =
            tally::round_shares(reward, params.proposer_share, &proposer_weights, &voter_weights);

        // Apply: every payment and slash through staking, once. Slashes are dated at the
        // draw (security review §7): stake that left during the round is bound until its
        // close and still pays.
        if reward > 0 {
            Self::ensure_payout_account();
        }
        let payment = |(operator, amount): (&T::AccountId, u128)| Payment {
            operator: operator.clone(),
            role: Role::FlParticipant,
            amount,
        };
        let slash = |reason: SlashReason, fraction| {
            move |operator: &T::AccountId| Slash {
                operator: operator.clone(),
                role: Role::FlParticipant,
                fraction,
                reason,
            }
        };
        let settlement = Settlement {
            payments: accepted
                .iter()
                .map(|(a, _, _)| a)
                .zip(proposer_shares)
                .chain(majority.iter().map(|(a, _)| a).zip(voter_shares))
                .map(payment)
                .collect(),
            slashes: rejected
                .iter()
                .map(slash(SlashReason::UpdateRejected, params.reject_slash))
                .chain(minority.iter().map(slash(SlashReason::MinorityVote, params.minority_slash)))
                .collect(),
        };
        let drawn_at = record.round_start();
        let applied = Self::settle(alliance, record.round, &record.creator, &settlement, drawn_at);
        let paid_total = applied.total_paid;
        record.pool = record.pool.saturating_sub(paid_total.saturated_into());
        Self::unmint_round_emission(&mut record, minted, reward.saturating_sub(paid_total));

        for (proposer, _, _) in &accepted {
            Contributions::<T>::mutate(alliance, proposer, |n| *n = n.saturating_add(1));
        }
        History::<T>::insert(
            alliance,
            record.round,
            RoundRecord {
                model: record.global.clone(),
                accepted: BoundedVec::truncate_from(
                    accepted.iter().map(|(a, _, _)| a.clone()).collect::<Vec<_>>(),
                ),
                rejected: BoundedVec::truncate_from(rejected.clone()),
                rolled_back,
                paid: paid_total.saturated_into(),
            },
        );
        let _ = Updates::<T>::clear_prefix(alliance, MAX_PARTICIPANTS, None);
        let _ = Votes::<T>::clear_prefix(alliance, MAX_PARTICIPANTS, None);
        let _ = SealedBallots::<T>::clear_prefix(alliance, MAX_PARTICIPANTS, None);
        Self::deposit_event(Event::RoundClosed {
            alliance,
            round: record.round,
            accepted: accepted.len() as u32,
            rejected: rejected.len() as u32,
            left_out: decided.left_out.len() as u32,
            rolled_back,
        });

        let slashed = applied.slashed.len() as u32;
        if record.round >= record.spec.rounds {
            Self::finish(alliance, record);
        } else {
            record.round = record.round.saturating_add(1);
            Self::start_round(alliance, record, now);
        }
        slashed
    }

    /// Applies a round's `settlement` through staking, paying from `creator`'s held pool, and
    /// names every item in an event: `Rewarded`, `RewardNotPaid` (the share stays in the pool)
    /// or `Slashed`.
    fn settle(
        alliance: AllianceId,
        round: u32,
        creator: &T::AccountId,
        settlement: &Settlement<T::AccountId>,
        drawn_at: BlockNumberFor<T>,
    ) -> Applied<BalanceOf<T>> {
        settlement::apply::<_, T::Staking>(
            settlement,
            drawn_at,
            |p| Self::pay(creator, &p.operator, p.amount),
            |settled| {
                Self::deposit_event(match settled {
                    Settled::Rewarded { payment, amount } => Event::Rewarded {
                        alliance,
                        round,
                        operator: payment.operator.clone(),
                        role: payment.role,
                        amount,
                    },
                    Settled::NotPaid { payment, error } => Event::RewardNotPaid {
                        alliance,
                        round,
                        participant: payment.operator.clone(),
                        amount: payment.amount.saturated_into(),
                        error,
                    },
                    Settled::Slashed { slash, amount } => Event::Slashed {
                        alliance,
                        round,
                        operator: slash.operator.clone(),
                        role: slash.role,
                        reason: slash.reason,
                        amount,
                    },
                })
            },
        )
    }

    /// Pays `amount` of the creator's held pool to `participant`'s staking pool, all or
    /// nothing. The share moves out of the creator's hold by force (a lock or freeze on the
    /// creator's balance cannot block it) into the payout account and is paid from there. If
    /// either step fails, both are undone (the share is back in the creator's hold, for later
    /// rounds or the creator) and the error is returned.
    fn pay(
        creator: &T::AccountId,
        participant: &T::AccountId,
        amount: u128,
    ) -> Result<BalanceOf<T>, DispatchError> {
        let amount: BalanceOf<T> = amount.saturated_into();
        let payout = Self::payout_account();
        frame_support::storage::with_storage_layer(|| {
            let moved = T::Currency::transfer_on_hold(
                &HoldReason::RewardPool.into(),
                creator,
                &payout,
                amount,
                Precision::Exact,
                Restriction::Free,
                Fortitude::Force,
            )?;
            let paid = T::Staking::reward(&payout, participant, Role::FlParticipant, moved)?;
            // Staking pays all or nothing; should it pay less, the rest goes back to the hold
            // rather than stay in the payout account.
            let rest = moved.saturating_sub(paid);
            if !rest.is_zero() {
                T::Currency::transfer_and_hold(
                    &HoldReason::RewardPool.into(),
                    &payout,
                    creator,
                    rest,
                    Precision::Exact,
                    Preservation::Preserve,
                    Fortitude::Polite,
                )?;
            }
            Ok(paid)
        })
    }

    /// Releases what is left of the alliance's pool to its creator; returns what was released.
    /// The creator's reward-pool hold is the sum of its alliances' pools, so releasing less
    /// than the pool means that bookkeeping broke.
    fn release_pool(record: &AllianceOf<T>) -> BalanceOf<T> {
        let released = T::Currency::release(
            &HoldReason::RewardPool.into(),
            &record.creator,
            record.pool,
            Precision::BestEffort,
        )
        .defensive_unwrap_or_default();
        if released != record.pool {
            defensive!("an alliance's pool exceeds its creator's reward-pool hold");
        }
        released
    }

    fn finish(alliance: AllianceId, mut record: AllianceOf<T>) {
        let returned = Self::release_pool(&record);
        let rounds = record.round;
        record.pool = Zero::zero();
        record.phase = Phase::Finished;
        let contributors: alloc::vec::Vec<(T::AccountId, u32)> = record
            .members
            .iter()
            .map(|m| (m.clone(), Contributions::<T>::get(alliance, m)))
            .filter(|(_, accepted)| *accepted > 0)
            .collect();
        let model = ProducedModel {
            source: ModelSource::Alliance(alliance),
            owner: record.creator.clone(),
            spec: ModelSpec {
                family: record.spec.family,
                schema: record.spec.schema,
                metric: crate::types::loss_metric(record.spec.schema.label),
                data: ModelData::Inline(record.global.clone()),
                eval: record.spec.data.public_eval(),
            },
            score: None,
            creators: contributors,
        };
        Alliances::<T>::insert(alliance, record);
        Self::end(alliance);
        Self::deposit_event(Event::AllianceFinished { alliance, rounds, returned });
        T::Models::register(model);
    }

    fn cancel(alliance: AllianceId, mut record: AllianceOf<T>) {
        Self::release_pool(&record);
        record.pool = Zero::zero();
        record.phase = Phase::Cancelled;
        Alliances::<T>::insert(alliance, record);
        Self::end(alliance);
        Self::deposit_event(Event::AllianceCancelled { alliance });
    }

    fn end(alliance: AllianceId) {
        ActiveAlliances::<T>::mutate(|active| active.retain(|a| *a != alliance));
        Roles::<T>::remove(alliance);
        let _ = Updates::<T>::clear_prefix(alliance, MAX_PARTICIPANTS, None);
        let _ = Votes::<T>::clear_prefix(alliance, MAX_PARTICIPANTS, None);
        let _ = SealedBallots::<T>::clear_prefix(alliance, MAX_PARTICIPANTS, None);
    }

    /// Checks the funds the alliance holds: every creator's reward-pool hold is the sum of
    /// its alliances' pools, an ended alliance holds nothing and is not listed as active, an
    /// active one is joining or in a round, and the payout account keeps its existential
    /// deposit (it holds nothing else between payments, unless someone sent it funds); and
    /// `DueAlliances` holds exactly the running alliances, each once.
    #[cfg(any(feature = "try-runtime", test))]
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        use frame_support::traits::fungible::InspectHold;
        let active = ActiveAlliances::<T>::get();
        let mut pools: Vec<(T::AccountId, u128)> = Vec::new();
        for (id, record) in Alliances::<T>::iter() {
            let running = matches!(record.phase, Phase::Joining | Phase::Round);
            ensure!(
                running == active.contains(&id),
                "an alliance's phase disagrees with the active list"
            );
            ensure!(running || record.pool.is_zero(), "an ended alliance still holds a pool");
            let pool: u128 = record.pool.saturated_into();
            match pools.iter_mut().find(|(creator, _)| *creator == record.creator) {
                Some((_, sum)) => *sum = sum.saturating_add(pool),
                None => pools.push((record.creator, pool)),
            }
        }
        ensure!(active.iter().all(Alliances::<T>::contains_key), "an active alliance is missing");
        let mut queued: Vec<AllianceId> = DueAlliances::<T>::iter().flat_map(|(_, q)| q).collect();
        queued.sort_unstable();
        let mut running: Vec<AllianceId> = active.to_vec();
        running.sort_unstable();
        ensure!(
            queued == running,
            "DueAlliances does not hold exactly the running alliances, each once"
        );
        for (creator, sum) in pools {
            let held: u128 = T::Currency::balance_on_hold(&HoldReason::RewardPool.into(), &creator)
                .saturated_into();
            ensure!(held == sum, "a creator's reward-pool hold differs from its alliances' pools");
        }
        ensure!(
            T::Currency::balance(&Self::payout_account()) >= T::Currency::minimum_balance(),
            "the payout account lost its existential deposit"
        );
        Ok(())
    }

    /// The final (or current) global model of an alliance.
    pub fn global_model(alliance: AllianceId) -> Option<starling_ml_interface::Params> {
        Alliances::<T>::get(alliance).map(|a| a.global)
    }
}

/// Blocks from a round's draw to its close: the propose and vote windows of `spec`, and the
/// governance reveal window after each.
pub fn round_length<Balance, BlockNumber: AtLeast32BitUnsigned + Copy>(
    spec: &AllianceSpec<BlockNumber>,
    params: &AllianceParams<Balance, BlockNumber>,
) -> BlockNumber {
    spec.propose_window
        .saturating_add(spec.vote_window)
        .saturating_add(params.reveal_window.saturating_mul(2u32.into()))
}

/// Brings storage from any earlier version to [`crate::pallet::STORAGE_VERSION`] (2); returns
/// the weight used.
///
/// * 1 → 2: every alliance gains `ballot_end` (ballots are sealed, then revealed after the vote
///   window). A round running at the upgrade keeps the plaintext ballots already cast and
///   closes a reveal window after its vote end, so that the voters yet to vote can commit and
///   reveal.
/// * 0 → 1: every running alliance is queued at its next stage change (before, every block
///   scanned all running alliances).
pub fn migrate<T: Config>() -> Weight {
    let version = Pallet::<T>::on_chain_storage_version();
    if version >= 2 {
        return T::DbWeight::get().reads(1);
    }
    // Decoding in the new layout needs the translation first.
    let mut translated = 0u64;
    let reveal_window = Parameters::<T>::get().reveal_window;
    Alliances::<T>::translate::<v1::Alliance<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>, _>(
        |_, old| {
            translated = translated.saturating_add(1);
            Some(old.upgrade(reveal_window))
        },
    );
    let mut weight = T::DbWeight::get().reads_writes(translated.saturating_add(1), translated);
    if version < 1 {
        let now = frame_system::Pallet::<T>::block_number();
        let due_of = |alliance| Alliances::<T>::get(alliance).as_ref().and_then(Alliance::next_due);
        let active = ActiveAlliances::<T>::get();
        let looked = due::queue_running(&active, now, due_of, Pallet::<T>::schedule);
        weight.saturating_accrue(due::migration_weight(T::DbWeight::get(), looked));
    }
    StorageVersion::new(2).put::<Pallet<T>>();
    weight
}

/// The storage layout of storage version 1 (and 0), for the migration.
pub mod v1 {
    use super::*;

    /// An alliance before ballots were sealed: no `ballot_end`.
    #[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
    pub struct Alliance<AccountId, Balance, BlockNumber> {
        /// See [`crate::Alliance`].
        pub creator: AccountId,
        /// See [`crate::Alliance`].
        pub spec: AllianceSpec<BlockNumber>,
        /// See [`crate::Alliance`].
        pub pool: Balance,
        /// See [`crate::Alliance`].
        pub emission: Balance,
        /// See [`crate::Alliance`].
        pub phase: Phase,
        /// See [`crate::Alliance`].
        pub members: Accounts<AccountId>,
        /// See [`crate::Alliance`].
        pub round: u32,
        /// See [`crate::Alliance`].
        pub global: starling_ml_interface::Params,
        /// See [`crate::Alliance`].
        pub join_end: BlockNumber,
        /// See [`crate::Alliance`].
        pub commit_end: BlockNumber,
        /// See [`crate::Alliance`].
        pub reveal_end: BlockNumber,
        /// See [`crate::Alliance`].
        pub vote_end: BlockNumber,
    }

    impl<AccountId, Balance, BlockNumber: Copy + Saturating> Alliance<AccountId, Balance, BlockNumber> {
        /// The record in the current layout: a running round's ballots are revealed in the
        /// `reveal_window` after its vote end.
        pub fn upgrade(
            self,
            reveal_window: BlockNumber,
        ) -> crate::Alliance<AccountId, Balance, BlockNumber> {
            let ballot_end = match self.phase {
                Phase::Round => self.vote_end.saturating_add(reveal_window),
                _ => self.vote_end,
            };
            crate::Alliance {
                creator: self.creator,
                spec: self.spec,
                pool: self.pool,
                emission: self.emission,
                phase: self.phase,
                members: self.members,
                round: self.round,
                global: self.global,
                join_end: self.join_end,
                commit_end: self.commit_end,
                reveal_end: self.reveal_end,
                vote_end: self.vote_end,
                ballot_end,
            }
        }
    }
}
