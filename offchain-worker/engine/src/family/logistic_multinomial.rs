//! Softmax (multinomial) logistic regression, solved by `linfa-logistic` (L-BFGS).

use super::{check_converged, Family, Output, Solver};
use crate::data::Table;
use linfa::{traits::Fit, Dataset};
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2, Axis, Slice};
use starling_ml_interface::{LabelKind, MlError, Schema};

/// Minimises `Σ -ln p(yᵢ) + ½ l2 ‖W‖²` with `p(c | x) = softmax(x·W + b)_c`. Parameters:
/// class-major blocks `[w_{c,1} … w_{c,d}, b_c]` for `c = 0 … K-1`.
///
/// Softmax is unchanged when the same vector is added to every class's block, so the engine
/// fixes that freedom: each weight and the intercepts sum to zero across classes. This makes
/// the parameters unique and the canonical vectors of different participants comparable.
pub struct LogisticMultinomial {
    /// Number of classes `K`.
    pub classes: usize,
}

impl LogisticMultinomial {
    /// Canonical vector → `(d + 1) × K` matrix (linfa's layout: intercept as the last row).
    fn to_matrix(&self, params: &Array1<f64>, d: usize) -> Array2<f64> {
        Array2::from_shape_fn((d + 1, self.classes), |(j, c)| params[c * (d + 1) + j])
    }

    /// `(d + 1) × K` matrix → canonical vector.
    fn from_matrix(matrix: &Array2<f64>) -> Array1<f64> {
        matrix.t().iter().copied().collect()
    }
}

/// Row-wise softmax of `x · W + b`, for `matrix` in linfa's `(d + 1) × K` layout.
fn probabilities(matrix: &Array2<f64>, x: &Array2<f64>) -> Array2<f64> {
    let d = x.ncols();
    let mut logits = x.dot(&matrix.slice_axis(Axis(0), Slice::from(..d))) + matrix.row(d);
    for mut row in logits.rows_mut() {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        row.mapv_inplace(|z| (z - max).exp());
        let sum = row.sum();
        row.mapv_inplace(|e| e / sum);
    }
    logits
}

impl Family for LogisticMultinomial {
    fn check_schema(&self, schema: &Schema) -> Result<(), MlError> {
        match schema.label {
            LabelKind::Classes(k) if k as usize == self.classes && self.classes >= 2 => Ok(()),
            _ => Err(MlError::SchemaMismatch),
        }
    }

    fn param_len(&self, features: usize) -> usize {
        features.saturating_add(1).saturating_mul(self.classes)
    }

    fn fit(
        &self,
        data: &Table,
        init: Option<&Array1<f64>>,
        solver: &Solver,
    ) -> Result<Array1<f64>, MlError> {
        let labels = data.y.mapv(|label| label as usize);
        let mut counts = vec![0usize; self.classes];
        for &label in &labels {
            counts[label] += 1;
        }
        // linfa-logistic sizes the model by the classes present; every class needs a row.
        if counts.contains(&0) {
            return Err(MlError::TooFewRows);
        }
        let (rows, d) = data.x.dim();

        let mut model = MultiLogisticRegression::default()
            .alpha(solver.l2)
            .max_iterations(solver.max_iterations)
            .gradient_tolerance(solver.tolerance * rows as f64);
        if let Some(init) = init {
            model = model.initial_params(self.to_matrix(init, d));
        }
        let fitted = model
            .fit(&Dataset::new(data.x.clone(), labels.clone()))
            .map_err(|_| MlError::NotConverged)?;
        let mut matrix = Array2::zeros((d + 1, self.classes));
        matrix.slice_axis_mut(Axis(0), Slice::from(..d)).assign(fitted.params());
        matrix.row_mut(d).assign(fitted.intercept());
        // Fix the softmax shift freedom: every row of the matrix sums to zero.
        for mut row in matrix.rows_mut() {
            let mean = row.mean().unwrap_or(0.0);
            row.mapv_inplace(|v| v - mean);
        }

        // Gradient at the solution: Xᵀ(P - Y) + l2·W and Σ(P - Y) for the intercepts.
        let mut residual = probabilities(&matrix, &data.x);
        for (mut row, &label) in residual.rows_mut().into_iter().zip(labels.iter()) {
            row[label] -= 1.0;
        }
        let mut gradient = Array2::zeros((d + 1, self.classes));
        gradient.slice_axis_mut(Axis(0), Slice::from(..d)).assign(
            &(data.x.t().dot(&residual)
                + &matrix.slice_axis(Axis(0), Slice::from(..d)) * solver.l2),
        );
        gradient.row_mut(d).assign(&residual.sum_axis(Axis(0)));

        let params = Self::from_matrix(&matrix);
        check_converged(&params, &Self::from_matrix(&gradient), rows, solver.tolerance)?;
        Ok(params)
    }

    fn predict(&self, params: &Array1<f64>, x: &Array2<f64>) -> Output {
        Output::Probabilities(probabilities(&self.to_matrix(params, x.ncols()), x))
    }
}
