//! Rows for a job: built-in datasets, seeded slicing, and validation against a schema.

use crate::rng::permutation;
use blake2::{digest::consts::U32, Blake2b, Digest};
use linfa::dataset::Records;
use ndarray::{Array1, Array2, Axis};
use starling_ml_interface::{
    BuiltInDataset, LabelKind, MlError, Schema, Slice, Split, DATASET_HASH_DOMAIN,
};
use std::sync::{Arc, OnceLock};

/// Features (`rows × features`) and labels of a job, as floats.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Feature matrix, one row per sample.
    pub x: Array2<f64>,
    /// Label per row: a real number, or a class index stored as a float.
    pub y: Array1<f64>,
}

impl Table {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.x.nrows()
    }

    /// The content hash of these rows, as defined at [`DATASET_HASH_DOMAIN`].
    pub fn content_hash(&self) -> [u8; 32] {
        let mut hasher = Blake2b::<U32>::new();
        hasher.update(DATASET_HASH_DOMAIN);
        hasher.update((self.x.nrows() as u64).to_le_bytes());
        hasher.update((self.x.ncols() as u64).to_le_bytes());
        for (row, label) in self.x.rows().into_iter().zip(&self.y) {
            for value in row {
                hasher.update(value.to_bits().to_le_bytes());
            }
            hasher.update(label.to_bits().to_le_bytes());
        }
        hasher.finalize().into()
    }

    /// Replaces every label by a wrong one (adversarial demonstrations): a real label `y` by
    /// `min + max − y` over these rows, class `c` of `k` by `k − 1 − c`.
    pub fn flip_labels(&mut self, kind: LabelKind) {
        match kind {
            LabelKind::Continuous => {
                let (min, max) =
                    self.y.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &y| {
                        (lo.min(y), hi.max(y))
                    });
                self.y.mapv_inplace(|y| min + max - y);
            },
            LabelKind::Classes(classes) => {
                let last = f64::from(classes.saturating_sub(1));
                self.y.mapv_inplace(|c| last - c);
            },
        }
    }

    /// The rows at `indices`, in that order.
    fn take(&self, indices: &[usize]) -> Table {
        Table { x: self.x.select(Axis(0), indices), y: self.y.select(Axis(0), indices) }
    }
}

/// A dataset shipped inside `linfa-datasets`, decompressed and parsed once per process.
pub fn built_in(dataset: BuiltInDataset) -> Arc<Table> {
    static LOADED: [OnceLock<Arc<Table>>; 4] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let cell = match dataset {
        BuiltInDataset::Diabetes => &LOADED[0],
        BuiltInDataset::WineQuality => &LOADED[1],
        BuiltInDataset::WineGood => &LOADED[2],
        BuiltInDataset::Iris => &LOADED[3],
    };
    Arc::clone(cell.get_or_init(|| Arc::new(load_built_in(dataset))))
}

/// Decompresses and parses a built-in dataset.
fn load_built_in(dataset: BuiltInDataset) -> Table {
    match dataset {
        BuiltInDataset::Diabetes => {
            let d = linfa_datasets::diabetes();
            Table { x: d.records().to_owned(), y: d.targets().to_owned() }
        },
        BuiltInDataset::WineQuality => {
            let d = linfa_datasets::winequality();
            Table { x: d.records().to_owned(), y: d.targets().mapv(|q| q as f64) }
        },
        BuiltInDataset::WineGood => {
            let d = linfa_datasets::winequality();
            Table {
                x: d.records().to_owned(),
                y: d.targets().mapv(|q| if q >= 6 { 1.0 } else { 0.0 }),
            }
        },
        BuiltInDataset::Iris => {
            let d = linfa_datasets::iris();
            Table { x: d.records().to_owned(), y: d.targets().mapv(|c| c as f64) }
        },
    }
}

/// Row indices (into the unshuffled table of `rows` rows) that `slice` selects, in shuffled
/// order.
pub fn slice_indices(rows: usize, slice: &Slice) -> Result<Vec<usize>, MlError> {
    if slice.shard_count == 0
        || slice.shard_index >= slice.shard_count
        || slice.test_permille > 1000
    {
        return Err(MlError::BadRequest);
    }
    let order = permutation(rows, slice.seed);
    // `rows · 1000` cannot overflow for any in-memory dataset; saturate rather than trust it.
    let test_rows = rows.saturating_mul(usize::from(slice.test_permille)) / 1000;
    let part: &[usize] = match slice.split {
        Split::Test => order.get(..test_rows).unwrap_or_default(),
        Split::Train => order.get(test_rows..).unwrap_or_default(),
        Split::All => &order,
    };
    let shard_index = usize::from(slice.shard_index);
    let shard_count = usize::from(slice.shard_count);
    Ok(part
        .iter()
        .enumerate()
        .filter(|(position, _)| position % shard_count == shard_index)
        .map(|(_, &row)| row)
        .collect())
}

