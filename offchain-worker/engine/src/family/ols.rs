//! Ordinary least squares linear regression: Cholesky on the normal equations, accumulated in
//! one blocked pass over the rows; `linfa-linear` (QR least squares) when they are
//! ill-conditioned.

use super::{affine, proximal, regularised_least_squares, with_intercept, Family, Output, Solver};
use crate::data::Table;
use linfa::{traits::Fit, Dataset};
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2};
use starling_ml_interface::{LabelKind, MlError, Schema};

/// Minimises `Σ (y - x·w - b)²`. Parameters `[w_1 … w_d, b]`. Closed form. With a warm start
/// and `l2 > 0` it adds the proximal term `½ l2 ‖w − w₀‖²` toward the warm start (federated
/// rounds); otherwise it ignores both.
pub struct Ols;

impl Family for Ols {
    fn check_schema(&self, schema: &Schema) -> Result<(), MlError> {
        match schema.label {
            LabelKind::Continuous => Ok(()),
            LabelKind::Classes(_) => Err(MlError::SchemaMismatch),
        }
    }

    fn param_len(&self, features: usize) -> usize {
        features.saturating_add(1)
    }

    fn fit(
        &self,
        data: &Table,
        init: Option<&Array1<f64>>,
        solver: &Solver,
    ) -> Result<Array1<f64>, MlError> {
        let anchor = proximal(init, solver);
        if let Some(params) = regularised_least_squares(data, 0.0, anchor)? {
            return Ok(params);
        }
        if anchor.is_some() {
            return Err(MlError::NotConverged);
        }
        // Ill-conditioned (or rank-deficient) data: a QR least-squares solve.
        let dataset = Dataset::new(data.x.clone(), data.y.clone());
        let model = LinearRegression::new().fit(&dataset).map_err(|_| MlError::NotConverged)?;
        let params = with_intercept(model.params().view(), model.intercept());
        if params.iter().all(|p| p.is_finite()) {
            Ok(params)
        } else {
            Err(MlError::NotConverged)
        }
    }

    fn predict(&self, params: &Array1<f64>, x: &Array2<f64>) -> Output {
        Output::Values(affine(params.view(), x))
    }
}
