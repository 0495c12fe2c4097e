//! Model families: one [`Family`] trait, one implementation per file.
//!
//! Adding a family (say, a small MLP) means one new file implementing [`Family`], one variant
//! in `starling_ml_interface::ModelFamily`, and one arm in [`family`] — the only `match` on the
//! model kind in the engine.
//!
//! Parameters here are floats in the family's canonical layout (see
//! `starling_ml_interface::ModelFamily`); conversion to fixed point happens in the engine.

mod logistic_binary;
mod logistic_multinomial;
mod ols;
mod ridge;

use crate::data::Table;
use ndarray::{linalg::general_mat_mul, Array1, Array2, ArrayView1, Axis, Slice};
use starling_ml_interface::{MlError, ModelFamily, Schema, PARAM_SCALE};

/// Solver settings in engine units (decoded from `HyperParams`).
#[derive(Clone, Copy, Debug)]
pub struct Solver {
    /// Most solver iterations.
    pub max_iterations: u64,
    /// L2 penalty on weights.
    pub l2: f64,
    /// Largest acceptable component of the per-row mean gradient at the solution.
    pub tolerance: f64,
}

/// What a model outputs for a batch of rows.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// One real value per row (regression).
    Values(Array1<f64>),
    /// One probability per row and class, rows summing to 1 (classification).
    Probabilities(Array2<f64>),
}

/// A model family: how many parameters it has, how it fits them, how it predicts.
pub trait Family {
    /// `Ok` when the family can model data of this schema, else
    /// [`MlError::SchemaMismatch`].
    fn check_schema(&self, schema: &Schema) -> Result<(), MlError>;

    /// Length of the canonical parameter vector for `features` inputs (saturating).
    fn param_len(&self, features: usize) -> usize;

    /// Fit parameters to `data` (validated against the schema, at least `features + 1` rows),
    /// starting from `init` (canonical layout, right length) where the solver is iterative.
    fn fit(
        &self,
        data: &Table,
        init: Option<&Array1<f64>>,
        solver: &Solver,
    ) -> Result<Array1<f64>, MlError>;

    /// Predict for rows `x` with canonical parameters `params` (right length).
    fn predict(&self, params: &Array1<f64>, x: &Array2<f64>) -> Output;
}

/// The implementation of `family`.
pub fn family(family: &ModelFamily) -> Box<dyn Family> {
    match *family {
        ModelFamily::LinearOls => Box::new(ols::Ols),
        ModelFamily::LinearRidge { lambda } => {
            Box::new(ridge::Ridge { lambda: lambda as f64 / PARAM_SCALE as f64 })
        },
        ModelFamily::LogisticBinary => Box::new(logistic_binary::LogisticBinary),
        ModelFamily::LogisticMultinomial { classes } => {
            Box::new(logistic_multinomial::LogisticMultinomial { classes: classes as usize })
        },
    }
}

/// `x · w + b` for an affine block `[w_1 … w_d, b]`.
fn affine(block: ArrayView1<'_, f64>, x: &Array2<f64>) -> Array1<f64> {
    let d = x.ncols();
    let mut out = x.dot(&block.slice_axis(Axis(0), Slice::from(..d)));
    let intercept = block[d];
    out.mapv_inplace(|v| v + intercept);
    out
}

/// `[w_1 … w_d, b]` from weights and an intercept.
fn with_intercept(weights: ArrayView1<'_, f64>, intercept: f64) -> Array1<f64> {
    weights.iter().copied().chain(core::iter::once(intercept)).collect()
}

/// `Err(NotConverged)` unless the largest component of `gradient / rows` is within
/// `tolerance` and every parameter is finite.
fn check_converged(
    params: &Array1<f64>,
    gradient: &Array1<f64>,
    rows: usize,
    tolerance: f64,
) -> Result<(), MlError> {
    let worst = gradient.iter().fold(0.0f64, |worst, g| worst.max(g.abs())) / rows.max(1) as f64;
    if params.iter().all(|p| p.is_finite()) && worst.is_finite() && worst <= tolerance {
        Ok(())
    } else {
        Err(MlError::NotConverged)
    }
}

