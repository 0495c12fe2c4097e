//! Conversion between engine floats and the chain's fixed-point integers.

/// `value · scale`, rounded half away from zero, saturating at the `i64` bounds (infinities
/// included). `None` for NaN, which has no fixed-point value.
pub fn to_fixed(value: f64, scale: i64) -> Option<i64> {
    if value.is_nan() {
        return None;
    }
    // `as` from f64 to i64 saturates by definition (and the product may be ±inf).
    Some((value * scale as f64).round() as i64)
}

/// `value / scale` as a float.
pub fn from_fixed(value: i64, scale: i64) -> f64 {
    value as f64 / scale as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use starling_ml_interface::PARAM_SCALE;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(to_fixed(1.5e-6, PARAM_SCALE), Some(2));
        assert_eq!(to_fixed(-1.5e-6, PARAM_SCALE), Some(-2));
        assert_eq!(to_fixed(0.25, PARAM_SCALE), Some(250_000));
    }

    #[test]
    fn saturates_and_rejects_nan() {
        assert_eq!(to_fixed(f64::INFINITY, PARAM_SCALE), Some(i64::MAX));
        assert_eq!(to_fixed(f64::NEG_INFINITY, PARAM_SCALE), Some(i64::MIN));
        assert_eq!(to_fixed(1e300, PARAM_SCALE), Some(i64::MAX));
        assert_eq!(to_fixed(f64::NAN, PARAM_SCALE), None);
    }

    proptest! {
        #[test]
        // Up to ±1e12 (±1e6 in real units) the float error stays far below half a unit.
        fn round_trips_parameters(v in -1_000_000_000_000i64..1_000_000_000_000) {
            prop_assert_eq!(to_fixed(from_fixed(v, PARAM_SCALE), PARAM_SCALE), Some(v));
        }

        #[test]
        fn saturates_beyond_range(x in 9.3e12f64..1e308) {
            prop_assert_eq!(to_fixed(x, PARAM_SCALE), Some(i64::MAX));
            prop_assert_eq!(to_fixed(-x, PARAM_SCALE), Some(i64::MIN));
        }

        #[test]
        fn is_monotone(a in proptest::num::f64::ANY, b in proptest::num::f64::ANY) {
            prop_assume!(!a.is_nan() && !b.is_nan());
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(to_fixed(lo, PARAM_SCALE) <= to_fixed(hi, PARAM_SCALE));
        }

        #[test]
        fn is_within_half_a_unit(x in -1e9f64..1e9) {
            let fixed = to_fixed(x, PARAM_SCALE).unwrap_or_default();
            // Half a unit, plus float rounding of the product and the quotient.
            prop_assert!((from_fixed(fixed, PARAM_SCALE) - x).abs() <= 0.5e-6 + x.abs() * 1e-15);
        }
    }
}
