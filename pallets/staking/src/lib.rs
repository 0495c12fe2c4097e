//! # Starling staking
//!
//! One ledger for every role that earns or risks money on Starling: training nodes and
//! validators of the AI Arena, participants of the FL Alliance and model hosts of the
//! Marketplace. Those pallets pay and punish through the [`traits::StakingInterface`] this
//! pallet implements; they never read its storage.
//!
//! ## Terms
//!
//! * **Operator** — an account that bonds its own stake for a [`Role`]. It runs a node whose
//!   off-chain workers do the role's work.
//! * **Pool** — every operator has one pool per role: its own stake plus the stake that
//!   **delegators** add. Operator and delegators are the pool's **members**.
//! * **Points** — a member's share of the pool. Whoever joins receives points at the pool's
//!   current rate (value per point); a member owning `p` of the pool's `P` points owns `p/P` of
//!   the pool's active stake. This is the accounting of `pallet-nomination-pools`.
//! * **Weight** — the pool's active stake times the operator's **time-lock multiplier**
//!   (1× for locks up to 30 days, rising linearly to 3.01× for a 365-day lock; see
//!   [`math::lock_multiplier`]). Weight drives selection probability and reward shares in the
//!   other pallets. An operator whose own stake is below the role's minimum has weight 0.
//! * **Commission σ** — the fraction of each reward the operator keeps before the rest is
//!   shared among the pool's members by points.
//! * **Worker key** — a hot key the operator registers; its node's off-chain workers sign with
//!   it. Calls signed by the worker act for the operator. The worker key holds no stake.
//!
//! ## Lifecycle
//!
//! 1. **Bond.** An account calls [`Pallet::bond`] with a role, an amount above the role's
//!    minimum and a commission inside the governance bounds. The amount is *held* in its own
//!    account (pallet-balances hold, reason [`HoldReason::Staked`]); nothing is transferred.
//!    [`Pallet::bond_extra`] adds more.
//! 2. **Delegate.** Anyone calls [`Pallet::delegate`] to join an active operator's pool; the
//!    funds are held in the delegator's own account in the same way.
//! 3. **Lock (optional).** The operator calls [`Pallet::lock`] for up to 365 days to raise its
//!    pool's weight. A lock can be extended, never shortened, and the operator's own stake
//!    cannot be unbonded before it ends. When it ends the multiplier falls back to 1.
//! 4. **Earn.** Another pallet calls `reward(payer, operator, role, amount)`. The operator
//!    receives σ·amount at once; the rest goes to this pallet's reward pot and raises the pool's
//!    *reward per point*. Each member's share is `points × (reward per point now − reward per
//!    point when last settled)`; members collect it with [`Pallet::claim`]. The cost is the
//!    same for one member or ten thousand: no loop over members anywhere. Governance pays
//!    rewards the same way from the treasury with [`Pallet::grant_reward`] (incentive
//!    programmes, or rewards before the arena pays any).
//! 5. **Get slashed.** Another pallet calls `slash(operator, role, fraction, reason,
//!    offence_at)`. The pool's active stake, and the unbonding stake that left after the
//!    offence, shrink by `fraction` at once; since members own points, each member's value
//!    shrinks by the same fraction without being touched. The money still sits on hold in the
//!    members' accounts: each member's debt (held minus value) moves to the treasury the next
//!    time the member acts, or when anyone calls [`Pallet::apply_slash`] for it. The operator's
//!    own debt is paid at once. A slash never fails: it takes what there is.
//! 6. **Unbond.** [`Pallet::unbond`] (operator) or [`Pallet::undelegate`] (delegator) turns
//!    points into an *unbonding chunk*. Chunks of one pool that start in the same era share
//!    an unbonding pool, which stays slashable for offences committed before it left.
//! 7. **Withdraw.** After the governance-set unbonding period, [`Pallet::withdraw_unbonded`]
//!    releases the hold. When an operator has withdrawn everything it stops being an operator.
//!
//! ## Rounding
//!
//! Every division rounds down, in favour of the pool: the sum of the members' values never
//! exceeds the pool's value and falls short of it by less than one unit per member; the reward
//! pot keeps less than one unit per member and claim as dust; a member's rounding loss on a
//! slash goes to the treasury with its debt.
//!
//! ## Governance
//!
//! Minimum stakes, commission bounds, the commission change period and the unbonding period
//! are storage values set by [`Config::AdminOrigin`] (the protocol-parameters track), with
//! initial values from the genesis config. The same origin may grant rewards from the
//! treasury to an active operator's pool ([`Pallet::grant_reward`]).
//!
//! ## Worker calls
//!
//! Other pallets accept calls from worker keys with [`Pallet::ensure_worker`] (or the
//! [`traits::StakingInterface::note_worker_call`] trait function), which maps the worker to
//! its operator and counts the call against a per-worker rate limit
//! ([`Config::WorkerCallsPerWindow`] per [`Config::WorkerRateWindow`] blocks). A call that
//! passed it should return `Pays::No`; its transaction validation (a `#[pallet::authorize]`
//! closure or a `feeless_if`) uses the read-only [`Pallet::check_worker`] so that an unknown or
//! rate-limited worker is refused before it reaches a block.
//!
//! ## Sampling
//!
//! Each role keeps a Fenwick tree of operator weights (one slot per operator, at most
//! [`Config::MaxOperatorsPerRole`]), so `sample_weighted(role, k, seed)` draws k distinct
//! operators with probability proportional to weight in O(k log n) storage reads.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod joining;
pub mod ledger;
pub mod math;
#[cfg(test)]
mod mock;
pub mod pool;
pub mod rewards;
pub mod sampling;
pub mod slashing;
pub mod snapshot;
#[cfg(test)]
mod tests;
pub mod traits;
pub mod types;
pub mod weights;
pub mod workers;

