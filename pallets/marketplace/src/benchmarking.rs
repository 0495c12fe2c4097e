//! Benchmarks of every call and of claim validation (frame-benchmarking v2), each in its
//! worst case: the largest parameter vectors, the most creators to pay, the most hosts to scan,
//! up to [`MAX_VOUCHERS_PER_CLAIM`] vouchers from as many users, every signature real.

// Benchmark set-up fails loudly; the macros expand to float maths on their own figures.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::float_arithmetic,
    clippy::type_complexity
)]

use super::*;
use crate::worker::{ClaimPayload, QualityPayload};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
    pallet_prelude::TransactionSource,
    traits::{fungible::Mutate, Authorize, EnsureOrigin, Get},
    BoundedVec,
};
use frame_system::RawOrigin;
use sp_runtime::{traits::Saturating, Perbill};
use starling_ml_interface::{
    BuiltInDataset, DatasetRef, LabelKind, Metric, ModelFamily, Params, Schema, Slice, Split,
    MAX_PARAMS,
};
use starling_primitives::{models::ProducedModel, Role};
use starling_support::bench;

/// The existential deposit (at least 1) times `n`.
fn units<T: Config>(n: u64) -> BalanceOf<T> {
    bench::units::<T::AccountId, T::Currency>(n)
}

fn fund<T: Config>(who: &T::AccountId) {
    T::Currency::set_balance(who, units::<T>(1_000_000_000));
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
    bench::funded::<T::AccountId, T::Currency>(name, index)
}

/// An operator of `role` with a worker key; returns (operator, worker key).
fn operator<T: Config>(name: &'static str, index: u32, role: Role) -> (T::AccountId, T::Public) {
    bench::operator::<T, Pallet<T>, T::Currency>(name, index, role)
}

/// The largest linear model: [`MAX_PARAMS`] parameters, scored by MSE on built-in data.
fn big_model() -> ModelSpec {
    ModelSpec {
        family: ModelFamily::LinearOls,
        schema: Schema { features: MAX_PARAMS.saturating_sub(1), label: LabelKind::Continuous },
        metric: Metric::Mse,
        data: ModelData::Inline(Params::truncate_from(vec![1_000_000; MAX_PARAMS as usize])),
        eval: Some(DatasetRef::BuiltIn {
            dataset: BuiltInDataset::Diabetes,
            slice: Slice {
                seed: 1,
                split: Split::Test,
                test_permille: 200,
                shard_index: 0,
                shard_count: 1,
            },
        }),
    }
}

/// A line whose version 1 is the big model with [`MAX_CREATORS`] creators (every one of them
/// funded, so that each payment is a real transfer); returns the line.
fn line_with_creators<T: Config>() -> LineId {
    let creators: Vec<(T::AccountId, u32)> =
        (0..MAX_CREATORS).map(|i| (funded::<T>("creator", i), i.saturating_add(1))).collect();
    let owner = funded::<T>("owner", 0);
    let (line, _) = Pallet::<T>::register(ProducedModel {
        source: ModelSource::ArenaTask(0),
        owner,
        spec: big_model(),
        score: Some(1),
        creators,
    })
    .expect("the model fits");
    line
}

/// Fills [`HostedLines`] up to one below its bound with other lines.
fn crowd_hosted_lines<T: Config>() {
    let fill: Vec<LineId> =
        (1_000..1_000u32.saturating_add(T::MaxHostedLines::get().saturating_sub(1))).collect();
    HostedLines::<T>::put(BoundedVec::truncate_from(fill));
}

fn voucher_of<T: Config>(
    user: &T::AccountId,
    host: &T::AccountId,
    line: LineId,
    calls: u64,
    price: BalanceOf<T>,
) -> SignedVoucherOf<T> {
    let voucher = Voucher { user: user.clone(), host: host.clone(), line, calls, price };
    let genesis = starling_primitives::genesis_hash::<T>();
    let signature = T::BenchmarkHelper::sign(user, &voucher_message(&genesis, &voucher));
    SignedVoucher { voucher, signature }
}

/// A hosted big line, its host, and `v` users with escrow and a voucher each for
/// `calls(user index)` calls.
fn claim_setup<T: Config>(
    v: u32,
    calls: impl Fn(u32) -> u64,
) -> (LineId, T::AccountId, T::Public, Vec<SignedVoucherOf<T>>) {
    let line = line_with_creators::<T>();
    let (host, key) = operator::<T>("host", 0, Role::ModelHost);
    let price = units::<T>(10);
    Pallet::<T>::do_host(host.clone(), line, price, None).unwrap();
    let vouchers = (0..v)
        .map(|i| {
            let user = T::BenchmarkHelper::user(i);
            fund::<T>(&user);
            Pallet::<T>::do_deposit(user.clone(), units::<T>(1_000_000)).unwrap();
            voucher_of::<T>(&user, &host, line, calls(i), price)
        })
        .collect();
    (line, host, key, vouchers)
}

#[benchmarks]
mod benchmarks {
    use super::*;

    /// A new version of an existing line, with the largest parameter vector.
    #[benchmark]
    fn upload_version() {
        let (who, _) = operator::<T>("uploader", 0, Role::TrainingNode);
        Pallet::<T>::do_upload(who.clone(), None, big_model()).unwrap();
        #[extrinsic_call]
        _(RawOrigin::Signed(who), Some(0), big_model());
        assert_eq!(Lines::<T>::get(0).unwrap().latest, 2);
    }

