//! Two-class logistic regression, solved by Newton's method (iteratively reweighted least
//! squares) with a backtracking line search: a dozen steps where L-BFGS takes hundreds, each
//! one blocked pass over the rows for the Hessian.

use super::{
    affine, check_converged, cholesky_solve, gram, with_intercept, Family, Output, Solver,
};
use crate::data::Table;
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

/// The model at some parameters: class-1 probabilities and the objective.
struct Fitted {
    p: Array1<f64>,
    objective: f64,
}

impl Fitted {
    fn at(params: &Array1<f64>, data: &Table, l2: f64) -> Fitted {
        let z = affine(params.view(), &data.x);
        // −ln p(y) = ln(1 + eᶻ) − y z, computed without overflow.
        let loss: f64 = z
            .iter()
            .zip(&data.y)
            .map(|(&z, &y)| z.max(0.0) + (-z.abs()).exp().ln_1p() - y * z)
            .sum();
        let d = data.x.ncols();
        let weights = params.slice_axis(Axis(0), Slice::from(..d));
        Fitted { p: z.mapv(sigmoid), objective: loss + 0.5 * l2 * weights.dot(&weights) }
    }

    /// Gradient of the objective: `Xₐᵀ (p − y) + l2 [w; 0]`.
    fn gradient(&self, params: &Array1<f64>, data: &Table, l2: f64) -> Array1<f64> {
        let residual = &self.p - &data.y;
        let d = data.x.ncols();
        let weights = params.slice_axis(Axis(0), Slice::from(..d));
        with_intercept((data.x.t().dot(&residual) + &weights * l2).view(), residual.sum())
    }
}

/// `−H⁻¹ g` by Cholesky, with a growing multiple of the identity added when `H` is singular
/// (a constant feature without penalty, separable data): `None` when even that fails.
fn newton_step(hessian: Array2<f64>, gradient: &Array1<f64>) -> Option<Array1<f64>> {
    let scale = hessian.diag().iter().fold(0.0f64, |m, &h| m.max(h.abs())).max(1e-12);
    let mut damping = 0.0;
    for _ in 0..12 {
        let mut damped = &hessian + &(Array2::<f64>::eye(hessian.nrows()) * damping);
        if let Some(step) = cholesky_solve(&mut damped, gradient.mapv(|g| -g)) {
            return Some(step);
        }
        damping = if damping == 0.0 { scale * 1e-10 } else { damping * 100.0 };
    }
    None
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
        let ones = data.y.iter().filter(|&&label| label == 1.0).count();
        if ones == 0 || ones == data.rows() {
            return Err(MlError::TooFewRows);
        }
        let d = data.x.ncols();
        let rows = data.rows();
        let mut params = init.cloned().unwrap_or_else(|| Array1::zeros(d + 1));
        let mut fitted = Fitted::at(&params, data, solver.l2);
        for _ in 0..solver.max_iterations {
            let gradient = fitted.gradient(&params, data, solver.l2);
            if check_converged(&params, &gradient, rows, solver.tolerance).is_ok() {
                return Ok(params);
            }
            // Newton direction: (Xₐᵀ S Xₐ + l2 P) δ = −g, with S = diag(p (1 − p)) and P the
            // identity without the intercept. Xₐ = [X 1] is never formed: one blocked pass.
            let mut hessian = gram(rows, d + 1, |row, out| {
                let weight = (fitted.p[row] * (1.0 - fitted.p[row])).sqrt();
                for (slot, &x) in out.iter_mut().zip(data.x.row(row)) {
                    *slot = weight * x;
                }
                out[d] = weight;
            });
            for j in 0..d {
                hessian[[j, j]] += solver.l2;
            }
            let Some(step) = newton_step(hessian, &gradient) else {
                return Err(MlError::NotConverged);
            };
            // Backtracking (Armijo) line search: the objective is convex, so a short enough
            // step along a descent direction always decreases it.
            let slope = gradient.dot(&step);
            let mut length = 1.0;
            loop {
                let candidate = &params + &(&step * length);
                let next = Fitted::at(&candidate, data, solver.l2);
                if next.objective <= fitted.objective + 1e-4 * length * slope {
                    params = candidate;
                    fitted = next;
                    break;
                }
                length /= 2.0;
                if length < 1e-10 {
                    // No decrease along the Newton direction: at the optimum to machine
                    // precision, or numerically stuck; the gradient test decides.
                    return check_converged(&params, &gradient, rows, solver.tolerance)
                        .map(|()| params);
                }
            }
        }
        let gradient = fitted.gradient(&params, data, solver.l2);
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
