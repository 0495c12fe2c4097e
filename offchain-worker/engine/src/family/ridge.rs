//! Ridge regression, solved in closed form by a Cholesky factorisation (`linfa-linalg`) of
//! normal equations accumulated in one blocked pass over the rows.

use super::{affine, proximal, regularised_least_squares, Family, Output, Solver};
use crate::data::Table;
use ndarray::{Array1, Array2};
use starling_ml_interface::{LabelKind, MlError, Schema};

/// Minimises `½ Σ (y - x·w - b)² + ½ λ ‖w‖²` (intercept not penalised), i.e. solves
/// `(X_cᵀ X_c + λ I) w = X_cᵀ y_c` on centred data and sets `b = ȳ - x̄ · w`. Parameters
/// `[w_1 … w_d, b]`. Closed form. With a warm start and `l2 > 0` it adds the proximal term
/// `½ l2 ‖w − w₀‖²` toward the warm start (federated rounds); otherwise it ignores both.
pub struct Ridge {
    /// Penalty strength λ.
    pub lambda: f64,
}

impl Family for Ridge {
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
        regularised_least_squares(data, self.lambda, proximal(init, solver))?
            .ok_or(MlError::NotConverged)
    }

    fn predict(&self, params: &Array1<f64>, x: &Array2<f64>) -> Output {
        Output::Values(affine(params.view(), x))
    }
}