pub use types::*;
pub use weights::WeightInfo;

/// Makes worker keys and their proofs of possession in benchmarks (the runtime generates
/// them in the benchmark keystore).
#[cfg(feature = "runtime-benchmarks")]
pub trait WorkerKeyBenchmarkHelper<AccountId, Proof> {
    /// A fresh worker key, distinct for each `index`.
    fn worker_key(index: u32) -> AccountId;
    /// `worker`'s signature over `message`.
    fn sign(worker: &AccountId, message: &[u8]) -> Proof;
}

/// Worker keys of benchmarks generated in the benchmark keystore under key type `K`, as sr25519
/// keys signing `MultiSignature`s (what the runtime and the product pallets' mocks use).
#[cfg(feature = "runtime-benchmarks")]
pub struct KeystoreWorkerKeys<K>(core::marker::PhantomData<K>);

#[cfg(feature = "runtime-benchmarks")]
impl<K, AccountId> WorkerKeyBenchmarkHelper<AccountId, sp_runtime::MultiSignature>
    for KeystoreWorkerKeys<K>
where
    K: frame_support::traits::Get<sp_core::crypto::KeyTypeId>,
    AccountId: From<[u8; 32]> + AsRef<[u8; 32]>,
{
    fn worker_key(index: u32) -> AccountId {
        let suri = alloc::format!("//worker{index}");
        AccountId::from(sp_io::crypto::sr25519_generate(K::get(), Some(suri.into_bytes())).0)
    }

    fn sign(worker: &AccountId, message: &[u8]) -> sp_runtime::MultiSignature {
        let public = sp_core::sr25519::Public::from_raw(*worker.as_ref());
        let signature = sp_io::crypto::sr25519_sign(K::get(), &public, message)
            .unwrap_or_else(|| sp_core::sr25519::Signature::from_raw([0; 64]));
        sp_runtime::MultiSignature::Sr25519(signature)
    }
}