    /// The first host of a line, with the hosted-line list one short of full.
    #[benchmark]
    fn host() {
        let line = line_with_creators::<T>();
        crowd_hosted_lines::<T>();
        let (provider, _) = operator::<T>("host", 0, Role::ModelHost);
        #[extrinsic_call]
        _(RawOrigin::Signed(provider.clone()), line, units::<T>(10), None);
        assert!(Hosts::<T>::contains_key(line, &provider));
    }

    /// The last host of a line leaves, taking the line out of a full hosted-line list.
    #[benchmark]
    fn unhost() {
        let line = line_with_creators::<T>();
        crowd_hosted_lines::<T>();
        let (provider, _) = operator::<T>("host", 0, Role::ModelHost);
        Pallet::<T>::do_host(provider.clone(), line, units::<T>(10), None).unwrap();
        #[extrinsic_call]
        _(RawOrigin::Signed(provider), line);
        assert!(!HostedLines::<T>::get().contains(&line));
    }

    #[benchmark]
    fn deposit() {
        let user = funded::<T>("user", 0);
        #[extrinsic_call]
        _(RawOrigin::Signed(user.clone()), units::<T>(1_000));
        assert_eq!(Escrows::<T>::get(&user).unwrap().held, units::<T>(1_000));
    }

    #[benchmark]
    fn request_withdrawal() {
        let user = funded::<T>("user", 0);
        Pallet::<T>::do_deposit(user.clone(), units::<T>(1_000)).unwrap();
        #[extrinsic_call]
        _(RawOrigin::Signed(user.clone()), units::<T>(400));
        assert_eq!(Escrows::<T>::get(&user).unwrap().unlocking, units::<T>(400));
    }

    /// A partial withdrawal (the escrow stays).
    #[benchmark]
    fn withdraw() {
        let user = funded::<T>("user", 0);
        Pallet::<T>::do_deposit(user.clone(), units::<T>(1_000)).unwrap();
        Pallet::<T>::do_request_withdrawal(user.clone(), units::<T>(400)).unwrap();
        let unlock_at = Escrows::<T>::get(&user).unwrap().unlock_at;
        frame_system::Pallet::<T>::set_block_number(unlock_at);
        #[extrinsic_call]
        _(RawOrigin::Signed(user.clone()));
        assert_eq!(Escrows::<T>::get(&user).unwrap().held, units::<T>(600));
    }

    /// `v` vouchers from `v` users, each paying 10 calls split among the host, the most
    /// creators a version has, and the treasury.
    #[benchmark]
    fn claim(v: Linear<1, MAX_VOUCHERS_PER_CLAIM>) {
        let (line, provider, key, vouchers) = claim_setup::<T>(v, |_| 10);
        let payload =
            ClaimPayload { worker: key.clone(), vouchers: BoundedVec::truncate_from(vouchers) };
        let signature = bench::sign::<T, _>(&payload, &key);
        #[extrinsic_call]
        _(RawOrigin::Authorized, payload, signature);
        let last = T::BenchmarkHelper::user(v.saturating_sub(1));
        assert_eq!(Claimed::<T>::get((&last, &provider, line)), 10);
    }

    /// Validation of a claim of `v` vouchers where only the last pays: every other voucher
    /// fails at the last check (its calls cost more than the escrow), so every signature,
    /// claim record and escrow is read.
    #[benchmark]
    fn authorize_claim(v: Linear<1, MAX_VOUCHERS_PER_CLAIM>) {
        let last = v.saturating_sub(1);
        let (_, _, key, vouchers) =
            claim_setup::<T>(v, |i| if i == last { 10 } else { 1_000_000_000 });
        let payload =
            ClaimPayload { worker: key.clone(), vouchers: BoundedVec::truncate_from(vouchers) };
        let signature = bench::sign::<T, _>(&payload, &key);
        let call = Call::<T>::claim { payload, signature };
        #[block]
        {
            call.authorize(TransactionSource::External).unwrap().unwrap();
        }
    }

    /// A report on a line with the most hosts (the served-version check scans them).
    #[benchmark]
    fn report_quality() {
        let line = line_with_creators::<T>();
        for i in 0..T::MaxHostsPerLine::get() {
            let (provider, _) = operator::<T>("host", i, Role::ModelHost);
            Pallet::<T>::do_host(provider, line, units::<T>(10), Some(1)).unwrap();
        }
        let (validator, key) = operator::<T>("validator", 0, Role::Validator);
        let period = Pallet::<T>::quality_period();
        let payload = QualityPayload {
            worker: key.clone(),
            line,
            version: 1,
            period,
            score: 1_000_000,
            rows: 100,
        };
        let signature = bench::sign::<T, _>(&payload, &key);
        #[extrinsic_call]
        _(RawOrigin::Authorized, payload, signature);
        assert!(Quality::<T>::contains_key((line, 1), &validator));
    }

    #[benchmark]
    fn set_params() {
        let origin = T::AdminOrigin::try_successful_origin()
            .map_err(|_| BenchmarkError::Weightless)
            .unwrap();
        let mut params = Parameters::<T>::get();
        params.host_share = Perbill::from_percent(65);
        params.withdraw_delay = params.withdraw_delay.saturating_add(1u32.into());
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, params);
        assert_eq!(Parameters::<T>::get(), params);
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
