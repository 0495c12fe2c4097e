//! Two-class logistic regression, solved by `linfa-logistic` (L-BFGS).

use super::{affine, check_converged, with_intercept, Family, Output, Solver};
use crate::data::Table;
use linfa::{traits::Fit, Dataset};
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2, Axis, Slice};
use starling_ml_interface::{LabelKind, MlError, Schema};

/// Minimises `Σ -ln p(yᵢ) + ½ l2 ‖w‖²` with `p(1 | x) = σ(x·w + b)`. Parameters
/// `[w_1 … w_d, b]`: the logit of class `1`.
pub struct LogisticBinary;

/// `σ(z)`, computed without overflow for large `|z|`.
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl Family for LogisticBinary {
    fn check_schema(&self, schema: &Schema) -> Result<(), MlError> {
        match schema.label {
            LabelKind::Classes(2) => Ok(()),
            _ => Err(MlError::SchemaMismatch),
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
        let labels = data.y.mapv(|label| label as usize);
        let ones = labels.iter().filter(|&&label| label == 1).count();
        let zeros = labels.len() - ones;
        if ones == 0 || zeros == 0 {
            return Err(MlError::TooFewRows);
        }
        // linfa-logistic models the logit of the more frequent class (on a tie, the class of the
        // first row); flip the warm start into its orientation and the result back out of it.
        let first = labels.first().copied().unwrap_or(1);
        let linfa_positive = if ones == zeros {
            first
        } else if ones > zeros {
            1
        } else {
            0
        };
        let sign_in = if linfa_positive == 1 { 1.0 } else { -1.0 };
        let rows = data.rows();

        let mut model = LogisticRegression::default()
            .alpha(solver.l2)
            .max_iterations(solver.max_iterations)
            .gradient_tolerance(solver.tolerance * rows as f64);
        if let Some(init) = init {
            model = model.initial_params(init * sign_in);
        }
        let fitted =
            model.fit(&Dataset::new(data.x.clone(), labels)).map_err(|_| MlError::NotConverged)?;
        let sign_out = if fitted.labels().pos.class == 1 { 1.0 } else { -1.0 };
        let params =
            with_intercept((fitted.params() * sign_out).view(), fitted.intercept() * sign_out);

        // Gradient of the objective at the solution, in canonical orientation.
        let residual = affine(params.view(), &data.x).mapv(sigmoid) - &data.y;
        let d = data.x.ncols();
        let weights = params.slice_axis(Axis(0), Slice::from(..d));
        let gradient = with_intercept(
            (data.x.t().dot(&residual) + &weights * solver.l2).view(),
            residual.sum(),
        );
        check_converged(&params, &gradient, rows, solver.tolerance)?;
        Ok(params)
    }

    fn predict(&self, params: &Array1<f64>, x: &Array2<f64>) -> Output {
        let p1 = affine(params.view(), x).mapv(sigmoid);
        Output::Probabilities(Array2::from_shape_fn((p1.len(), 2), |(row, class)| {
            if class == 1 {
                p1[row]
            } else {
                1.0 - p1[row]
            }
        }))
    }
}