// The FRAME macros expand to code that uses `expect` on values they construct themselves
// (storage prefixes, metadata); the lint cannot be scoped to the expansion. This module only
// declares the pallet and holds one-line call wrappers: the logic lives in the domain
// modules, where every lint applies.
#[allow(clippy::expect_used)]
#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use alloc::vec::Vec;
    use frame_support::{
        pallet_prelude::*,
        traits::{
            fungible::{Inspect, InspectHold, Mutate, MutateHold},
            BuildGenesisConfig,
        },
        PalletId,
    };
    use frame_system::pallet_prelude::*;
    use sp_runtime::{traits::Zero, Perbill};

    /// The balance type of [`Config::Currency`].
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

    /// A member record of this runtime.
    pub type MemberOf<T> = crate::types::Member<BalanceOf<T>, <T as Config>::MaxUnbondingChunks>;

    /// Storage version.
    const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    /// Configuration of the staking pallet.
    #[pallet::config]
    pub trait Config: frame_system::Config {
        /// The currency whose balances are held as stake (pallet-balances).
        type Currency: Mutate<Self::AccountId>
            + InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
            + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

        /// The runtime's hold reason, of which this pallet's [`HoldReason`] is a part.
        type RuntimeHoldReason: From<HoldReason>;

        /// The origin that sets protocol parameters (the protocol-parameters track).
        type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

        /// The account that receives slashed stake and pays governance reward grants.
        #[pallet::constant]
        type Treasury: Get<Self::AccountId>;

        /// Derives the account of the reward pot, which keeps rewards until members claim them.
        #[pallet::constant]
        type PalletId: Get<PalletId>;

        /// Blocks per day, the unit of time locks.
        #[pallet::constant]
        type BlocksPerDay: Get<BlockNumberFor<Self>>;

        /// Length of an era in blocks: unbonding stake is grouped by the era in which it left.
        #[pallet::constant]
        type EraLength: Get<BlockNumberFor<Self>>;

        /// How many recent eras of unbonding stake a slash may reach. Bounds the work of a
        /// slash; the unbonding period may be at most `(MaxSlashableEras − 2) × EraLength`.
        #[pallet::constant]
        type MaxSlashableEras: Get<u32>;

        /// Most unbonding chunks one member may have in one pool.
        #[pallet::constant]
        type MaxUnbondingChunks: Get<u32>;

        /// Most operators per role (the size of the sampling tree).
        #[pallet::constant]
        type MaxOperatorsPerRole: Get<u32>;

        /// How many recent eras' starting weights the sampler can read (security review §10).
        /// A draw reads the start of the newest era that began before its randomness could
        /// be known (BABE's randomness from one epoch ago: two epochs back), so this must be
        /// at least `1 + ⌈2 × epoch length / EraLength⌉`. Freed sampling slots wait this many
        /// eras before reuse.
        #[pallet::constant]
        type SnapshotEras: Get<u32>;

        /// Calls one worker key may make per rate window.
        #[pallet::constant]
        type WorkerCallsPerWindow: Get<u32>;

        /// Length of the worker rate window in blocks.
        #[pallet::constant]
        type WorkerRateWindow: Get<BlockNumberFor<Self>>;

        /// Most an operator may raise its commission in one change (a commission of 10 % may
        /// become at most 10 % plus this), as nomination pools bound each step with their
        /// `CommissionChangeRate`: delegators see a rise coming and can leave before the next.
        /// Lowering is never limited.
        #[pallet::constant]
        type MaxCommissionIncrease: Get<Perbill>;

        /// A worker key's signature over [`workers::worker_key_message`]: the proof that the
        /// operator registering the key holds it (the runtime uses `MultiSignature`).
        type WorkerProof: Parameter
            + frame_support::pallet_prelude::Member
            + sp_runtime::traits::Verify<
                Signer: sp_runtime::traits::IdentifyAccount<AccountId = Self::AccountId>,
            >;

        /// Makes worker keys and their proofs in benchmarks.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: crate::WorkerKeyBenchmarkHelper<Self::AccountId, Self::WorkerProof>;

        /// Weights of this pallet's calls and trait functions.
        type WeightInfo: WeightInfo;
    }

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// Bonded or unbonding stake (own stake and delegations alike).
        Staked,
    }

    /// Default commission bounds: 0 % to 100 %.
    #[pallet::type_value]
    pub fn DefaultCommissionBounds() -> (Perbill, Perbill) {
        (Perbill::zero(), Perbill::one())
    }

    /// Minimum stakes per role.
    #[pallet::storage]
    pub type MinStakes<T: Config> =
        StorageMap<_, Twox64Concat, Role, RoleMinimums<BalanceOf<T>>, ValueQuery>;

    /// Lowest and highest commission an operator may set.
    #[pallet::storage]
    pub type CommissionBounds<T: Config> =
        StorageValue<_, (Perbill, Perbill), ValueQuery, DefaultCommissionBounds>;

    /// Blocks an operator must wait between two commission changes.
    #[pallet::storage]
    pub type CommissionChangePeriod<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

    /// Blocks between unbonding and withdrawal.
    #[pallet::storage]
    pub type UnbondingPeriod<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

    /// Pools bound to an obligation (a committee seat, an alliance round): stake that leaves
    /// such a pool before the block stored here unlocks only an unbonding period after it, so
    /// that a slash dated at the draw still reaches it (security review §7). Set through
    /// [`StakingInterface::engage`](starling_primitives::staking::StakingInterface::engage);
    /// a past block binds nothing.
    #[pallet::storage]
    pub type BoundUntil<T: Config> =
        StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, Role, BlockNumberFor<T>>;

    /// Operators by account and role.
    #[pallet::storage]
    pub type Operators<T: Config> = StorageDoubleMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        Twox64Concat,
        Role,
        OperatorInfo<BlockNumberFor<T>>,
    >;

    /// Active part of each (operator, role) pool.
    #[pallet::storage]
    pub type Pools<T: Config> =
        StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, Role, Pool<BalanceOf<T>>>;

    /// Members of each pool: (operator, role, member).
    #[pallet::storage]
    pub type Members<T: Config> = StorageNMap<
        _,
        (
            NMapKey<Blake2_128Concat, T::AccountId>,
            NMapKey<Twox64Concat, Role>,
            NMapKey<Blake2_128Concat, T::AccountId>,
        ),
        MemberOf<T>,
    >;

    /// How many times each (operator, role) pool was slashed. A member whose `slashes_seen`
    /// differs owes a slash debt.
    #[pallet::storage]
    pub type SlashCount<T: Config> =
        StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, Role, u32, ValueQuery>;

    /// Unbonding stake of each pool by the era in which it started unbonding.
    #[pallet::storage]
    pub type UnbondingPools<T: Config> = StorageNMap<
        _,
        (
            NMapKey<Blake2_128Concat, T::AccountId>,
            NMapKey<Twox64Concat, Role>,
            NMapKey<Twox64Concat, u32>,
        ),
        UnbondingPool<BalanceOf<T>, BlockNumberFor<T>>,
    >;

    /// Operator owning each sampling slot (slots count from 1).
    #[pallet::storage]
    pub type SlotOwner<T: Config> =
        StorageDoubleMap<_, Twox64Concat, Role, Twox64Concat, u32, T::AccountId>;

    /// Weight recorded in each sampling slot.
    #[pallet::storage]
    pub type SlotWeight<T: Config> =
        StorageDoubleMap<_, Twox64Concat, Role, Twox64Concat, u32, u128, ValueQuery>;

    /// Fenwick (binary indexed) tree over slot weights, per role.
    #[pallet::storage]
    pub type WeightTree<T: Config> =
        StorageDoubleMap<_, Twox64Concat, Role, Twox64Concat, u32, u128, ValueQuery>;

    /// Sum of all slot weights, per role.
    #[pallet::storage]
    pub type TotalWeight<T: Config> = StorageMap<_, Twox64Concat, Role, u128, ValueQuery>;

    /// Points of each pool that do not earn rewards yet, by the era from which they do,
    /// oldest first (security review L9; see [`crate::joining`]).
    #[pallet::storage]
    pub type PendingJoins<T: Config> = StorageDoubleMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        Twox64Concat,
        Role,
        BoundedVec<crate::joining::PendingJoin, T::MaxSlashableEras>,
        ValueQuery,
    >;

    /// A member's points that do not earn rewards yet: (first era they earn in, points).
    #[pallet::storage]
    pub type MemberPending<T: Config> = StorageNMap<
        _,
        (
            NMapKey<Blake2_128Concat, T::AccountId>,
            NMapKey<Twox64Concat, Role>,
            NMapKey<Blake2_128Concat, T::AccountId>,
        ),
        (u32, u128),
    >;

    /// For pending points that began to earn in an era: the pool's reward per point at that
    /// moment, and how many members have not been settled since.
    #[pallet::storage]
    pub type EarningSince<T: Config> = StorageNMap<
        _,
        (
            NMapKey<Blake2_128Concat, T::AccountId>,
            NMapKey<Twox64Concat, Role>,
            NMapKey<Twox64Concat, u32>,
        ),
        (sp_core::U256, u32),
    >;

    /// Values of the sampling tree at the start of recent eras (see [`crate::snapshot`]):
    /// for each of the last `SnapshotEras` eras in which a value changed, newest first, the
    /// era and the value at its start.
    #[pallet::storage]
    pub type WeightHistory<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        Role,
        Twox64Concat,
        crate::snapshot::WeightKey,
        BoundedVec<(u32, u128), T::SnapshotEras>,
        ValueQuery,
    >;

    /// The era in which each free slot was freed: it is reused only `SnapshotEras` eras later.
    #[pallet::storage]
    pub type SlotFreedIn<T: Config> =
        StorageDoubleMap<_, Twox64Concat, Role, Twox64Concat, u32, u32>;

    /// Highest slot ever used, per role.
    #[pallet::storage]
    pub type SlotsUsed<T: Config> = StorageMap<_, Twox64Concat, Role, u32, ValueQuery>;

    /// Slots freed by departed operators, reused first.
    #[pallet::storage]
    pub type FreeSlots<T: Config> =
        StorageMap<_, Twox64Concat, Role, BoundedVec<u32, T::MaxOperatorsPerRole>, ValueQuery>;

    /// Operator of each worker key.
    #[pallet::storage]
    pub type Workers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId>;

    /// Worker key of each operator.
    #[pallet::storage]
    pub type WorkerOf<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId>;

    /// Rate-limit bookkeeping per operator (whatever worker key it uses, so that rotating the
    /// key does not renew the budget): start of the current window, calls made in it.
    #[pallet::storage]
    pub type WorkerUsage<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, (BlockNumberFor<T>, u32), ValueQuery>;

    /// Blocks that had room for worker calls, counted (security review §4): the entry of
    /// block `n` is how many blocks up to and including `n` ended with at least a tenth of the
    /// operational weight and length unused (see [`Pallet::had_room`]). Entries older than
    /// the slashable eras are removed.
    #[pallet::storage]
    pub type RoomyBlocks<T: Config> = StorageMap<_, Twox64Concat, BlockNumberFor<T>, u32>;

    /// Events of the staking pallet. Every field is documented.
    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// An account became an operator of a role.
        Bonded {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// Own stake bonded.
            amount: BalanceOf<T>,
            /// Its commission rate.
            commission: Perbill,
        },
        /// An operator added to its own stake.
        BondedExtra {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// Own stake added.
            amount: BalanceOf<T>,
        },
        /// An operator started unbonding own stake.
        Unbonded {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// Own stake unbonding.
            amount: BalanceOf<T>,
            /// The first block at which it may be withdrawn.
            unlock_at: BlockNumberFor<T>,
        },
        /// A delegator joined or topped up an operator's pool.
        Delegated {
            /// The delegator.
            delegator: T::AccountId,
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// Stake delegated.
            amount: BalanceOf<T>,
        },
        /// A delegator started unbonding a delegation.
        Undelegated {
            /// The delegator.
            delegator: T::AccountId,
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// Stake unbonding.
            amount: BalanceOf<T>,
            /// The first block at which it may be withdrawn.
            unlock_at: BlockNumberFor<T>,
        },
        /// Unbonded stake was released to its owner.
        Withdrawn {
            /// The member (the operator itself or a delegator).
            who: T::AccountId,
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// Stake released.
            amount: BalanceOf<T>,
        },
        /// An operator withdrew its last stake of a role and is no longer an operator of it.
        OperatorLeft {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
        },
        /// A member collected its rewards.
        Claimed {
            /// The member (the operator itself or a delegator).
            who: T::AccountId,
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// Rewards collected.
            amount: BalanceOf<T>,
        },
        /// An operator locked its own stake.
        Locked {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// Days locked.
            days: u32,
            /// The last block it holds.
            until: BlockNumberFor<T>,
        },
        /// An operator changed its commission.
        CommissionSet {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// The new commission rate.
            commission: Perbill,
        },
        /// Another pallet froze an operator's commission.
        CommissionFrozen {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// The last block it holds.
            until: BlockNumberFor<T>,
        },
        /// Another pallet bound an operator's pool to an obligation: stake leaving it unlocks
        /// no earlier than an unbonding period after `until`.
        StakeBound {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// The last block of the obligation.
            until: BlockNumberFor<T>,
        },
        /// An operator registered or rotated its worker key.
        WorkerSet {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The worker key's account.
            worker: T::AccountId,
            /// The worker key it replaced, if any.
            previous: Option<T::AccountId>,
        },
        /// An operator removed its worker key.
        WorkerRemoved {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The worker key's account.
            worker: T::AccountId,
        },
        /// A pool was rewarded: `commission` went to the operator, `to_pool` to the members.
        Rewarded {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// What went to the operator as commission.
            commission: BalanceOf<T>,
            /// What went to the pool's members.
            to_pool: BalanceOf<T>,
        },
        /// Governance paid `amount` from the treasury into `operator`'s pool for `role` (it
        /// follows the `Rewarded` event that shows the split).
        RewardGranted {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// What governance paid.
            amount: BalanceOf<T>,
        },
        /// A pool was slashed by `fraction`; its value fell by `amount`.
        Slashed {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// The fraction of the pool slashed.
            fraction: Perbill,
            /// What the pool lost.
            amount: BalanceOf<T>,
            /// Why it was slashed.
            reason: SlashReason,
        },
        /// A member's slash debt moved from its hold to the treasury.
        SlashPaid {
            /// The member (the operator itself or a delegator).
            who: T::AccountId,
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// What moved to the treasury.
            amount: BalanceOf<T>,
        },
        /// A member's slash debt could not be paid to the treasury and was burned instead.
        SlashBurned {
            /// The member (the operator itself or a delegator).
            who: T::AccountId,
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// What was burned.
            amount: BalanceOf<T>,
        },
        /// An operator's sampling weight was recomputed.
        WeightRefreshed {
            /// The operator (whose pool it is).
            operator: T::AccountId,
            /// The role.
            role: Role,
            /// The new sampling weight.
            weight: u128,
        },
        /// Governance set a role's minimum stakes.
        MinStakeSet {
            /// The role.
            role: Role,
            /// The minimum operator's own stake.
            operator: BalanceOf<T>,
            /// The minimum delegation.
            delegation: BalanceOf<T>,
        },
        /// Governance set the commission bounds.
        CommissionBoundsSet {
            /// The lowest commission allowed.
            min: Perbill,
            /// The highest commission allowed.
            max: Perbill,
        },
        /// Governance set the unbonding period.
        UnbondingPeriodSet {
            /// The period, in blocks.
            blocks: BlockNumberFor<T>,
        },
        /// Governance set the commission change period.
        CommissionChangePeriodSet {
            /// The period, in blocks.
            blocks: BlockNumberFor<T>,
        },
    }

    /// Errors of the staking pallet.
    #[pallet::error]
    pub enum Error<T> {
        /// The account already operates this role; use `bond_extra`.
        AlreadyBonded,
        /// The account does not operate this role.
        NotBonded,
        /// The amount is zero.
        ZeroAmount,
        /// The operator's own stake would be below the role's minimum.
        BelowMinimumStake,
        /// The delegation would be below the role's minimum.
        BelowMinimumDelegation,
        /// The free balance cannot cover the amount.
        InsufficientFunds,
        /// The commission is outside the governance bounds.
        CommissionOutOfBounds,
        /// The commission was changed (or the operator bonded) too recently.
        CommissionChangeTooSoon,
        /// The new commission is higher than the current one plus `MaxCommissionIncrease`.
        CommissionIncreaseTooLarge,
        /// Another pallet froze the commission (e.g. near a task's end).
        CommissionFrozen,
        /// The role already has the most operators allowed.
        TooManyOperators,
        /// The pool was slashed to nothing; it takes no new stake.
        PoolDepleted,
        /// The target is not an operator of this role.
        NotAnOperator,
        /// The operator's own stake is below the minimum; it takes no delegations.
        OperatorInactive,
        /// Operators add to their own pool with `bond_extra` / `unbond`.
        CannotDelegateToSelf,
        /// The account has no stake in this pool.
        NotAMember,
        /// The amount is worth nothing at the pool's current rate.
        NothingToUnbond,
        /// The member has too many unbonding chunks; withdraw some first.
        TooManyUnbondingChunks,
        /// The operator's own stake is time-locked.
        StakeLocked,
        /// No unbonding chunk has reached the end of its unbonding period.
        NothingToWithdraw,
        /// The member has no rewards to claim.
        NothingToClaim,
        /// The reward pot cannot pay (it should always be able to).
        RewardPotInsufficient,
        /// The lock is shorter than one day.
        LockTooShort,
        /// The lock is longer than 365 days.
        LockTooLong,
        /// The lock would end before the current lock; locks can only be extended.
        LockCannotShorten,
        /// The worker key is already registered.
        WorkerAlreadyRegistered,
        /// The proof is not the worker key's signature over `(operator, genesis hash)`.
        BadWorkerProof,
        /// An operator cannot be its own worker key.
        WorkerIsOperator,
        /// The operator has no worker key.
        NoWorker,
        /// The key is not a registered worker key.
        UnknownWorker,
        /// The worker made too many calls in the current rate window.
        WorkerRateLimited,
        /// The member owes no slash.
        NoPendingSlash,
        /// The minimum commission exceeds the maximum.
        InvalidCommissionBounds,
        /// The unbonding period must be at least one block.
        UnbondingPeriodZero,
        /// The unbonding period is longer than the slashable eras cover.
        UnbondingPeriodTooLong,
        /// The payer cannot fund the reward.
        RewardPayerInsufficient,
        /// The treasury cannot pay the grant and stay alive.
        TreasuryInsufficient,
        /// The pool has stake waiting to earn in too many different eras; join again later.
        TooManyPendingJoins,
    }

    /// Initial protocol parameters and operators.
    #[pallet::genesis_config]
    pub struct GenesisConfig<T: Config> {
        /// Minimum stakes: (role, operator minimum, delegation minimum).
        pub min_stakes: Vec<(Role, BalanceOf<T>, BalanceOf<T>)>,
        /// Commission bounds (min, max); `None` keeps (0 %, 100 %).
        pub commission_bounds: Option<(Perbill, Perbill)>,
        /// Blocks between two commission changes.
        pub commission_change_period: BlockNumberFor<T>,
        /// Blocks between unbonding and withdrawal; must be non-zero.
        pub unbonding_period: BlockNumberFor<T>,
        /// Operators bonded at genesis: (account, role, stake, commission).
        pub operators: Vec<(T::AccountId, Role, BalanceOf<T>, Perbill)>,
    }

    impl<T: Config> Default for GenesisConfig<T> {
        fn default() -> Self {
            Self {
                min_stakes: Vec::new(),
                commission_bounds: None,
                commission_change_period: Zero::zero(),
                // One era: the shortest sensible default; presets set the real value.
                unbonding_period: T::EraLength::get(),
                operators: Vec::new(),
            }
        }
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            for (role, operator, delegation) in &self.min_stakes {
                MinStakes::<T>::insert(
                    role,
                    RoleMinimums { operator: *operator, delegation: *delegation },
                );
            }
            if let Some(bounds) = self.commission_bounds {
                assert!(bounds.0 <= bounds.1, "commission bounds: min > max");
                CommissionBounds::<T>::put(bounds);
            }
            CommissionChangePeriod::<T>::put(self.commission_change_period);
            assert!(!self.unbonding_period.is_zero(), "unbonding period must be non-zero");
            assert!(
                self.unbonding_period <= Pallet::<T>::max_unbonding_period(),
                "unbonding period longer than the slashable eras"
            );
            UnbondingPeriod::<T>::put(self.unbonding_period);
            // The reward pot and the treasury must exist to receive amounts below the
            // existential deposit.
            let ed = T::Currency::minimum_balance();
            for account in [Pallet::<T>::reward_pot(), T::Treasury::get()] {
                if T::Currency::balance(&account).is_zero() {
                    assert!(T::Currency::mint_into(&account, ed).is_ok(), "cannot fund account");
                }
            }
            for (who, role, amount, commission) in &self.operators {
                assert!(
                    Pallet::<T>::do_bond(who, *role, *amount, *commission).is_ok(),
                    "genesis operator cannot bond"
                );
            }
        }
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn integrity_test() {
            assert!(!T::EraLength::get().is_zero(), "EraLength must be non-zero");
            assert!(!T::BlocksPerDay::get().is_zero(), "BlocksPerDay must be non-zero");
            assert!(T::MaxSlashableEras::get() >= 3, "MaxSlashableEras must be at least 3");
            assert!(T::MaxOperatorsPerRole::get() > 0, "MaxOperatorsPerRole must be non-zero");
            assert!(T::MaxUnbondingChunks::get() > 0, "MaxUnbondingChunks must be non-zero");
            assert!(T::SnapshotEras::get() >= 2, "SnapshotEras must be at least 2");
        }

        fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
            // `on_finalize` records whether the block had room for worker calls.
            T::DbWeight::get().reads_writes(1, 2)
        }

        fn on_finalize(n: BlockNumberFor<T>) {
            Self::note_room(n);
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Become an operator of `role` with `amount` of own stake (held, not transferred) and
        /// commission `commission`.
        ///
        /// Emits `Bonded`. Errors: `AlreadyBonded`, `ZeroAmount`, `BelowMinimumStake`,
        /// `CommissionOutOfBounds`, `TooManyOperators`, `PoolDepleted`, `InsufficientFunds`.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::bond().saturating_add(Pallet::<T>::unmeasured_weight()))]
        pub fn bond(
            origin: OriginFor<T>,
            role: Role,
            #[pallet::compact] amount: BalanceOf<T>,
            commission: Perbill,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_bond(&who, role, amount, commission)
        }

        /// Add `amount` to the caller's own stake for `role`.
        ///
        /// Emits `BondedExtra`. Errors: `NotBonded`, `ZeroAmount`, `PoolDepleted`,
        /// `InsufficientFunds`.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::bond_extra().saturating_add(Pallet::<T>::unmeasured_weight()))]
        pub fn bond_extra(
            origin: OriginFor<T>,
            role: Role,
            #[pallet::compact] amount: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_bond_extra(&who, role, amount)
        }

        /// Start unbonding `amount` of the caller's own stake for `role` (all of it if
        /// `amount` exceeds it).
        ///
        /// Emits `Unbonded`. Errors: `NotBonded`, `ZeroAmount`, `StakeLocked`,
        /// `BelowMinimumStake` (a remainder must be zero or at least the minimum),
        /// `NothingToUnbond`, `TooManyUnbondingChunks`.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::unbond().saturating_add(Pallet::<T>::unmeasured_weight()))]
        pub fn unbond(
            origin: OriginFor<T>,
            role: Role,
            #[pallet::compact] amount: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_unbond(&who, role, amount)
        }

        /// Delegate `amount` to `operator`'s pool for `role`.
        ///
        /// Emits `Delegated`. Errors: `ZeroAmount`, `CannotDelegateToSelf`, `NotAnOperator`,
        /// `OperatorInactive`, `BelowMinimumDelegation`, `PoolDepleted`,
        /// `InsufficientFunds`.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::delegate().saturating_add(Pallet::<T>::unmeasured_weight()))]
        pub fn delegate(
            origin: OriginFor<T>,
            operator: T::AccountId,
            role: Role,
            #[pallet::compact] amount: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_delegate(&who, &operator, role, amount)
        }

        /// Start unbonding `amount` of the caller's delegation to `operator` for `role` (all
        /// of it if `amount` exceeds it).
        ///
        /// Emits `Undelegated`. Errors: `ZeroAmount`, `CannotDelegateToSelf`, `NotAMember`,
        /// `BelowMinimumDelegation`, `NothingToUnbond`, `TooManyUnbondingChunks`.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::undelegate().saturating_add(Pallet::<T>::unmeasured_weight()))]
        pub fn undelegate(
            origin: OriginFor<T>,
            operator: T::AccountId,
            role: Role,
            #[pallet::compact] amount: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_undelegate(&who, &operator, role, amount)
        }

        /// Release the caller's unbonding chunks in `operator`'s pool for `role` whose
        /// unbonding period has passed (the caller's own pool when `operator` is the caller).
        /// Leaving the pool entirely also pays out unclaimed rewards.
        ///
        /// Emits `Withdrawn` (and `Claimed`, `OperatorLeft` when they apply). Errors:
        /// `NotAMember`, `NothingToWithdraw`.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::withdraw_unbonded().saturating_add(Pallet::<T>::unmeasured_weight()))]
        pub fn withdraw_unbonded(
            origin: OriginFor<T>,
            operator: T::AccountId,
            role: Role,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_withdraw_unbonded(&who, &operator, role)
        }

        /// Collect the caller's rewards from `operator`'s pool for `role`.
        ///
        /// Emits `Claimed`. Errors: `NotAMember`, `NothingToClaim`, `RewardPotInsufficient`.
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::claim().saturating_add(Pallet::<T>::joining_weight()))]
        pub fn claim(origin: OriginFor<T>, operator: T::AccountId, role: Role) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_claim(&who, &operator, role)
        }

        /// Lock the caller's own stake for `role` for `days` days from now, raising its pool's
        /// weight by the time-lock multiplier. Extends an existing lock; never shortens it.
        ///
        /// Emits `Locked`. Errors: `NotBonded`, `LockTooShort`, `LockTooLong`,
        /// `LockCannotShorten`.
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::lock().saturating_add(Pallet::<T>::unmeasured_weight()))]
        pub fn lock(origin: OriginFor<T>, role: Role, days: u32) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_lock(&who, role, days)
        }

        /// Set the caller's commission for `role`: at most once per commission change period
        /// (counted from bonding, then from the last change), and up by at most
        /// `MaxCommissionIncrease` at a time.
        ///
        /// Emits `CommissionSet`. Errors: `NotBonded`, `CommissionOutOfBounds`,
        /// `CommissionFrozen`, `CommissionChangeTooSoon`, `CommissionIncreaseTooLarge`.
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::set_commission())]
        pub fn set_commission(
            origin: OriginFor<T>,
            role: Role,
            commission: Perbill,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_set_commission(&who, role, commission)
        }

        /// Register `worker` as the caller's worker key, replacing any previous one.
        ///
        /// - `origin`: the operator (an operator of at least one role).
        /// - `worker`: the worker key (its node's off-chain workers sign with it).
        /// - `proof`: the worker key's signature over [`workers::worker_key_message`], i.e.
        ///   `SCALE(("starling/worker-key/v1", operator, genesis hash))`, so that nobody can
        ///   register a key it does not hold, nor replay a proof made for another chain.
        ///
        /// The fee-free call budget belongs to the operator and is not renewed by rotation.
        ///
        /// Emits `WorkerSet`. Errors: `NotAnOperator`, `WorkerIsOperator`, `BadWorkerProof`,
        /// `WorkerAlreadyRegistered`.
        #[pallet::call_index(9)]
        #[pallet::weight(T::WeightInfo::set_worker())]
        pub fn set_worker(
            origin: OriginFor<T>,
            worker: T::AccountId,
            proof: T::WorkerProof,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_set_worker(&who, worker, &proof)
        }

        /// Remove the caller's worker key.
        ///
        /// Emits `WorkerRemoved`. Errors: `NoWorker`.
        #[pallet::call_index(10)]
        #[pallet::weight(T::WeightInfo::remove_worker())]
        pub fn remove_worker(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_remove_worker(&who)
        }

        /// Move `member`'s pending slash debt in `operator`'s pool for `role` to the treasury.
        /// Anyone may call it.
        ///
        /// Emits `SlashPaid` (or `SlashBurned`). Errors: `NotAMember`, `NoPendingSlash`.
        #[pallet::call_index(11)]
        #[pallet::weight(T::WeightInfo::apply_slash().saturating_add(Pallet::<T>::unmeasured_weight()))]
        pub fn apply_slash(
            origin: OriginFor<T>,
            member: T::AccountId,
            operator: T::AccountId,
            role: Role,
        ) -> DispatchResult {
            ensure_signed(origin)?;
            Self::do_apply_slash(&member, &operator, role)
        }

        /// Recompute `operator`'s sampling weight for `role` (e.g. after its lock ended or a
        /// minimum changed). Anyone may call it.
        ///
        /// Emits `WeightRefreshed`. Errors: `NotAnOperator`.
        #[pallet::call_index(12)]
        #[pallet::weight(T::WeightInfo::refresh_weight().saturating_add(Pallet::<T>::unmeasured_weight()))]
        pub fn refresh_weight(
            origin: OriginFor<T>,
            operator: T::AccountId,
            role: Role,
        ) -> DispatchResult {
            ensure_signed(origin)?;
            ensure!(Operators::<T>::contains_key(&operator, role), Error::<T>::NotAnOperator);
            let weight = Self::update_weight(&operator, role);
            Self::deposit_event(Event::WeightRefreshed { operator, role, weight });
            Ok(())
        }

        /// Governance: set the minimum own stake of operators and the minimum delegation for
        /// `role`. Takes effect for each operator at its next change or `refresh_weight`.
        ///
        /// Emits `MinStakeSet`. Errors: `BadOrigin`.
        #[pallet::call_index(20)]
        #[pallet::weight(T::WeightInfo::set_min_stake())]
        pub fn set_min_stake(
            origin: OriginFor<T>,
            role: Role,
            operator: BalanceOf<T>,
            delegation: BalanceOf<T>,
        ) -> DispatchResult {
            T::AdminOrigin::ensure_origin(origin)?;
            MinStakes::<T>::insert(role, RoleMinimums { operator, delegation });
            Self::deposit_event(Event::MinStakeSet { role, operator, delegation });
            Ok(())
        }

        /// Governance: set the commission bounds. Existing commissions outside them stay until
        /// their operators change them.
        ///
        /// Emits `CommissionBoundsSet`. Errors: `BadOrigin`, `InvalidCommissionBounds`.
        #[pallet::call_index(21)]
        #[pallet::weight(T::WeightInfo::set_commission_bounds())]
        pub fn set_commission_bounds(
            origin: OriginFor<T>,
            min: Perbill,
            max: Perbill,
        ) -> DispatchResult {
            T::AdminOrigin::ensure_origin(origin)?;
            ensure!(min <= max, Error::<T>::InvalidCommissionBounds);
            CommissionBounds::<T>::put((min, max));
            Self::deposit_event(Event::CommissionBoundsSet { min, max });
            Ok(())
        }

        /// Governance: set the unbonding period for chunks started from now on.
        ///
        /// Emits `UnbondingPeriodSet`. Errors: `BadOrigin`, `UnbondingPeriodZero`,
        /// `UnbondingPeriodTooLong`.
        #[pallet::call_index(22)]
        #[pallet::weight(T::WeightInfo::set_unbonding_period())]
        pub fn set_unbonding_period(
            origin: OriginFor<T>,
            blocks: BlockNumberFor<T>,
        ) -> DispatchResult {
            T::AdminOrigin::ensure_origin(origin)?;
            ensure!(!blocks.is_zero(), Error::<T>::UnbondingPeriodZero);
            ensure!(blocks <= Self::max_unbonding_period(), Error::<T>::UnbondingPeriodTooLong);
            UnbondingPeriod::<T>::put(blocks);
            Self::deposit_event(Event::UnbondingPeriodSet { blocks });
            Ok(())
        }

        /// Governance: set how many blocks must pass between two commission changes.
        ///
        /// Emits `CommissionChangePeriodSet`. Errors: `BadOrigin`.
        #[pallet::call_index(23)]
        #[pallet::weight(T::WeightInfo::set_commission_change_period())]
        pub fn set_commission_change_period(
            origin: OriginFor<T>,
            blocks: BlockNumberFor<T>,
        ) -> DispatchResult {
            T::AdminOrigin::ensure_origin(origin)?;
            CommissionChangePeriod::<T>::put(blocks);
            Self::deposit_event(Event::CommissionChangePeriodSet { blocks });
            Ok(())
        }

        /// Governance: pay `amount` from the treasury into `operator`'s pool for `role`, as
        /// another pallet's `reward` would: the operator's commission at once, the rest to the
        /// pool's members pro rata to their points (claimable). O(1) in the number of members.
        /// The treasury is kept alive.
        ///
        /// Emits `Rewarded` then `RewardGranted`. Errors: `BadOrigin`, `ZeroAmount`,
        /// `NotAnOperator`, `OperatorInactive`, `TreasuryInsufficient`.
        #[pallet::call_index(24)]
        #[pallet::weight(T::WeightInfo::grant_reward().saturating_add(Pallet::<T>::joining_weight()))]
        pub fn grant_reward(
            origin: OriginFor<T>,
            operator: T::AccountId,
            role: Role,
            #[pallet::compact] amount: BalanceOf<T>,
        ) -> DispatchResult {
            T::AdminOrigin::ensure_origin(origin)?;
            Self::do_grant_reward(&operator, role, amount)
        }
    }
}
