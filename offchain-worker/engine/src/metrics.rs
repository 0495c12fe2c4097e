//! Scores: MSE, RMSE, R², accuracy and log-loss. Pure functions on predictions and labels.

use crate::family::Output;
use ndarray::{Array1, Array2};
use starling_ml_interface::{Metric, MlError};

/// Probabilities are clipped to `[EPS, 1 - EPS]` for log-loss, as scikit-learn does.
const EPS: f64 = 1e-15;

/// Compute `metric` for `output` against labels `y` (at least one row).
pub fn score(metric: Metric, output: &Output, y: &Array1<f64>) -> Result<f64, MlError> {
    match (metric, output) {
        (Metric::Mse, Output::Values(p)) => Ok(mse(p, y)),
        (Metric::Rmse, Output::Values(p)) => Ok(mse(p, y).sqrt()),
        (Metric::R2, Output::Values(p)) => Ok(r2(p, y)),
        (Metric::Accuracy, Output::Probabilities(p)) => Ok(accuracy(p, y)),
        (Metric::LogLoss, Output::Probabilities(p)) => Ok(log_loss(p, y)),
        _ => Err(MlError::SchemaMismatch),
    }
}

/// Mean squared error.
pub fn mse(prediction: &Array1<f64>, y: &Array1<f64>) -> f64 {
    let total: f64 = prediction.iter().zip(y).map(|(p, y)| (p - y) * (p - y)).sum();
    total / y.len().max(1) as f64
}

/// `1 - SS_res / SS_tot`; with constant labels 1 for a perfect fit and 0 otherwise
/// (scikit-learn's convention).
pub fn r2(prediction: &Array1<f64>, y: &Array1<f64>) -> f64 {
    let mean = y.mean().unwrap_or(0.0);
    let ss_res: f64 = (prediction - y).mapv(|e| e * e).sum();
    let ss_tot: f64 = y.mapv(|v| (v - mean) * (v - mean)).sum();
    if ss_tot == 0.0 {
        return if ss_res == 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - ss_res / ss_tot
}

/// The most probable class of each row (lowest index on ties).
pub fn argmax_rows(probabilities: &Array2<f64>) -> Array1<usize> {
    probabilities
        .rows()
        .into_iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .fold(
                    (0, f64::NEG_INFINITY),
                    |(best, best_p), (class, &p)| {
                        if p > best_p {
                            (class, p)
                        } else {
                            (best, best_p)
                        }
                    },
                )
                .0
        })
        .collect()
}

/// Fraction of rows whose most probable class is the label.
pub fn accuracy(probabilities: &Array2<f64>, y: &Array1<f64>) -> f64 {
    let predicted = argmax_rows(probabilities);
    let correct = predicted.iter().zip(y.iter()).filter(|(p, label)| **p as f64 == **label).count();
    correct as f64 / y.len().max(1) as f64
}

/// Mean of `-ln p(true class)`, probabilities clipped to `[EPS, 1 - EPS]`.
pub fn log_loss(probabilities: &Array2<f64>, y: &Array1<f64>) -> f64 {
    let total: f64 = probabilities
        .rows()
        .into_iter()
        .zip(y.iter())
        .map(|(row, &label)| {
            let p = row.get(label as usize).copied().unwrap_or(0.0);
            -p.clamp(EPS, 1.0 - EPS).ln()
        })
        .sum();
    total / y.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn regression_metrics_match_hand_computation() {
        let y = array![1.0, 2.0, 3.0, 4.0];
        let p = array![1.5, 2.0, 2.0, 4.0];
        // Errors 0.5, 0, -1, 0 → MSE 1.25 / 4; SS_tot = 5.
        assert_eq!(mse(&p, &y), 0.3125);
        assert_eq!(score(Metric::Rmse, &Output::Values(p.clone()), &y), Ok(0.3125f64.sqrt()));
        assert_eq!(r2(&p, &y), 1.0 - 1.25 / 5.0);
        assert_eq!(r2(&array![2.0, 2.0], &array![2.0, 2.0]), 1.0);
        assert_eq!(r2(&array![1.0, 2.0], &array![2.0, 2.0]), 0.0);
    }

    #[test]
    fn classification_metrics_match_hand_computation() {
        let p = array![[0.9, 0.1], [0.4, 0.6], [0.5, 0.5]];
        let y = array![0.0, 0.0, 1.0];
        // Row 3 ties → class 0: one of three correct.
        assert_eq!(accuracy(&p, &y), 1.0 / 3.0);
        let expected = -(0.9f64.ln() + 0.4f64.ln() + 0.5f64.ln()) / 3.0;
        assert!((log_loss(&p, &y) - expected).abs() < 1e-15);
        assert!(log_loss(&array![[1.0, 0.0]], &array![1.0]).is_finite());
    }

    #[test]
    fn metric_must_fit_the_output() {
        let values = Output::Values(array![1.0]);
        let probabilities = Output::Probabilities(array![[1.0]]);
        assert_eq!(score(Metric::Accuracy, &values, &array![0.0]), Err(MlError::SchemaMismatch));
        assert_eq!(score(Metric::Mse, &probabilities, &array![0.0]), Err(MlError::SchemaMismatch));
    }
}
