#!/usr/bin/env bash
# The ML engine beside scikit-learn, in one run on the same rows: OLS and ridge on diabetes
# and on a generated 100,000 × 20 set, binary logistic on wine quality ≥ 6, multinomial
# logistic on iris — training and evaluation alone, medians, ratios, GFLOP/s of the linear
# fits and both models' test metrics — then CSV parsing beside pandas.read_csv and a
# 1,000,000-row file from disk to a trained model.
#
# scikit-learn, numpy and pandas are installed from PyPI into a virtual environment
# ($STARLING_BENCH_VENV, default ~/.cache/starling-bench-venv) on the first run. The engine
# runs in-process in the release build, as a host function runs it. Nothing is asserted:
# the figures are the output.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_prerequisites

venv=${STARLING_BENCH_VENV:-$HOME/.cache/starling-bench-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sklearn, pandas' 2>/dev/null; then
  step "installing scikit-learn 1.9 and pandas into $venv (PyPI)"
  command -v python3 >/dev/null || { echo "error: python3 (with venv) is required" >&2; exit 1; }
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "scikit-learn==1.9.*" pandas
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/starling-engine-bench-XXXXXX")
trap 'rm -rf "$out"' EXIT

step "the engine (cargo bench -p starling-ml-engine, release): figures and the rows it used"
cd "$repo"
SKIP_WASM_BUILD=1 cargo bench --locked -p starling-ml-engine --bench engine -- --export "$out"

step "scikit-learn on the same rows, side by side"
"$venv/bin/python" "$repo/scripts/engine_bench.py" "$out"
