//! Local datasets: CSV files in the node's data directory, listed in `manifest.json`.
//!
//! ```json
//! {
//!   "datasets": {
//!     "hospital-a": {
//!       "file": "hospital-a.csv",
//!       "label": "outcome",
//!       "workers": ["0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"]
//!     }
//!   }
//! }
//! ```
//!
//! Each file is a numeric CSV with a header row; the `label` column is the label and every
//! other column, in file order, is a feature. Only the listed worker keys (32-byte public
//! keys in hex) may use a dataset, so one node can host several participants in tests.
//! Files are read per job, so they can be replaced while the node runs.

use crate::data::Table;
use ndarray::{Array1, Array2};
use serde::Deserialize;
use starling_ml_interface::{MlError, WorkerKey};
use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
};

/// Name of the manifest inside the data directory.
pub const MANIFEST: &str = "manifest.json";

/// Why a data directory could not be opened.
#[derive(Debug)]
pub enum ManifestError {
    /// The manifest could not be read.
    Io(PathBuf, std::io::Error),
    /// The manifest is not valid JSON of the documented shape.
    Invalid(String),
    /// A worker key is not 32 bytes of hex.
    BadWorkerKey {
        /// Dataset the key is listed under.
        dataset: String,
        /// The key as written.
        key: String,
    },
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Io(path, e) => write!(f, "cannot read {}: {e}", path.display()),
            ManifestError::Invalid(e) => write!(f, "invalid {MANIFEST}: {e}"),
            ManifestError::BadWorkerKey { dataset, key } => {
                write!(f, "dataset {dataset:?}: worker key {key:?} is not 32 bytes of hex")
            },
        }
    }
}

impl std::error::Error for ManifestError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    datasets: BTreeMap<String, EntryFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    file: PathBuf,
    label: String,
    workers: Vec<String>,
}

/// One local dataset.
#[derive(Clone, Debug)]
struct Entry {
    file: PathBuf,
    label: String,
    workers: Vec<WorkerKey>,
}

/// The datasets of one data directory.
#[derive(Clone, Debug, Default)]
pub struct LocalData {
    entries: BTreeMap<Vec<u8>, Entry>,
}

impl LocalData {
    /// Read `dir/manifest.json`.
    pub fn open(dir: &Path) -> Result<LocalData, ManifestError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| ManifestError::Io(path, e))?;
        let manifest: ManifestFile =
            serde_json::from_str(&text).map_err(|e| ManifestError::Invalid(e.to_string()))?;
        let mut entries = BTreeMap::new();
        for (id, entry) in manifest.datasets {
            let workers = entry
                .workers
                .iter()
                .map(|key| {
                    parse_key(key).ok_or_else(|| ManifestError::BadWorkerKey {
                        dataset: id.clone(),
                        key: key.clone(),
                    })
                })
                .collect::<Result<_, _>>()?;
            entries.insert(
                id.into_bytes(),
                Entry { file: dir.join(entry.file), label: entry.label, workers },
            );
        }
        Ok(LocalData { entries })
    }

    /// Number of datasets in the manifest.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the manifest lists no dataset.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Load dataset `id` for `worker`.
    pub fn load(&self, id: &[u8], worker: &WorkerKey) -> Result<Table, MlError> {
        let entry = self.entries.get(id).ok_or(MlError::UnknownDataset)?;
        if !entry.workers.contains(worker) {
            return Err(MlError::DatasetNotPermitted);
        }
        let text = std::fs::read_to_string(&entry.file).map_err(|_| MlError::DatasetUnreadable)?;
        parse_csv(&text, &entry.label)
    }
}

/// 64 hex digits, optionally prefixed with `0x`.
fn parse_key(key: &str) -> Option<WorkerKey> {
    let hex = key.strip_prefix("0x").unwrap_or(key);
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// Parse a numeric CSV with a header; `label` names the label column.
fn parse_csv(text: &str, label: &str) -> Result<Table, MlError> {
    let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
    let header: Vec<&str> =
        lines.next().ok_or(MlError::DatasetUnreadable)?.split(',').map(str::trim).collect();
    let label_column =
        header.iter().position(|name| *name == label).ok_or(MlError::DatasetUnreadable)?;
    let features = header.len() - 1;
    let mut x = Vec::new();
    let mut y = Vec::new();
    for line in lines {
        let values = line
            .split(',')
            .map(|field| field.trim().parse::<f64>())
            .collect::<Result<Vec<f64>, _>>()
            .map_err(|_| MlError::DatasetUnreadable)?;
        if values.len() != header.len() {
            return Err(MlError::DatasetUnreadable);
        }
        for (column, value) in values.into_iter().enumerate() {
            if column == label_column {
                y.push(value);
            } else {
                x.push(value);
            }
        }
    }
    let rows = y.len();
    Ok(Table {
        x: Array2::from_shape_vec((rows, features), x).map_err(|_| MlError::DatasetUnreadable)?,
        y: Array1::from(y),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_label_anywhere_and_keeps_feature_order() {
        let t = parse_csv("a, y ,b\n1,10,2\n\n3,30,4\n", "y").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(t.x, ndarray::array![[1.0, 2.0], [3.0, 4.0]]);
        assert_eq!(t.y, ndarray::array![10.0, 30.0]);
    }

    #[test]
    fn rejects_malformed_csv() {
        assert_eq!(parse_csv("", "y"), Err(MlError::DatasetUnreadable));
        assert_eq!(parse_csv("a,b\n1,2\n", "y"), Err(MlError::DatasetUnreadable));
        assert_eq!(parse_csv("a,y\n1,x\n", "y"), Err(MlError::DatasetUnreadable));
        assert_eq!(parse_csv("a,y\n1,2,3\n", "y"), Err(MlError::DatasetUnreadable));
    }

    #[test]
    fn nan_parses_so_validation_can_name_it() {
        let t = parse_csv("a,y\nNaN,1\ninf,2\n", "y").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(t.x.iter().all(|v| !v.is_finite()));
    }

    #[test]
    fn worker_keys_are_hex() {
        assert_eq!(parse_key(&format!("0x{}", "01".repeat(32))), Some([1u8; 32]));
        assert_eq!(parse_key(&"ff".repeat(32)), Some([255u8; 32]));
        assert_eq!(parse_key("0x1234"), None);
        assert_eq!(parse_key(&"zz".repeat(32)), None);
    }
}
