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
use ndarray::{Array1, Array2, ArrayView1, Axis, Slice};
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
    x.dot(&block.slice_axis(Axis(0), Slice::from(..d))) + block[d]
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
/// `(X_cᵀ X_c + (λ + μ) I) w = X_cᵀ y_c + μ w₀` on centred data and sets `b = ȳ − x̄ · w`.
///
/// `anchor = Some((w₀ ‖ b₀, μ))` is the proximal term of federated training (FedProx): local
/// training starts from the global model and stays near it, so that averaging the updates of
/// several participants, round after round, approaches the model trained on all of their
/// data rather than repeating a one-shot average.
fn regularised_least_squares(
    data: &Table,
    lambda: f64,
    anchor: Option<(&Array1<f64>, f64)>,
) -> Result<Array1<f64>, MlError> {
    use linfa_linalg::cholesky::SolveC;
    let d = data.x.ncols();
    let x_mean = data.x.mean_axis(Axis(0)).ok_or(MlError::TooFewRows)?;
    let y_mean = data.y.mean().ok_or(MlError::TooFewRows)?;
    let xc = &data.x - &x_mean;
    let yc = &data.y - y_mean;
    let mu = anchor.map_or(0.0, |(_, mu)| mu);
    let mut gram = xc.t().dot(&xc) + Array2::<f64>::eye(d) * (lambda + mu);
    let mut rhs = xc.t().dot(&yc);
    if let Some((w0, mu)) = anchor {
        rhs = rhs + w0.slice_axis(Axis(0), Slice::from(..d)).to_owned() * mu;
    }
    let rhs = rhs.insert_axis(Axis(1));
    let w = gram.solvec(&rhs).map_err(|_| MlError::NotConverged)?.remove_axis(Axis(1));
    let b = y_mean - x_mean.dot(&w);
    let params = with_intercept(w.view(), b);
    if params.iter().all(|p| p.is_finite()) {
        Ok(params)
    } else {
        Err(MlError::NotConverged)
    }
}

/// The proximal anchor of a linear fit: the warm start and `solver.l2`, when both are given.
fn proximal<'a>(init: Option<&'a Array1<f64>>, solver: &Solver) -> Option<(&'a Array1<f64>, f64)> {
    init.filter(|_| solver.l2 > 0.0).map(|w0| (w0, solver.l2))
}
