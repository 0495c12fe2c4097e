#!/usr/bin/env bash
# Benchmarks Starling pallets and regenerates their `src/weights.rs` from the results.
#
#   scripts/benchmark.sh              every pallet under pallets/ that has benchmarks
#   scripts/benchmark.sh staking ...  the pallets in these directories under pallets/
#
# Builds `starling-node` with `runtime-benchmarks` (release) and runs its
# `benchmark pallet` command on the dev chain with every extrinsic of each pallet, STEPS (50)
# steps and REPEAT (20) repetitions; the weights are written through
# `scripts/weight-template.hbs` and formatted with rustfmt. The CLI's full output (per-step
# means and the regression of every benchmark) and its raw JSON results are kept in
# $BENCH_LOG_DIR (default: $CARGO_TARGET_DIR/benchmarks). BENCH_ARGS adds options to the
# CLI's (e.g. BENCH_ARGS="--min-duration 0" with small STEPS/REPEAT for a quick trial run).
#
# The benchmark node has its own build cache, $STARLING_BENCH_TARGET_DIR (default
# ~/.cache/starling-bench-target): its feature set differs from the dev/test node's, and
# sharing a target directory would make the two builds overwrite each other's binary.
# A cold build takes about an hour on 2 cores.
#
# Weights are only as good as the machine: run this on the reference hardware, with nothing
# else running.
set -euo pipefail
export CARGO_TARGET_DIR=${STARLING_BENCH_TARGET_DIR:-$HOME/.cache/starling-bench-target}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STEPS=${STEPS:-50}
REPEAT=${REPEAT:-20}
BENCH_LOG_DIR=${BENCH_LOG_DIR:-$CARGO_TARGET_DIR/benchmarks}
TEMPLATE="scripts/weight-template.hbs"
read -r -a extra_args <<<"${BENCH_ARGS:-}"

cd "$repo"

# The directories under pallets/ to benchmark: the arguments, or every pallet whose crate
# declares benchmarks (a `#[benchmarks]` module).
pallet_dirs=()
if [ "$#" -gt 0 ]; then
  for arg in "$@"; do
    dir=${arg#pallets/}
    dir=${dir%/}
    if [ ! -f "pallets/$dir/Cargo.toml" ]; then
      echo "error: no pallet crate in pallets/$dir" >&2
      exit 1
    fi
    pallet_dirs+=("$dir")
  done
else
  for manifest in pallets/*/Cargo.toml; do
    dir=$(basename "$(dirname "$manifest")")
    if grep -rqs '#\[benchmarks' "pallets/$dir/src"; then
      pallet_dirs+=("$dir")
    fi
  done
fi
if [ "${#pallet_dirs[@]}" -eq 0 ]; then
  echo "error: no pallet with benchmarks under pallets/" >&2
  exit 1
fi

ensure_prerequisites

step "building starling-node (release, runtime-benchmarks) into $CARGO_TARGET_DIR"
cargo build --locked --release -p starling-node --features starling-node/runtime-benchmarks

# Run through PATH so that the command recorded in the weight files does not name this
# machine's build directory.
export PATH="$CARGO_TARGET_DIR/release:$PATH"
mkdir -p "$BENCH_LOG_DIR"
available=$(starling-node benchmark pallet --chain dev --list=pallets --no-csv-header \
  2>"$BENCH_LOG_DIR/list.log") || { cat "$BENCH_LOG_DIR/list.log" >&2; exit 1; }

for dir in "${pallet_dirs[@]}"; do
  # The runtime names a pallet's benchmarks after its crate (`define_benchmarks!`).
  crate=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "pallets/$dir/Cargo.toml" | head -n 1)
  pallet=${crate//-/_}
  if ! grep -qx "$pallet" <<<"$available"; then
    echo "error: the runtime has no benchmarks for $pallet; add it to define_benchmarks!" >&2
    exit 1
  fi
  output="pallets/$dir/src/weights.rs"
  log="$BENCH_LOG_DIR/$pallet.txt"

  step "benchmarking $pallet (steps $STEPS, repeat $REPEAT) -> $output"
  starling-node benchmark pallet \
    --chain dev \
    --genesis-builder spec-runtime \
    --wasm-execution compiled \
    --pallet "$pallet" \
    --extrinsic '*' \
    --steps "$STEPS" \
    --repeat "$REPEAT" \
    --json-file "$BENCH_LOG_DIR/$pallet.json" \
    --template "$TEMPLATE" \
    --output "$output" \
    "${extra_args[@]}" 2>&1 | tee "$log"

  rustfmt --edition 2021 --config-path rustfmt.toml "$output"
  echo "weights: $output; full output: $log; raw results: $BENCH_LOG_DIR/$pallet.json"
done
