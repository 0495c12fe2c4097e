//! The floor of a paid call on a host node: the native cost of checking one voucher's
//! signature (building the signed message and verifying an sr25519 `MultiSignature`, as
//! `node/src/market.rs` does before anything else). `scripts/market-bench.sh` prints it beside
//! the node's calls per second. Run with `cargo bench -p pallet-starling-marketplace --bench
//! voucher`; it asserts nothing about time.

// A bench binary: timing statistics over a fixed number of runs.
#![allow(clippy::float_arithmetic, clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use pallet_starling_marketplace::{voucher_message, Voucher};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{traits::Verify, AccountId32, MultiSignature};
use std::time::Instant;

/// Vouchers checked per run.
const VOUCHERS: u64 = 5_000;
/// Runs; the median is printed.
const RUNS: usize = 5;

fn main() {
    let pair = sr25519::Pair::from_seed(&[7; 32]);
    let user: AccountId32 = pair.public().into();
    let host = AccountId32::new([1; 32]);
    let genesis = H256::repeat_byte(2);
    let signed: Vec<(Voucher<AccountId32, u128>, MultiSignature)> = (1..=VOUCHERS)
        .map(|calls| {
            let voucher = Voucher {
                user: user.clone(),
                host: host.clone(),
                line: 0,
                calls,
                price: 1_000_000_000,
            };
            let signature =
                MultiSignature::Sr25519(pair.sign(&voucher_message(&genesis, &voucher)));
            (voucher, signature)
        })
        .collect();
    let mut per_second: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let valid = signed
                .iter()
                .filter(|(voucher, signature)| {
                    signature.verify(&voucher_message(&genesis, voucher)[..], &voucher.user)
                })
                .count();
            let seconds = start.elapsed().as_secs_f64();
            assert_eq!(valid as u64, VOUCHERS, "every voucher is valid");
            VOUCHERS as f64 / seconds
        })
        .collect();
    per_second.sort_by(f64::total_cmp);
    let median = per_second[RUNS / 2];
    println!(
        "voucher signature check (message + sr25519 verify), one core: {median:.0} per second, \
         {:.1} µs each (median of {RUNS} runs of {VOUCHERS}); a host node checks one per paid call",
        1e6 / median
    );
}
