//! The marketplace's off-chain worker. For every worker key in the node's keystore:
//!
//! * whose operator **hosts** lines: reads the vouchers the node's `marketplace_predict` RPC
//!   kept for each hosted line (persistent off-chain storage, see below), submits a
//!   [`crate::Pallet::claim`] with those that would pay now (at most every [`CLAIM_EVERY`]
//!   blocks per line), and prunes the vouchers that are claimed in full;
//! * whose operator is an active **validator**: once per quality period, scores every hosted
//!   version that has evaluation data with the ML engine and submits
//!   [`crate::Pallet::report_quality`].
//!
//! Every action is logged (target [`LOG_TARGET`]).
//!
//! ## The voucher store of a (line, host)
//!
//! Persistent off-chain storage, shared by the host node (its RPC writes) and this worker:
//!
//! * [`user_voucher_key`]`(line, host, user)` → SCALE `SignedVoucher`: the latest voucher the
//!   node served `user` with. Written by the RPC; removed by the worker once `Claimed` on
//!   chain reaches its `calls` (or when it can never pay: bad signature, another host).
//! * [`voucher_index_key`]`(line, host)` → [`VoucherIndex`]: the live index pages
//!   `first .. end`;
//! * [`voucher_page_key`]`(line, host, page)` → SCALE `Vec<AccountId>`: at most
//!   [`VOUCHER_PAGE_SIZE`] users. Every user with a kept voucher is listed (a user may be
//!   listed twice, or listed without a voucher, after a crash: both are harmless). The RPC
//!   appends a user when it keeps the user's first voucher (before writing it); the worker
//!   drops pruned users, moves users whose voucher cannot pay now (escrow, price) to the back,
//!   and advances `first` over removed pages. Off-chain storage cannot be iterated from the
//!   runtime, hence the index.
//! * [`voucher_lock_key`]`(line, host)`: a [`StorageLock`] (deadline in unix milliseconds,
//!   [`VOUCHER_LOCK_MS`] ahead) that both writers hold while they change voucher entries and
//!   index pages of the (line, host). The node holds it for a few database operations per
//!   paid call, the worker for one tidy pass; the worker only reads without it.
//!
//! Each claim turn the worker reads at most [`SCAN_PAGES`] index pages from the front, checks
//! at most [`MAX_CHECKS`] signatures, and stops once it has [`MAX_VOUCHERS_PER_CLAIM`] payable
//! vouchers; vouchers already claimed in full are recognised from `Claimed` without checking
//! their signature.

use crate::{
    pallet::*,
    types::*,
    worker::{ClaimPayload, QualityPayload},
};
use alloc::{collections::BTreeSet, vec::Vec};
use codec::{Decode, Encode};
use frame_support::BoundedVec;
use frame_system::{offchain::AppCrypto, pallet_prelude::BlockNumberFor};
use sp_runtime::{
    offchain::{
        storage_lock::{StorageLock, Time},
        Duration, StorageKind,
    },
    traits::{IdentifyAccount, SaturatedConversion},
    RuntimeAppPublic,
};
use starling_ml_interface::EvaluateRequest;
use starling_primitives::{staking::StakingInterface, Role};
use starling_support::agent::{self, RETRY_AFTER};

/// Log target of every line the worker writes.
pub const LOG_TARGET: &str = "starling::marketplace";

/// Blocks between two claims of one host for one line (a quality report is retried after
/// [`RETRY_AFTER`] blocks, as every worker action).
pub const CLAIM_EVERY: u32 = 5;

/// Users listed per index page.
pub const VOUCHER_PAGE_SIZE: usize = 64;

/// How long the voucher-store lock of a (line, host) stays valid once taken (milliseconds):
/// a holder that dies holding it frees it after this.
pub const VOUCHER_LOCK_MS: u64 = 2_000;

/// Index pages (present or removed) the worker reads per claim turn.
pub const SCAN_PAGES: u32 = 8;

/// Voucher signatures the worker checks per claim turn.
pub const MAX_CHECKS: usize = 128;

/// Before per-user entries, the node kept all vouchers of a (line, host) as one SCALE
/// `Vec<SignedVoucher>` under this key. The worker moves such a list into the per-user store
/// (the vouchers that are not claimed in full) and removes it.
pub fn voucher_key<AccountId: Encode>(line: LineId, host: &AccountId) -> Vec<u8> {
    (b"starling::marketplace::vouchers", line, host).encode()
}