/// Regularised least squares in closed form: minimises
/// `½ Σ (y − x·w − b)² + ½ λ ‖w‖² + ½ μ ‖w − w₀‖²` (intercept free), i.e. solves
/// `(X_cᵀ X_c + (λ + μ) I) w = X_cᵀ y_c + μ w₀` on centred data by a Cholesky factorisation
/// and sets `b = ȳ − x̄ · w`.
///
/// `anchor = Some((w₀ ‖ b₀, μ))` is the proximal term of federated training (FedProx): local
/// training starts from the global model and stays near it, so that averaging the updates of
/// several participants, round after round, approaches the model trained on all of their
/// data rather than repeating a one-shot average.
///
/// `None` when the system is not positive definite or too ill-conditioned for the normal
/// equations ([`MAX_CONDITION`]): the caller falls back to a QR solve or gives up.
fn regularised_least_squares(
    data: &Table,
    lambda: f64,
    anchor: Option<(&Array1<f64>, f64)>,
) -> Result<Option<Array1<f64>>, MlError> {
    let d = data.x.ncols();
    let x_mean = data.x.mean_axis(Axis(0)).ok_or(MlError::TooFewRows)?;
    let y_mean = data.y.mean().ok_or(MlError::TooFewRows)?;
    // One pass over the rows: the Gram matrix of [x − x̄, y − ȳ] holds X_cᵀ X_c and X_cᵀ y_c.
    let moments = gram(data.rows(), d + 1, |row, out| {
        for ((slot, &x), &mean) in out.iter_mut().zip(data.x.row(row)).zip(&x_mean) {
            *slot = x - mean;
        }
        out[d] = data.y[row] - y_mean;
    });
    let mu = anchor.map_or(0.0, |(_, mu)| mu);
    let head = Slice::from(..d);
    let mut normal = moments.slice_axis(Axis(0), head).slice_axis(Axis(1), head).to_owned()
        + Array2::<f64>::eye(d) * (lambda + mu);
    let mut rhs = moments.column(d).slice_axis(Axis(0), head).to_owned();
    if let Some((w0, mu)) = anchor {
        rhs = rhs + w0.slice_axis(Axis(0), Slice::from(..d)).to_owned() * mu;
    }
    let Some(w) = solve_positive_definite(&mut normal, rhs) else {
        return Ok(None);
    };
    let b = y_mean - x_mean.dot(&w);
    let params = with_intercept(w.view(), b);
    if params.iter().all(|p| p.is_finite()) {
        Ok(Some(params))
    } else {
        Err(MlError::NotConverged)
    }
}

/// Largest condition estimate `(max Lᵢᵢ / min Lᵢᵢ)²` of a Cholesky factor `L` accepted: above
/// it the normal equations would lose more digits than a QR solve.
const MAX_CONDITION: f64 = 1e8;

/// Solves `a · x = rhs` for a symmetric positive definite `a` (overwritten by its Cholesky
/// factor); `None` when `a` is not positive definite or its condition estimate exceeds
/// [`MAX_CONDITION`].
fn solve_positive_definite(a: &mut Array2<f64>, rhs: Array1<f64>) -> Option<Array1<f64>> {
    let x = cholesky_solve(a, rhs)?;
    let (low, high) =
        a.diag().iter().fold((f64::INFINITY, 0.0f64), |(low, high), &l| (low.min(l), high.max(l)));
    let condition = (high / low) * (high / low);
    (low > 0.0 && condition <= MAX_CONDITION).then_some(x)
}

/// Solves `a · x = rhs` by a Cholesky factorisation (`a` is overwritten by its factor);
/// `None` when `a` is not positive definite or the solution is not finite.
fn cholesky_solve(a: &mut Array2<f64>, rhs: Array1<f64>) -> Option<Array1<f64>> {
    use linfa_linalg::cholesky::SolveC;
    let x = a.solvec(&rhs.insert_axis(Axis(1))).ok()?.remove_axis(Axis(1));
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Rows per block of a Gram product.
const GRAM_BLOCK: usize = 1024;
/// Rows from which a Gram product runs on two threads.
const PARALLEL_ROWS: usize = 32_768;

/// `Σᵣ vᵣ vᵣᵀ` (`width × width`) over rows `0 .. rows`, where `fill(r, v)` writes row `r`'s
/// vector `vᵣ` into `v`: one pass over the data, [`GRAM_BLOCK`] rows at a time into a small
/// buffer multiplied by `ndarray`'s matrix product, so the rows are never copied whole.
///
/// From [`PARALLEL_ROWS`] rows the two halves (split at a block boundary fixed by `rows`
/// alone) run on two threads and are added first half first: the result depends on the
/// request only, never on the machine.
pub(crate) fn gram(
    rows: usize,
    width: usize,
    fill: impl Fn(usize, &mut [f64]) + Sync,
) -> Array2<f64> {
    let part = |from: usize, to: usize| {
        let mut total = Array2::<f64>::zeros((width, width));
        let mut block = Array2::<f64>::zeros((GRAM_BLOCK.min(to - from), width));
        let mut start = from;
        while start < to {
            let end = (start + GRAM_BLOCK).min(to);
            for (offset, mut row) in block.rows_mut().into_iter().take(end - start).enumerate() {
                if let Some(out) = row.as_slice_mut() {
                    fill(start + offset, out);
                }
            }
            let filled = block.slice_axis(Axis(0), Slice::from(..end - start));
            general_mat_mul(1.0, &filled.t(), &filled, 1.0, &mut total);
            start = end;
        }
        total
    };
    if rows < PARALLEL_ROWS {
        return part(0, rows);
    }
    let half = rows / 2 / GRAM_BLOCK * GRAM_BLOCK;
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| part(half, rows));
        (part(0, half), second.join())
    });
    // A thread that could not finish (it cannot panic) is redone here.
    first + second.unwrap_or_else(|_| part(half, rows))
}

