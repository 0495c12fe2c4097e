"""The ML engine beside scikit-learn, on the same rows, in one run (scripts/engine-bench.sh).

Reads what `cargo bench -p starling-ml-engine --bench engine -- --export DIR` wrote into DIR:
each case's train and test rows (exactly the engine's slices) and the engine's figures
(engine.json). Fits scikit-learn to the same objective on the same rows, times it the same
way (median of as many runs, wall clock around the fit, and around predict + metric), and
prints both side by side with the ratio, the achieved GFLOP/s of the linear fits and both
models' test metrics. Then times pandas.read_csv on the CSV the engine parsed.

Objectives (the engine's families, offchain-worker/engine/src/family/):
  OLS               min ½‖y − Xw − b‖²                    LinearRegression()
  ridge λ           min ½‖y − Xw − b‖² + ½λ‖w‖²           Ridge(alpha=λ)
  logistic (binary) min Σ −ln p(yᵢ) + ½ l2 ‖w‖²           LogisticRegression(C=1/l2)
  multinomial       min Σ −ln p(yᵢ) + ½ l2 ‖W‖²           LogisticRegression(C=1/l2)
"""

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, mean_squared_error


def load(path):
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    return np.ascontiguousarray(table[:, :-1]), np.ascontiguousarray(table[:, -1])


def model_for(case):
    kind = case["kind"]
    if kind == "ols":
        return LinearRegression()
    if kind == "ridge":
        return Ridge(alpha=case["lambda"])
    if kind in ("logistic_binary", "logistic_multinomial"):
        return LogisticRegression(C=1.0 / case["l2"], max_iter=case["max_iterations"])
    raise SystemExit(f"unknown family {kind}")


def median_ms(runs, work):
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        timings.append((time.perf_counter() - start) * 1e3)
    return statistics.median(timings)


def main(out):
    figures = json.loads((out / "engine.json").read_text())
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, pandas {pd.__version__}; "
          "medians in ms; ratio = scikit-learn ÷ engine (above 1: the engine is faster)")
    print()
    print("| workload | engine ms | scikit-learn ms | ratio | engine GFLOP/s | scikit-learn GFLOP/s "
          "| engine metric | scikit-learn metric | relative difference |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    slowest = None
    for case in figures["cases"]:
        x_train, y_train = load(out / f"{case['id']}.train.csv")
        x_test, y_test = load(out / f"{case['id']}.test.csv")
        if case["kind"].startswith("logistic"):
            y_train, y_test = y_train.astype(int), y_test.astype(int)
        runs = case["runs"]
        fitted = {}

        def fit():
            fitted["model"] = model_for(case).fit(x_train, y_train)

        train_ms = median_ms(runs, fit)
        model = fitted["model"]
        if case["metric"] == "Mse":
            metric = lambda: mean_squared_error(y_test, model.predict(x_test))
        else:
            metric = lambda: accuracy_score(y_test, model.predict(x_test))
        evaluate_ms = median_ms(runs, metric)
        theirs = float(metric())
        ours = case["float_score"]
        relative = abs(ours - theirs) / max(abs(theirs), 1e-300)
        name = f"{case['family']} on {case['dataset']} ({case['rows']} × {case['features']})"
        n, d = x_train.shape
        linear = case["kind"] in ("ols", "ridge")
        # Normal equations: XᵀX costs 2·n·d² flops; the solve of d × d is negligible beside it.
        flops = 2.0 * n * d * d
        gflops = (lambda ms: f"{flops / ms / 1e6:.1f}") if linear else (lambda ms: "–")
        for label, engine_ms, sk_ms in (("train", case["train_ms"], train_ms),
                                        ("evaluate", case["evaluate_ms"], evaluate_ms)):
            ratio = sk_ms / engine_ms
            slowest = ratio if slowest is None else min(slowest, ratio)
            row_gflops = (gflops(engine_ms), gflops(sk_ms)) if label == "train" else ("–", "–")
            metric_name = case["metric"]
            print(f"| {label}: {name} | {engine_ms:.3f} | {sk_ms:.3f} | {ratio:.1f}× "
                  f"| {row_gflops[0]} | {row_gflops[1]} | {metric_name} {ours:.9g} "
                  f"| {metric_name} {theirs:.9g} | {relative:.1e} |")
    print()
    print(f"Smallest ratio over every workload: {slowest:.1f}× (the goal is 3×).")
    print("Engine metric: the engine's own solver and metric in f64 (the chain sees it "
          "rounded to 10⁻⁶); engine times are of jobs after the first on the same slice.")

    parse = figures["parse"]
    pandas_ms = median_ms(5, lambda: pd.read_csv(parse["file"]))
    rows = parse["rows"]
    print()
    print("| CSV parse, 100,000 × 21 values | ms | M rows/s |")
    print("|---|---:|---:|")
    print(f"| engine (two threads) | {parse['ms']:.1f} | {rows / parse['ms'] / 1e3:.2f} |")
    print(f"| pandas.read_csv | {pandas_ms:.1f} | {rows / pandas_ms / 1e3:.2f} |")
    large = figures["large"]
    start = time.perf_counter()
    frame = pd.read_csv(large["file"])
    large_pandas = (time.perf_counter() - start) * 1e3
    print()
    print(f"1,000,000 × 20 CSV: engine from file to trained OLS (read, parse, slice, fit) "
          f"{large['first_job_ms']:.0f} ms, the next job on it {large['next_job_ms']:.1f} ms; "
          f"pandas.read_csv alone {large_pandas:.0f} ms ({len(frame)} rows).")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: engine_bench.py DIR (written by the engine bench with --export DIR)")
    main(Path(sys.argv[1]))