/// Persistent off-chain key of the latest voucher `host`'s node served `user` with on `line`:
/// SCALE `SignedVoucher`.
pub fn user_voucher_key<AccountId: Encode>(
    line: LineId,
    host: &AccountId,
    user: &AccountId,
) -> Vec<u8> {
    (b"starling::marketplace::voucher-entry", line, host, user).encode()
}

/// Persistent off-chain key of the [`VoucherIndex`] of (`line`, `host`).
pub fn voucher_index_key<AccountId: Encode>(line: LineId, host: &AccountId) -> Vec<u8> {
    (b"starling::marketplace::voucher-index", line, host).encode()
}

/// Persistent off-chain key of index page `page` of (`line`, `host`): SCALE `Vec<AccountId>`.
pub fn voucher_page_key<AccountId: Encode>(line: LineId, host: &AccountId, page: u32) -> Vec<u8> {
    (b"starling::marketplace::voucher-page", line, host, page).encode()
}

/// Persistent off-chain key of the lock over the voucher store of (`line`, `host`): a SCALE
/// `u64` deadline in unix milliseconds, as [`StorageLock<Time>`] keeps it.
pub fn voucher_lock_key<AccountId: Encode>(line: LineId, host: &AccountId) -> Vec<u8> {
    (b"starling::marketplace::voucher-lock", line, host).encode()
}

/// The index of a (line, host): pages `first .. end` may list users (a page in the range may
/// have been removed).
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug, Encode, Decode)]
pub struct VoucherIndex {
    /// The first page that may still list users.
    pub first: u32,
    /// One past the last page.
    pub end: u32,
}

/// Raw access to the persistent off-chain store, as the worker ([`WorkerStore`]) and the
/// host node (its off-chain database) see it.
pub trait Store {
    /// The value under `key`.
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// Sets the value under `key`.
    fn set(&mut self, key: &[u8], value: &[u8]);
    /// Removes `key`.
    fn remove(&mut self, key: &[u8]);
}

/// The worker's persistent off-chain storage.
pub struct WorkerStore;

impl Store for WorkerStore {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, key)
    }
    fn set(&mut self, key: &[u8], value: &[u8]) {
        sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, key, value)
    }
    fn remove(&mut self, key: &[u8]) {
        sp_io::offchain::local_storage_clear(StorageKind::PERSISTENT, key)
    }
}

fn read<V: Decode>(store: &impl Store, key: &[u8]) -> Option<V> {
    store.get(key).and_then(|bytes| V::decode(&mut &bytes[..]).ok())
}

/// Lists `users` at the end of the index of (`line`, `host`): fills the last page, then adds
/// pages, then records the new end. The caller holds the store lock. Returns `false`, having
/// written nothing, when the page numbers are exhausted.
pub fn append_to_index<A: Encode + Decode>(
    store: &mut impl Store,
    line: LineId,
    host: &A,
    users: Vec<A>,
) -> bool {
    if users.is_empty() {
        return true;
    }
    let index_key = voucher_index_key(line, host);
    let mut index: VoucherIndex = read(store, &index_key).unwrap_or_default();
    let last = index.end.checked_sub(1).filter(|last| *last >= index.first);
    let mut last_page: Vec<A> = last
        .map(|last| read(store, &voucher_page_key(line, host, last)).unwrap_or_default())
        .unwrap_or_default();
    let room = if last.is_some() { VOUCHER_PAGE_SIZE.saturating_sub(last_page.len()) } else { 0 };
    let new_pages = users.len().saturating_sub(room).div_ceil(VOUCHER_PAGE_SIZE);
    let Some(new_end) = u32::try_from(new_pages).ok().and_then(|n| index.end.checked_add(n)) else {
        return false;
    };
    let mut users = users.into_iter();
    if let Some(last) = last.filter(|_| room > 0) {
        last_page.extend(users.by_ref().take(room));
        store.set(&voucher_page_key(line, host, last), &last_page.encode());
    }
    let mut page = index.end;
    loop {
        let chunk: Vec<A> = users.by_ref().take(VOUCHER_PAGE_SIZE).collect();
        if chunk.is_empty() {
            break;
        }
        store.set(&voucher_page_key(line, host, page), &chunk.encode());
        page = page.saturating_add(1);
    }
    index.end = new_end;
    store.set(&index_key, &index.encode());
    true
}