/// The proximal anchor of a linear fit: the warm start and `solver.l2`, when both are given.
fn proximal<'a>(init: Option<&'a Array1<f64>>, solver: &Solver) -> Option<(&'a Array1<f64>, f64)> {
    init.filter(|_| solver.l2 > 0.0).map(|w0| (w0, solver.l2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::permutation;

    /// `rows × features` of values in `[-1, 1)` derived from a fixed shuffle, and
    /// `y = x · (1, 2, …) + 3 + noise`.
    fn table(rows: usize, features: usize) -> Table {
        let order = permutation(rows * (features + 1), 5);
        let unit = |i: usize| order[i] as f64 / (rows * (features + 1)) as f64 * 2.0 - 1.0;
        let x = Array2::from_shape_fn((rows, features), |(r, j)| unit(r * (features + 1) + j));
        let y = Array1::from_shape_fn(rows, |r| {
            3.0 + (0..features).map(|j| (j + 1) as f64 * x[[r, j]]).sum::<f64>()
                + 0.1 * unit(r * (features + 1) + features)
        });
        Table { x, y }
    }

    /// `Σᵣ xᵣ xᵣᵀ` the plain way.
    fn plain_gram(x: &Array2<f64>) -> Array2<f64> {
        x.t().dot(x)
    }

    #[test]
    fn blocked_and_two_thread_gram_match_the_plain_product() {
        for rows in [1, GRAM_BLOCK - 1, GRAM_BLOCK + 1, PARALLEL_ROWS - 1, PARALLEL_ROWS + 777] {
            let data = table(rows, 7);
            let blocked = gram(rows, 7, |row, out| {
                out.iter_mut().zip(data.x.row(row)).for_each(|(slot, &x)| *slot = x)
            });
            let plain = plain_gram(&data.x);
            let worst = (&blocked - &plain).iter().fold(0.0f64, |m, e| m.max(e.abs()));
            assert!(worst <= 1e-9 * rows as f64, "rows {rows}: off by {worst}");
            let again = gram(rows, 7, |row, out| {
                out.iter_mut().zip(data.x.row(row)).for_each(|(slot, &x)| *slot = x)
            });
            assert_eq!(blocked, again, "rows {rows}: bit-identical on every run");
        }
    }

    #[test]
    fn ols_falls_back_to_qr_on_ill_conditioned_data() {
        // The second feature is the first plus 1e-7 of noise: XᵀX has a condition number far
        // beyond MAX_CONDITION, so the normal equations are refused and QR solves instead.
        let mut data = table(500, 2);
        let noise = table(500, 1).x;
        for r in 0..500 {
            data.x[[r, 1]] = data.x[[r, 0]] + 1e-7 * noise[[r, 0]];
            data.y[r] = 3.0 + 3.0 * data.x[[r, 0]] + 0.1 * noise[[r, 0]];
        }
        assert_eq!(regularised_least_squares(&data, 0.0, None), Ok(None));
        let solver = Solver { max_iterations: 1, l2: 0.0, tolerance: 1.0 };
        let params = family(&ModelFamily::LinearOls).fit(&data, None, &solver).unwrap();
        let Output::Values(fitted) = family(&ModelFamily::LinearOls).predict(&params, &data.x)
        else {
            panic!("OLS predicts values");
        };
        let mse = (&fitted - &data.y).mapv(|e| e * e).mean().unwrap();
        // The least-squares fit is as good as the noise allows (variance ≈ 0.01 / 3).
        assert!(mse < 0.004, "mse {mse}");
    }

    #[test]
    fn well_conditioned_ols_uses_the_normal_equations_and_matches_qr() {
        let data = table(2_000, 6);
        let normal = regularised_least_squares(&data, 0.0, None).unwrap().unwrap();
        let dataset = linfa::Dataset::new(data.x.clone(), data.y.clone());
        let qr = linfa::traits::Fit::fit(&linfa_linear::LinearRegression::new(), &dataset).unwrap();
        let qr = with_intercept(qr.params().view(), qr.intercept());
        let worst = (&normal - &qr).iter().fold(0.0f64, |m, e| m.max(e.abs()));
        assert!(worst < 1e-9, "normal equations vs QR: {worst}");
    }
}
