//! The slices recent jobs used, kept for the next jobs on the same rows.
//!
//! A validator scores every model of a task on one evaluation slice, an FL participant trains
//! on its shard every round, a host scores its line on the same rows every quality period:
//! shuffling and copying the rows again for each job costs more than the model itself. The
//! cache keeps the most recently used slices, up to [`MAX_ENTRIES`] and [`MAX_BYTES`] (the
//! newest slice always stays, however large), and the schemas each one passed validation
//! against, so a job on a kept slice does not scan its values again. A slice of a local file
//! is keyed by the file's version, so a file replaced while the node runs is sliced again.

use crate::{data::Table, local::Version};
use starling_ml_interface::{BuiltInDataset, MlError, Schema, Slice};
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, PoisonError},
};

/// Most slices kept.
pub const MAX_ENTRIES: usize = 8;
/// Most bytes of rows kept (the newest slice is kept even when it alone is larger).
pub const MAX_BYTES: usize = 256 << 20;

/// Which rows a slice holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SliceKey {
    /// A slice of a built-in dataset.
    BuiltIn(BuiltInDataset, Slice),
    /// A slice of a version of a local dataset.
    Local(Vec<u8>, Version, Slice),
}

/// Recently used slices, least recently used first.
#[derive(Debug, Default)]
pub struct SliceCache {
    entries: Mutex<VecDeque<Entry>>,
}

/// One kept slice.
#[derive(Debug)]
struct Entry {
    key: SliceKey,
    table: Arc<Table>,
    /// Schemas the slice passed validation against.
    valid_for: Vec<Schema>,
}

impl SliceCache {
    /// The slice `key`, made by `make` unless it is kept.
    pub fn get_or_make(
        &self,
        key: SliceKey,
        make: impl FnOnce() -> Result<Table, MlError>,
    ) -> Result<Arc<Table>, MlError> {
        {
            let mut kept = self.lock();
            if let Some(at) = kept.iter().position(|entry| entry.key == key) {
                if let Some(hit) = kept.remove(at) {
                    let table = Arc::clone(&hit.table);
                    kept.push_back(hit);
                    return Ok(table);
                }
            }
        }
        // Made outside the lock: jobs on other slices do not wait for this one.
        let table = Arc::new(make()?);
        let mut kept = self.lock();
        kept.retain(|entry| entry.key != key);
        kept.push_back(Entry { key, table: Arc::clone(&table), valid_for: Vec::new() });
        let mut bytes: usize = kept.iter().map(|entry| size_of(&entry.table)).sum();
        while kept.len() > MAX_ENTRIES || (bytes > MAX_BYTES && kept.len() > 1) {
            match kept.pop_front() {
                Some(evicted) => bytes = bytes.saturating_sub(size_of(&evicted.table)),
                None => break,
            }
        }
        Ok(table)
    }

    /// `Ok` when slice `key` (whose rows are `table`) is valid for `schema`: remembered from
    /// an earlier job, else decided by `check` and remembered when it passes (a failure is
    /// not kept: the next job checks again).
    pub fn validate(
        &self,
        key: &SliceKey,
        table: &Arc<Table>,
        schema: &Schema,
        check: impl FnOnce(&Table) -> Result<(), MlError>,
    ) -> Result<(), MlError> {
        let kept_valid = |kept: &VecDeque<Entry>| {
            kept.iter().any(|e| {
                e.key == *key && Arc::ptr_eq(&e.table, table) && e.valid_for.contains(schema)
            })
        };
        if kept_valid(&self.lock()) {
            return Ok(());
        }
        check(table)?;
        if let Some(entry) =
            self.lock().iter_mut().find(|e| e.key == *key && Arc::ptr_eq(&e.table, table))
        {
            if !entry.valid_for.contains(schema) {
                entry.valid_for.push(*schema);
            }
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Number of slices kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no slice is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Bytes of a table's values.
fn size_of(table: &Table) -> usize {
    (table.x.len() + table.y.len()).saturating_mul(core::mem::size_of::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2};
    use starling_ml_interface::Split;

    fn key(seed: u64) -> SliceKey {
        SliceKey::BuiltIn(
            BuiltInDataset::Iris,
            Slice { seed, split: Split::All, test_permille: 0, shard_index: 0, shard_count: 1 },
        )
    }

    fn table(rows: usize) -> Table {
        Table { x: Array2::zeros((rows, 1)), y: Array1::zeros(rows) }
    }

    #[test]
    fn keeps_the_most_recently_used_slices() {
        let cache = SliceCache::default();
        let made = std::cell::Cell::new(0);
        let get = |seed| {
            cache
                .get_or_make(key(seed), || {
                    made.set(made.get() + 1);
                    Ok(table(1))
                })
                .unwrap()
        };
        let first = get(0);
        assert!(Arc::ptr_eq(&first, &get(0)), "a kept slice is not made again");
        for seed in 1..MAX_ENTRIES as u64 {
            get(seed);
        }
        get(0); // 0 is now the most recently used
        get(100); // evicts 1, the least recently used
        assert_eq!(made.get(), MAX_ENTRIES + 1);
        get(0);
        assert_eq!(made.get(), MAX_ENTRIES + 1, "0 was kept");
        get(1);
        assert_eq!(made.get(), MAX_ENTRIES + 2, "1 was evicted and made again");
        assert_eq!(cache.len(), MAX_ENTRIES);
    }

    #[test]
    fn keeps_within_the_byte_budget_but_always_the_newest() {
        let cache = SliceCache::default();
        let big = MAX_BYTES / 16 + 1; // rows of 2 values: over half the budget
        cache.get_or_make(key(0), || Ok(table(big))).unwrap();
        cache.get_or_make(key(1), || Ok(table(big))).unwrap();
        assert_eq!(cache.len(), 1, "two do not fit");
        cache.get_or_make(key(2), || Ok(table(MAX_BYTES))).unwrap();
        assert_eq!(cache.len(), 1, "the newest stays even when it alone is over the budget");
    }

    #[test]
    fn remembers_the_schemas_a_slice_passed() {
        let cache = SliceCache::default();
        let kept = cache.get_or_make(key(0), || Ok(table(3))).unwrap();
        let schema = Schema { features: 1, label: starling_ml_interface::LabelKind::Continuous };
        let other = Schema { features: 2, ..schema };
        let checks = std::cell::Cell::new(0);
        let check = |result: Result<(), MlError>| {
            let checks = &checks;
            move |_: &Table| {
                checks.set(checks.get() + 1);
                result
            }
        };
        assert_eq!(cache.validate(&key(0), &kept, &schema, check(Ok(()))), Ok(()));
        assert_eq!(cache.validate(&key(0), &kept, &schema, check(Ok(()))), Ok(()));
        assert_eq!(checks.get(), 1, "a passed schema is not checked again");
        let failed = Err(MlError::DimensionMismatch);
        assert_eq!(cache.validate(&key(0), &kept, &other, check(failed)), failed);
        assert_eq!(cache.validate(&key(0), &kept, &other, check(failed)), failed);
        assert_eq!(checks.get(), 3, "a failure is checked again");
        // Rows that are not the kept ones (a slice evicted and made again) are checked.
        let fresh = Arc::new(table(3));
        assert_eq!(cache.validate(&key(0), &fresh, &schema, check(Ok(()))), Ok(()));
        assert_eq!(checks.get(), 4);
    }

    #[test]
    fn a_failed_make_keeps_nothing() {
        let cache = SliceCache::default();
        assert_eq!(
            cache.get_or_make(key(0), || Err(MlError::BadRequest)),
            Err(MlError::BadRequest)
        );
        assert!(cache.is_empty());
    }
}