/// How the worker judged one kept voucher (see [`scan`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fate {
    /// Claimed in full on chain: prune it (no signature checked).
    Settled,
    /// Not examined (no check left, or enough payable vouchers): keep it.
    Unchecked,
    /// Checked: it pays now.
    Payable,
    /// Checked: it does not pay now but may later (escrow, price, hosting).
    Later,
    /// Checked: it can never pay (signature, another host, already claimed): prune it.
    Never,
}

/// What the tidy pass does with one listing.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Action {
    /// Leave it.
    Keep,
    /// Move it to the back of the index (unless it is on the last page).
    Later,
    /// Remove the entry if it still holds these bytes (or is still absent), and the listing.
    Prune(Option<Vec<u8>>),
    /// A second listing of a user seen earlier in the scan: remove the listing only.
    Duplicate,
}

/// What one claim turn found in the voucher store of a (line, host).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Scan<A, V> {
    /// Vouchers that pay now, at most the `max_payable` asked for.
    pub payable: Vec<V>,
    /// The pages read, each with its listings in order and what to do with them.
    pub pages: Vec<(u32, Vec<(A, Action)>)>,
    /// Pages of the range found removed.
    pub removed_pages: u32,
}

impl<A, V> Scan<A, V> {
    /// Whether the tidy pass has something to do.
    pub fn needs_tidy(&self) -> bool {
        self.removed_pages > 0
            || self
                .pages
                .iter()
                .any(|(_, listings)| listings.iter().any(|(_, action)| *action != Action::Keep))
    }
}

/// Reads the voucher store of (`line`, `host`) from the front of its index, at most
/// [`SCAN_PAGES`] pages, judging each kept voucher with `judge(user, voucher, may_check)`
/// (`may_check`: whether a signature check is still allowed; when it is not, `judge` answers
/// [`Fate::Settled`] or [`Fate::Unchecked`]). Stops after the page where the checks run out
/// or `max_payable` vouchers are found. A voucher that does not decode, or is not the listed
/// user's for this line and host (`owned`), is pruned. Writes nothing.
pub fn scan<A, V, S, F, O>(
    store: &S,
    line: LineId,
    host: &A,
    max_payable: usize,
    max_checks: usize,
    owned: O,
    mut judge: F,
) -> Scan<A, V>
where
    A: Encode + Decode + Ord + Clone,
    V: Decode + Clone,
    S: Store,
    O: Fn(&A, &V) -> bool,
    F: FnMut(&A, &V, bool) -> Fate,
{
    let mut found = Scan { payable: Vec::new(), pages: Vec::new(), removed_pages: 0 };
    let Some(index) = read::<VoucherIndex>(store, &voucher_index_key(line, host)) else {
        return found;
    };
    let mut seen = BTreeSet::new();
    let mut checks = 0usize;
    let mut page = index.first;
    let mut read_pages = 0u32;
    while page < index.end && read_pages < SCAN_PAGES {
        read_pages = read_pages.saturating_add(1);
        let Some(users) = read::<Vec<A>>(store, &voucher_page_key(line, host, page)) else {
            found.removed_pages = found.removed_pages.saturating_add(1);
            page = page.saturating_add(1);
            continue;
        };
        let mut listings = Vec::with_capacity(users.len());
        for user in users {
            if !seen.insert(user.clone()) {
                listings.push((user, Action::Duplicate));
                continue;
            }
            let bytes = store.get(&user_voucher_key(line, host, &user));
            let Some(kept) = bytes.as_ref().and_then(|b| V::decode(&mut &b[..]).ok()) else {
                listings.push((user, Action::Prune(bytes)));
                continue;
            };
            if !owned(&user, &kept) {
                listings.push((user, Action::Prune(bytes)));
                continue;
            }
            let may_check = checks < max_checks && found.payable.len() < max_payable;
            let fate = judge(&user, &kept, may_check);
            if may_check && matches!(fate, Fate::Payable | Fate::Later | Fate::Never) {
                checks = checks.saturating_add(1);
            }
            let action = match fate {
                Fate::Settled | Fate::Never => Action::Prune(bytes),
                Fate::Payable if may_check => {
                    found.payable.push(kept);
                    Action::Keep
                },
                Fate::Later if may_check => Action::Later,
                Fate::Unchecked | Fate::Payable | Fate::Later => Action::Keep,
            };
            listings.push((user, action));
        }
        found.pages.push((page, listings));
        if checks >= max_checks || found.payable.len() >= max_payable {
            break;
        }
        page = page.saturating_add(1);
    }
    found
}

