//! Ridge regression, solved in closed form by a Cholesky factorisation (`linfa-linalg`).

use super::{affine, with_intercept, Family, Output, Solver};
use crate::data::Table;
use linfa_linalg::cholesky::SolveC;
use ndarray::{Array1, Array2, Axis};
use starling_ml_interface::{LabelKind, MlError, Schema};

/// Minimises `½ Σ (y - x·w - b)² + ½ λ ‖w‖²` (intercept not penalised), i.e. solves
/// `(X_cᵀ X_c + λ I) w = X_cᵀ y_c` on centred data and sets `b = ȳ - x̄ · w`. Parameters
/// `[w_1 … w_d, b]`. Closed form: ignores warm starts and solver settings.
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
        _: Option<&Array1<f64>>,
        _: &Solver,
    ) -> Result<Array1<f64>, MlError> {
        let d = data.x.ncols();
        let x_mean = data.x.mean_axis(Axis(0)).ok_or(MlError::TooFewRows)?;
        let y_mean = data.y.mean().ok_or(MlError::TooFewRows)?;
        let xc = &data.x - &x_mean;
        let yc = &data.y - y_mean;
        let mut gram = xc.t().dot(&xc) + Array2::<f64>::eye(d) * self.lambda;
        let rhs = xc.t().dot(&yc).insert_axis(Axis(1));
        let w = gram.solvec(&rhs).map_err(|_| MlError::NotConverged)?.remove_axis(Axis(1));
        let b = y_mean - x_mean.dot(&w);
        let params = with_intercept(w.view(), b);
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