/// The rows of `table` that `slice` selects.
pub fn select(table: &Table, slice: &Slice) -> Result<Table, MlError> {
    Ok(table.take(&slice_indices(table.rows(), slice)?))
}

/// Whether every value is finite: one branch-free pass over the bits (a value is infinite or
/// NaN exactly when its exponent bits are all ones), which the compiler vectorises.
fn all_finite<D: ndarray::Dimension>(values: &ndarray::Array<f64, D>) -> bool {
    const EXPONENT: u64 = 0x7ff0_0000_0000_0000;
    let check = |values: &[f64]| {
        !values.iter().fold(false, |bad, v| bad | (v.to_bits() & EXPONENT == EXPONENT))
    };
    match values.as_slice_memory_order() {
        Some(contiguous) => check(contiguous),
        None => values.iter().all(|v| v.is_finite()),
    }
}

/// Check `table` against `schema`: feature count, finiteness, labels within the schema.
pub fn validate(table: &Table, schema: &Schema) -> Result<(), MlError> {
    if table.x.nfeatures() != schema.features as usize || table.y.len() != table.rows() {
        return Err(MlError::DimensionMismatch);
    }
    if !all_finite(&table.x) || !all_finite(&table.y) {
        return Err(MlError::NonFiniteData);
    }
    if let LabelKind::Classes(classes) = schema.label {
        let in_schema =
            |label: &f64| label.fract() == 0.0 && *label >= 0.0 && *label < classes as f64;
        if !table.y.iter().all(in_schema) {
            return Err(MlError::LabelOutsideSchema);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(split: Split, shard_index: u16, shard_count: u16) -> Slice {
        Slice { seed: 11, split, test_permille: 200, shard_index, shard_count }
    }

    #[test]
    fn built_ins_have_documented_shapes() {
        let shape = |d| {
            let t = built_in(d);
            (t.rows(), t.x.ncols())
        };
        assert_eq!(shape(BuiltInDataset::Diabetes), (441, 10));
        assert_eq!(shape(BuiltInDataset::WineQuality), (1599, 11));
        assert_eq!(shape(BuiltInDataset::WineGood), (1599, 11));
        assert_eq!(shape(BuiltInDataset::Iris), (150, 4));
    }

    #[test]
    fn shards_cover_every_row_exactly_once() {
        for rows in [0usize, 1, 7, 441, 1599] {
            for shards in [1u16, 2, 3, 5, 8] {
                let mut seen = vec![0u32; rows];
                for split in [Split::Train, Split::Test] {
                    for shard in 0..shards {
                        for row in
                            slice_indices(rows, &slice(split, shard, shards)).unwrap_or_default()
                        {
                            seen[row] += 1;
                        }
                    }
                }
                assert!(seen.iter().all(|&count| count == 1), "rows {rows}, shards {shards}");
            }
        }
    }

    #[test]
    fn test_split_has_the_requested_size_and_shards_are_balanced() {
        let test = slice_indices(441, &slice(Split::Test, 0, 1)).unwrap_or_default();
        assert_eq!(test.len(), 88);
        let sizes: Vec<usize> = (0..5)
            .map(|i| slice_indices(441, &slice(Split::Train, i, 5)).unwrap_or_default().len())
            .collect();
        assert_eq!(sizes, vec![71, 71, 71, 70, 70]);
    }

    #[test]
    fn bad_slices_are_rejected() {
        assert_eq!(slice_indices(10, &slice(Split::All, 0, 0)), Err(MlError::BadRequest));
        assert_eq!(slice_indices(10, &slice(Split::All, 3, 3)), Err(MlError::BadRequest));
        let too_much_test = Slice { test_permille: 1001, ..slice(Split::Test, 0, 1) };
        assert_eq!(slice_indices(10, &too_much_test), Err(MlError::BadRequest));
    }
}