/// Applies what [`scan`] found, holding the store lock: first lists the users to move at the
/// back (so that a crash leaves them listed twice rather than not at all), then rewrites each
/// page read (only if it still starts with what was read: users appended since are kept),
/// removing pruned entries that are unchanged since the scan and emptied pages, and finally
/// advances the index over removed pages (removing the index when none is left).
pub fn tidy<A, V>(store: &mut impl Store, line: LineId, host: &A, found: &Scan<A, V>)
where
    A: Encode + Decode + PartialEq + Clone,
{
    let Some(mut index) = read::<VoucherIndex>(store, &voucher_index_key(line, host)) else {
        return;
    };
    let last = index.end.checked_sub(1);
    let movable = |page: u32| Some(page) != last;
    let moved: Vec<A> = found
        .pages
        .iter()
        .filter(|(page, _)| movable(*page))
        .flat_map(|(_, listings)| listings.iter())
        .filter(|(_, action)| *action == Action::Later)
        .map(|(user, _)| user.clone())
        .collect();
    let moved_ok = append_to_index(store, line, host, moved);
    for (page, listings) in &found.pages {
        let key = voucher_page_key(line, host, *page);
        let Some(current) = read::<Vec<A>>(store, &key) else { continue };
        let unchanged = current.len() >= listings.len()
            && current.iter().zip(listings.iter()).all(|(now, (then, _))| now == then);
        if !unchanged {
            continue;
        }
        let before = current.len();
        let mut kept = Vec::with_capacity(before);
        let mut tail = current.into_iter();
        for ((user, action), _) in listings.iter().zip(tail.by_ref()) {
            let keep = match action {
                Action::Keep => true,
                Action::Later => !(moved_ok && movable(*page)),
                Action::Duplicate => false,
                Action::Prune(bytes) => {
                    let entry_key = user_voucher_key(line, host, user);
                    if store.get(&entry_key) == *bytes {
                        if bytes.is_some() {
                            store.remove(&entry_key);
                        }
                        false
                    } else {
                        true
                    }
                },
            };
            if keep {
                kept.push(user.clone());
            }
        }
        kept.extend(tail);
        if kept.is_empty() {
            store.remove(&key);
        } else if kept.len() != before {
            store.set(&key, &kept.encode());
        }
    }
    // Advance over removed pages at the front (at most the pages read, plus those moved to).
    index = read(store, &voucher_index_key(line, host)).unwrap_or(index);
    let mut steps = SCAN_PAGES.saturating_mul(2);
    while index.first < index.end
        && steps > 0
        && store.get(&voucher_page_key(line, host, index.first)).is_none()
    {
        index.first = index.first.saturating_add(1);
        steps = steps.saturating_sub(1);
    }
    if index.first >= index.end {
        store.remove(&voucher_index_key(line, host));
    } else {
        store.set(&voucher_index_key(line, host), &index.encode());
    }
}

fn marker_key(what: &[u8], line: LineId, extra: u32, worker: &impl Encode) -> Vec<u8> {
    agent::local_key(b"starling::marketplace::", what, &(line, extra), worker)
}

fn submit<T: Config>(call: Call<T>) -> bool {
    agent::submit::<T, Call<T>>(call)
}

/// One run of the worker, at a new best block.
pub fn run<T: Config>(now: BlockNumberFor<T>) {
    let hosted = HostedLines::<T>::get();
    if hosted.is_empty() {
        return;
    }
    let block: u32 = now.saturated_into();
    let keys = <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::RuntimeAppPublic::all();
    for key in keys {
        let generic: <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::GenericPublic =
            key.into();
        let public: T::Public = generic.into();
        let account: T::AccountId = public.clone().into_account();
        let Some(operator) = T::Staking::operator_of_worker(&account) else { continue };
        for line in hosted.iter().copied() {
            if Hosts::<T>::contains_key(line, &operator) {
                claim::<T>(line, block, &public, &operator);
            }
            if T::Staking::is_active(&operator, Role::Validator) {
                report_quality::<T>(line, block, &public, &operator);
            }
        }
    }
}

