//! The staking interface: what the product pallets (arena, alliance, marketplace) may ask of
//! staking. `pallet-starling-staking` implements it; consumers take
//! `type Staking: StakingInterface<Self::AccountId, Balance = …, BlockNumber = …>` in their
//! `Config` and never read the staking pallet's storage.

use crate::{Role, SlashReason};
use alloc::vec::Vec;
use frame_support::{
    pallet_prelude::{DispatchError, DispatchResult},
    weights::Weight,
};
use sp_runtime::Perbill;

/// Stake, rewards, slashes, sampling and worker keys, as other pallets see them.
pub trait StakingInterface<AccountId> {
    /// Balance type of stakes and rewards.
    type Balance;
    /// Block number type.
    type BlockNumber;

    /// Active stake of `operator`'s pool for `role`: own stake plus delegations, after
    /// slashes, without the time-lock multiplier.
    fn stake_of(operator: &AccountId, role: Role) -> Self::Balance;

    /// The operator's own active stake for `role`.
    fn own_stake_of(operator: &AccountId, role: Role) -> Self::Balance;

    /// Effective weight of `operator` for `role`: pool stake × time-lock multiplier, or 0 when
    /// the operator is not active (own stake below the role's minimum, or not an operator).
    fn weight_of(operator: &AccountId, role: Role) -> u128;

    /// Sum of the operators' recorded weights for `role`.
    fn total_weight(role: Role) -> u128;

    /// Whether `operator` is an active operator of `role`.
    fn is_active(operator: &AccountId, role: Role) -> bool;

    /// Everything `who` has bonded, in any pool and role (own stake and delegations, active
    /// and unbonding): the stake a user's marketplace free tier grows with.
    fn bonded_of(who: &AccountId) -> Self::Balance;

    /// Pays `amount` from `payer` for `operator`'s work in `role`: the operator's commission
    /// at once, the rest to its pool's members (claimable). `payer` is kept alive. All or
    /// nothing; returns the amount paid.
    ///
    /// Errors: `NotAnOperator`, `RewardPayerInsufficient`.
    fn reward(
        payer: &AccountId,
        operator: &AccountId,
        role: Role,
        amount: Self::Balance,
    ) -> Result<Self::Balance, DispatchError>;

    /// Slashes `fraction` of `operator`'s pool for `role` (active stake, and unbonding stake
    /// that left at or after the era of `offence_at`) to the treasury, naming `reason`.
    /// Never fails; returns the value cut.
    fn slash(
        operator: &AccountId,
        role: Role,
        fraction: Perbill,
        reason: SlashReason,
        offence_at: Self::BlockNumber,
    ) -> Self::Balance;

    /// Up to `count` distinct active operators of `role`, drawn with probability proportional
    /// to their draw weight, deterministically from `seed`, each with that weight.
    ///
    /// `fixed_before` is the first block whose state the seed may depend on or reveal (the
    /// start of the previous BABE epoch for BABE's randomness from one epoch ago): the draw
    /// reads weights as they stood at the start of the newest era that began no later than
    /// it, capped by each operator's weight now, so that stake moved by someone who could know
    /// the seed never raises a chance (security review §10).
    fn sample_weighted(
        role: Role,
        count: u32,
        seed: [u8; 32],
        fixed_before: Self::BlockNumber,
    ) -> Vec<(AccountId, u128)>;

    /// `operator`'s draw weight for `role` in a draw whose seed may depend on state from block
    /// `fixed_before` on, as [`Self::sample_weighted`] counts it: its weight at the snapshot,
    /// capped by its weight now; 0 when inactive. For products that draw among their own
    /// members (alliance roles).
    fn draw_weight_of(operator: &AccountId, role: Role, fixed_before: Self::BlockNumber) -> u128;

    /// Weight of one `draw_weight_of` call.
    fn draw_weight_weight() -> Weight;

    /// The operator a worker key acts for.
    fn operator_of_worker(worker: &AccountId) -> Option<AccountId>;

    /// Read-only worker check for transaction validation (registered, within rate limit).
    fn check_worker(worker: &AccountId) -> Result<AccountId, DispatchError>;

    /// Counts one call of `worker` against its rate limit; returns its operator.
    fn note_worker_call(worker: &AccountId) -> Result<AccountId, DispatchError>;

    /// Refuses commission changes of `operator` in `role` until block `until` (e.g. the end
    /// of a task it works on). Never shortens an existing freeze.
    ///
    /// Errors: `NotAnOperator`.
    fn freeze_commission(
        operator: &AccountId,
        role: Role,
        until: Self::BlockNumber,
    ) -> DispatchResult;

    /// Binds `operator`'s pool for `role` to an obligation (a committee seat, a round) that
    /// ends at `until`: commission is frozen as by `freeze_commission`, and stake that leaves
    /// the pool (unbonds or undelegates) before `until` unlocks no earlier than an unbonding
    /// period after it, so that a slash at the end dated at the draw still reaches it. Never
    /// shortens a binding. An obligation may last at most `max_engagement` blocks.
    ///
    /// Errors: `NotAnOperator`.
    fn engage(operator: &AccountId, role: Role, until: Self::BlockNumber) -> DispatchResult;

    /// The longest obligation `engage` covers: a slash dated at its start and applied at its
    /// end still reaches all stake that left in between.
    fn max_engagement() -> Self::BlockNumber;

    /// Weight of one `engage` call.
    fn engage_weight() -> Weight;

    /// Whether any block in `from .. to` had room for worker calls (security review §4): a
    /// product slashes a worker's silence in a window only if it did, so that congestion
    /// alone never costs an honest operator. Two storage reads.
    fn had_room(from: Self::BlockNumber, to: Self::BlockNumber) -> bool;

    /// Whether `member` holds a position (own stake or a delegation, active or unbonding) in
    /// `operator`'s pool for `role`: how the products tell that two accounts are tied. One
    /// storage read.
    fn has_stake_in(member: &AccountId, operator: &AccountId, role: Role) -> bool;

    /// Weight of one `has_stake_in` call.
    fn stake_in_weight() -> Weight;

    /// Weight of one `reward` call.
    fn reward_weight() -> Weight;

    /// Weight of one `slash` call.
    fn slash_weight() -> Weight;

    /// Weight of one `sample_weighted` call drawing `count` operators.
    fn sample_weight(count: u32) -> Weight;

    /// Benchmarks only: makes `who` (already funded) an active operator of `role` with
    /// `stake` (10% commission) and registers `worker` as its worker key without a proof of
    /// possession (the benchmark generated the key itself). The stake counts in draws and
    /// earns at once, as stake bonded at genesis does.
    #[cfg(feature = "runtime-benchmarks")]
    fn make_operator(
        who: &AccountId,
        role: Role,
        stake: Self::Balance,
        worker: &AccountId,
    ) -> DispatchResult;
}