/// How the worker judges a kept voucher of `user`: claimed in full (from `Claimed`, no
/// signature check), else, if a check is allowed, what [`Pallet::check_voucher`] says of it
/// as a claim would (the whole escrow counts).
fn judge<T: Config>(
    host: &T::AccountId,
    user: &T::AccountId,
    kept: &SignedVoucherOf<T>,
    may_check: bool,
) -> Fate {
    let claimed = Claimed::<T>::get((user, host, kept.voucher.line));
    if kept.voucher.calls <= claimed {
        return Fate::Settled;
    }
    if !may_check {
        return Fate::Unchecked;
    }
    match Pallet::<T>::check_voucher(host, kept, true) {
        Ok(_) => Fate::Payable,
        Err(VoucherError::BadSignature | VoucherError::ForAnotherHost) => Fate::Never,
        Err(VoucherError::AlreadyClaimed) => Fate::Settled,
        Err(_) => Fate::Later,
    }
}

/// The vouchers the host node kept for `line` that would pay now (one claim turn's worth),
/// and what the turn found in the store.
pub fn payable_vouchers<T: Config>(
    line: LineId,
    host: &T::AccountId,
) -> Scan<T::AccountId, SignedVoucherOf<T>> {
    scan::<T::AccountId, SignedVoucherOf<T>, _, _, _>(
        &WorkerStore,
        line,
        host,
        MAX_VOUCHERS_PER_CLAIM as usize,
        MAX_CHECKS,
        |user, kept| {
            kept.voucher.user == *user && kept.voucher.host == *host && kept.voucher.line == line
        },
        |user, kept, may_check| judge::<T>(host, user, kept, may_check),
    )
}

/// Moves a list kept under the old [`voucher_key`] into the per-user store (holding the
/// store lock): each voucher not claimed in full becomes its user's entry unless the user has
/// a newer one; then the list is removed.
fn migrate<T: Config>(store: &mut WorkerStore, line: LineId, host: &T::AccountId) {
    let legacy = voucher_key(line, host);
    let Some(bytes) = store.get(&legacy) else { return };
    let vouchers = Vec::<SignedVoucherOf<T>>::decode(&mut &bytes[..]).unwrap_or_default();
    let mut listed = Vec::new();
    let mut moved = Vec::new();
    for signed in vouchers {
        let voucher = &signed.voucher;
        if voucher.line != line || voucher.host != *host {
            continue;
        }
        if voucher.calls <= Claimed::<T>::get((&voucher.user, host, line)) {
            continue;
        }
        let key = user_voucher_key(line, host, &voucher.user);
        let current = read::<SignedVoucherOf<T>>(store, &key);
        if current.as_ref().is_some_and(|c| c.voucher.calls >= voucher.calls) {
            continue;
        }
        if current.is_none() {
            listed.push(voucher.user.clone());
        }
        moved.push((key, signed));
    }
    let count = moved.len();
    if !append_to_index(store, line, host, listed) {
        return;
    }
    for (key, signed) in moved {
        store.set(&key, &signed.encode());
    }
    store.remove(&legacy);
    log::info!(target: LOG_TARGET, "line {line}: moved {count} kept vouchers to per-user entries");
}

fn claim<T: Config>(line: LineId, block: u32, public: &T::Public, host: &T::AccountId) {
    if !agent::take_turn(&marker_key(b"claim", line, 0, public), block, CLAIM_EVERY) {
        return;
    }
    let lock_key = voucher_lock_key(line, host);
    let mut lock =
        StorageLock::<Time>::with_deadline(&lock_key, Duration::from_millis(VOUCHER_LOCK_MS));
    if WorkerStore.get(&voucher_key(line, host)).is_some() {
        if let Ok(_guard) = lock.try_lock() {
            migrate::<T>(&mut WorkerStore, line, host);
        }
    }
    let found = payable_vouchers::<T>(line, host);
    if found.needs_tidy() {
        match lock.try_lock() {
            Ok(_guard) => tidy(&mut WorkerStore, line, host, &found),
            Err(_) => log::debug!(
                target: LOG_TARGET,
                "line {line}: the voucher store is busy; tidying next turn"
            ),
        }
    }
    let payable = found.payable;
    if payable.is_empty() {
        return;
    }
    let count = payable.len();
    let payload =
        ClaimPayload { worker: public.clone(), vouchers: BoundedVec::truncate_from(payable) };
    let Some(signature) = agent::sign::<T, _>(&payload) else {
        return;
    };
    let ok = submit::<T>(Call::claim { payload, signature });
    log::info!(target: LOG_TARGET, "line {line}: claimed with {count} vouchers (submitted: {ok})");
}

fn report_quality<T: Config>(
    line: LineId,
    block: u32,
    public: &T::Public,
    validator: &T::AccountId,
) {
    let period = Pallet::<T>::quality_period();
    for version in Pallet::<T>::served_versions(line) {
        let reported = Quality::<T>::get((line, version), validator)
            .is_some_and(|report| report.period == period);
        if reported {
            continue;
        }
        let Some(record) = Versions::<T>::get(line, version) else { continue };
        let (Some(eval), Some(params)) = (record.spec.eval.clone(), record.spec.data.inline())
        else {
            continue;
        };
        if !agent::take_turn(&marker_key(b"quality", line, version, public), block, RETRY_AFTER) {
            continue;
        }
        let request = EvaluateRequest {
            family: record.spec.family,
            schema: record.spec.schema,
            dataset: eval,
            params: params.clone(),
            metric: record.spec.metric,
            data_hash: None,
            worker: starling_ml_interface::worker_key(&public.clone().into_account()),
        };
        let result = match starling_ml_interface::evaluate(&request) {
            Ok(result) => result,
            Err(error) => {
                log::warn!(target: LOG_TARGET, "line {line} version {version}: scoring failed: {error:?}");
                continue;
            },
        };
        let payload = QualityPayload {
            worker: public.clone(),
            line,
            version,
            period,
            score: result.score,
            rows: result.rows,
        };
        let Some(signature) = agent::sign::<T, _>(&payload) else {
            continue;
        };
        let ok = submit::<T>(Call::report_quality { payload, signature });
        log::info!(
            target: LOG_TARGET,
            "line {line} version {version}: quality {} on {} rows (submitted: {ok})",
            result.score,
            result.rows
        );
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod store_tests {
    //! The voucher store's index over an in-memory store: users are `u32`, vouchers
    //! `(user, calls)`, and a voucher is "claimed" below a threshold.
    use super::*;
    use alloc::collections::BTreeMap;

    #[derive(Default)]
    struct Mem(BTreeMap<Vec<u8>, Vec<u8>>);

    impl Store for Mem {
        fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
            self.0.get(key).cloned()
        }
        fn set(&mut self, key: &[u8], value: &[u8]) {
            self.0.insert(key.to_vec(), value.to_vec());
        }
        fn remove(&mut self, key: &[u8]) {
            self.0.remove(key);
        }
    }

    const LINE: LineId = 3;
    const HOST: u32 = 99;

    fn keep(store: &mut Mem, user: u32, calls: u64) {
        let key = user_voucher_key(LINE, &HOST, &user);
        if store.get(&key).is_none() {
            assert!(append_to_index(store, LINE, &HOST, vec![user]));
        }
        store.set(&key, &(user, calls).encode());
    }

    fn listed(store: &Mem) -> Vec<u32> {
        let Some(index) = read::<VoucherIndex>(store, &voucher_index_key(LINE, &HOST)) else {
            return vec![];
        };
        (index.first..index.end)
            .filter_map(|page| read::<Vec<u32>>(store, &voucher_page_key(LINE, &HOST, page)))
            .flatten()
            .collect()
    }

    /// A turn: vouchers with calls ≤ `claimed` are settled, odd users' others cannot pay now,
    /// even users' pay.
    fn turn(store: &mut Mem, claimed: u64, max_payable: usize) -> Vec<(u32, u64)> {
        let found = scan::<u32, (u32, u64), _, _, _>(
            store,
            LINE,
            &HOST,
            max_payable,
            MAX_CHECKS,
            |user, kept| kept.0 == *user,
            |user, kept, may_check| match (kept.1 <= claimed, may_check, user % 2) {
                (true, _, _) => Fate::Settled,
                (false, false, _) => Fate::Unchecked,
                (false, true, 0) => Fate::Payable,
                (false, true, _) => Fate::Later,
            },
        );
        tidy(store, LINE, &HOST, &found);
        found.payable
    }

    #[test]
    fn users_fill_pages_in_order() {
        let mut store = Mem::default();
        for user in 0..130 {
            keep(&mut store, user, 1);
        }
        let index = read::<VoucherIndex>(&store, &voucher_index_key(LINE, &HOST)).unwrap();
        assert_eq!(index, VoucherIndex { first: 0, end: 3 });
        assert_eq!(listed(&store), (0..130).collect::<Vec<_>>());
        // a second voucher of a listed user does not list it again
        keep(&mut store, 5, 2);
        assert_eq!(listed(&store).len(), 130);
        // many at once
        assert!(append_to_index(&mut store, LINE, &HOST, (200..330).collect()));
        assert_eq!(listed(&store).len(), 260);
    }

    #[test]
    fn claimed_vouchers_are_pruned_and_the_index_goes_away() {
        let mut store = Mem::default();
        for user in 0..130u32 {
            keep(&mut store, user * 2, 5);
        }
        let paid = turn(&mut store, 0, 64);
        assert_eq!(paid.len(), 64, "one claim's worth");
        assert_eq!(listed(&store).len(), 130);
        assert!(turn(&mut store, 5, 64).is_empty());
        assert!(listed(&store).is_empty());
        assert!(store.0.is_empty(), "no entry, page or index left: {:?}", store.0.keys());
    }

    #[test]
    fn vouchers_that_cannot_pay_now_move_to_the_back() {
        let mut store = Mem::default();
        // page 0: odd users (cannot pay now); page 1: even users
        for user in 0..64u32 {
            keep(&mut store, user * 2 + 1, 5);
        }
        for user in 0..10u32 {
            keep(&mut store, user * 2, 5);
        }
        let paid = turn(&mut store, 0, 64);
        assert_eq!(paid.len(), 10);
        let listing = listed(&store);
        assert_eq!(listing.len(), 74);
        assert_eq!(&listing[..10], &(0..10).map(|u| u * 2).collect::<Vec<_>>()[..]);
        let index = read::<VoucherIndex>(&store, &voucher_index_key(LINE, &HOST)).unwrap();
        assert_eq!(index.first, 1, "page 0 was emptied and passed");
    }

    #[test]
    fn a_listing_without_entry_and_duplicates_are_dropped() {
        let mut store = Mem::default();
        keep(&mut store, 2, 5);
        // a crash between listing and writing, then a second listing of user 2
        assert!(append_to_index(&mut store, LINE, &HOST, vec![4, 2]));
        assert_eq!(listed(&store), vec![2, 4, 2]);
        assert_eq!(turn(&mut store, 0, 64), vec![(2, 5)]);
        assert_eq!(listed(&store), vec![2]);
    }

    #[test]
    fn an_entry_rewritten_after_the_scan_survives_the_tidy() {
        let mut store = Mem::default();
        keep(&mut store, 2, 5);
        let found = scan::<u32, (u32, u64), _, _, _>(
            &store,
            LINE,
            &HOST,
            64,
            MAX_CHECKS,
            |user, kept| kept.0 == *user,
            |_, _, _| Fate::Settled,
        );
        keep(&mut store, 2, 6);
        keep(&mut store, 4, 1);
        tidy(&mut store, LINE, &HOST, &found);
        assert_eq!(read::<(u32, u64)>(&store, &user_voucher_key(LINE, &HOST, &2)), Some((2, 6)));
        assert_eq!(listed(&store), vec![2, 4]);
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod worker_tests {
    //! The worker over per-user entries written as the host node writes them: it claims with
    //! the payable ones, prunes those claimed in full, and keeps one that cannot pay yet.
    use super::*;
    use crate::mock::*;
    use codec::Decode;
    use frame_support::{assert_ok, traits::Hooks};
    use frame_system::RawOrigin;
    use sp_core::offchain::{
        testing::{TestOffchainExt, TestTransactionPoolExt},
        OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
    };
    use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
    use sp_runtime::traits::Dispatchable;
    use std::sync::Arc;

    const PRICE: u64 = 10;
    const HOST: u8 = 2;

    /// What the node's RPC does for a paid call, without the store lock (nothing else runs).
    fn keep(voucher: SignedVoucherOf<Test>) {
        let v = &voucher.voucher;
        let key = user_voucher_key(v.line, &v.host, &v.user);
        if WorkerStore.get(&key).is_none() {
            assert!(append_to_index(&mut WorkerStore, v.line, &v.host, vec![v.user.clone()]));
        }
        WorkerStore.set(&key, &voucher.encode());
    }

    fn listed(line: LineId) -> Vec<AccountId> {
        let Some(index) = read::<VoucherIndex>(&WorkerStore, &voucher_index_key(line, &acc(HOST)))
        else {
            return vec![];
        };
        (index.first..index.end)
            .filter_map(|p| {
                read::<Vec<AccountId>>(&WorkerStore, &voucher_page_key(line, &acc(HOST), p))
            })
            .flatten()
            .collect()
    }

    #[test]
    fn the_worker_claims_kept_vouchers_then_prunes_them() {
        let keystore = MemoryKeystore::new();
        let seed =
            format!("0x{}", (0..32).map(|_| format!("{:02x}", HOST + 100)).collect::<String>());
        keystore.sr25519_generate_new(crate::mock::crypto::KEY_TYPE, Some(&seed)).unwrap();
        let (offchain, _) = TestOffchainExt::new();
        let (pool, pool_state) = TestTransactionPoolExt::new();
        let mut ext = new_test_ext();
        ext.register_extension(OffchainDbExt::new(offchain.clone()));
        ext.register_extension(OffchainWorkerExt::new(offchain));
        ext.register_extension(TransactionPoolExt::new(pool));
        ext.register_extension(KeystoreExt::new(Arc::new(keystore)));
        let claims = || {
            let txs = core::mem::take(&mut pool_state.write().transactions);
            txs.iter()
                .map(|bytes| match Extrinsic::decode(&mut &bytes[..]).unwrap().function {
                    RuntimeCall::Marketplace(call @ Call::claim { .. }) => call,
                    other => panic!("unexpected call {other:?}"),
                })
                .collect::<Vec<_>>()
        };
        ext.execute_with(|| {
            make_operator(1, Role::TrainingNode, 1_000);
            make_operator(HOST, Role::ModelHost, 1_000);
            assert_ok!(Marketplace::upload_version(RuntimeOrigin::signed(acc(1)), None, model(1)));
            assert_ok!(Marketplace::host(RuntimeOrigin::signed(acc(HOST)), 0, PRICE, None));
            for n in [1, 2] {
                assert_ok!(Marketplace::deposit(RuntimeOrigin::signed(user(n)), 1_000));
            }
            keep(voucher(1, &acc(HOST), 0, 3, PRICE));
            keep(voucher(2, &acc(HOST), 0, 5, PRICE));
            keep(voucher(3, &acc(HOST), 0, 2, PRICE)); // user 3 has no escrow yet
            assert_eq!(listed(0), vec![user(1), user(2), user(3)]);

            run_to_block(12);
            Marketplace::offchain_worker(12);
            let calls = claims();
            assert_eq!(calls.len(), 1);
            let Call::claim { payload, .. } = &calls[0] else { unreachable!() };
            assert_eq!(payload.vouchers.len(), 2, "user 3's voucher cannot pay yet");
            for call in calls {
                assert_ok!(RuntimeCall::Marketplace(call).dispatch(RawOrigin::Authorized.into()));
            }
            assert_eq!(Claimed::<Test>::get((user(2), acc(HOST), 0)), 5);
            assert_eq!(listed(0), vec![user(1), user(2), user(3)], "nothing claimed yet then");

            run_to_block(18);
            Marketplace::offchain_worker(18);
            assert!(claims().is_empty());
            assert_eq!(listed(0), vec![user(3)], "the claimed vouchers are pruned");
            for n in [1, 2] {
                assert!(WorkerStore.get(&user_voucher_key(0, &acc(HOST), &user(n))).is_none());
            }

            assert_ok!(Marketplace::deposit(RuntimeOrigin::signed(user(3)), 1_000));
            run_to_block(24);
            Marketplace::offchain_worker(24);
            let calls = claims();
            assert_eq!(calls.len(), 1);
            for call in calls {
                assert_ok!(RuntimeCall::Marketplace(call).dispatch(RawOrigin::Authorized.into()));
            }
            run_to_block(30);
            Marketplace::offchain_worker(30);
            assert!(listed(0).is_empty());
            assert!(WorkerStore.get(&voucher_index_key(0, &acc(HOST))).is_none());
        });
    }
}
