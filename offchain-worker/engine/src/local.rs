//! Local datasets: CSV files in the node's data directory, listed in `manifest.json`.
//!
//! ```json
//! {
//!   "datasets": {
//!     "hospital-a": {
//!       "file": "hospital-a.csv",
//!       "label": "outcome",
//!       "workers": ["0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"],
//!       "roles": ["FlParticipant"]
//!     }
//!   }
//! }
//! ```
//!
//! Each file is a numeric CSV with a header row; the `label` column is the label and every
//! other column, in file order, is a feature. Only the listed worker keys (32-byte public
//! keys in hex) may use a dataset, so one node can host several participants in tests, and
//! only in the listed roles (`TrainingNode`, `Validator`, `FlParticipant`, `ModelHost`; at
//! least one): a job names the role it acts in, and rows listed for FL training are refused
//! to a job acting in any other role.
//!
//! A file is parsed once per version: the parsed rows are kept and reused while the file's
//! size, modification time and inode stay the same, so a file replaced while the node runs
//! is read again by the next job.

use crate::data::Table;
use ndarray::{Array1, Array2};
use serde::Deserialize;
use starling_ml_interface::{MlError, Role, WorkerKey};
use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, PoisonError},
    time::SystemTime,
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
    /// A dataset lists no role that may use it.
    NoRoles {
        /// The dataset.
        dataset: String,
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
            ManifestError::NoRoles { dataset } => write!(
                f,
                "dataset {dataset:?}: list the roles that may use it, e.g. \"roles\": [\"FlParticipant\"]"
            ),
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
    roles: Vec<Role>,
}

/// One local dataset.
#[derive(Clone, Debug)]
struct Entry {
    file: PathBuf,
    label: String,
    workers: Vec<WorkerKey>,
    roles: Vec<Role>,
}

/// The datasets of one data directory.
#[derive(Debug, Default)]
pub struct LocalData {
    entries: BTreeMap<Vec<u8>, Entry>,
    /// The rows of each file as last parsed, with the version of the file they came from.
    parsed: Mutex<BTreeMap<Vec<u8>, Loaded>>,
}

/// Which version of a file some rows were parsed from: its size, modification time and
/// inode (a file replaced by a rename gets a new inode even within one clock tick).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl Version {
    fn of(file: &Path) -> Result<Version, MlError> {
        let meta = std::fs::metadata(file).map_err(|_| MlError::DatasetUnreadable)?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Ok(Version { len: meta.len(), modified: meta.modified().ok(), inode })
    }
}

/// The rows of a local dataset and the version of the file they were parsed from.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Every row of the file.
    pub table: Arc<Table>,
    /// The file version.
    pub version: Version,
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
            if entry.roles.is_empty() {
                return Err(ManifestError::NoRoles { dataset: id });
            }
            entries.insert(
                id.into_bytes(),
                Entry {
                    file: dir.join(entry.file),
                    label: entry.label,
                    workers,
                    roles: entry.roles,
                },
            );
        }
        Ok(LocalData { entries, parsed: Mutex::default() })
    }

    /// Number of datasets in the manifest.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the manifest lists no dataset.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The rows of dataset `id` for `worker` acting in `role`: parsed from the file when it
    /// changed since the last job (or was never read), else the rows parsed then.
    pub fn load(&self, id: &[u8], worker: &WorkerKey, role: Role) -> Result<Loaded, MlError> {
        let entry = self.entries.get(id).ok_or(MlError::UnknownDataset)?;
        if !entry.workers.contains(worker) {
            return Err(MlError::DatasetNotPermitted);
        }
        if !entry.roles.contains(&role) {
            return Err(MlError::DatasetNotForRole);
        }
        let version = Version::of(&entry.file)?;
        let parsed = || self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(seen) = parsed().get(id).filter(|seen| seen.version == version) {
            return Ok(seen.clone());
        }
        // Parsed outside the lock: jobs on other datasets do not wait for this one.
        let table = Arc::new(read_csv(&entry.file, &entry.label)?);
        // A file changed while it was read is stored under the version seen before, so the
        // next job reads it again.
        let loaded = Loaded { table, version };
        parsed().insert(id.to_vec(), loaded.clone());
        Ok(loaded)
    }
}

/// Reads and parses the numeric CSV at `file`; `label` names the label column.
pub fn read_csv(file: &Path, label: &str) -> Result<Table, MlError> {
    let text = std::fs::read_to_string(file).map_err(|_| MlError::DatasetUnreadable)?;
    parse_csv(&text, label)
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

/// Files at least this long are parsed in two halves on two threads.
const PARALLEL_PARSE_BYTES: usize = 1 << 20;

/// Parse a numeric CSV with a header; `label` names the label column.
pub fn parse_csv(text: &str, label: &str) -> Result<Table, MlError> {
    let (header, body) = match text.trim_start().split_once('\n') {
        Some((header, body)) => (header, body),
        None => (text.trim(), ""),
    };
    let header: Vec<&str> = header.split(',').map(str::trim).collect();
    let label_column =
        header.iter().position(|name| *name == label).ok_or(MlError::DatasetUnreadable)?;
    let width = header.len();
    // Two halves split at a line break, parsed side by side and joined in file order.
    let (mut x, mut y, rest) = if body.len() >= PARALLEL_PARSE_BYTES {
        let middle = body
            .get(body.len() / 2..)
            .and_then(|tail| tail.find('\n'))
            .map_or(body.len(), |at| body.len() / 2 + at + 1);
        let (first, second) = body.split_at(middle);
        let (first, second) = std::thread::scope(|scope| {
            let second = scope.spawn(|| parse_rows(second, width, label_column));
            (parse_rows(first, width, label_column), second.join())
        });
        let (x, y) = first?;
        (x, y, Some(second.map_err(|_| MlError::DatasetUnreadable)??))
    } else {
        let (x, y) = parse_rows(body, width, label_column)?;
        (x, y, None)
    };
    if let Some((more_x, more_y)) = rest {
        x.extend(more_x);
        y.extend(more_y);
    }
    let rows = y.len();
    Ok(Table {
        x: Array2::from_shape_vec((rows, width - 1), x).map_err(|_| MlError::DatasetUnreadable)?,
        y: Array1::from(y),
    })
}

/// Features (row-major) and labels of the data lines in `text`; blank lines are skipped.
fn parse_rows(
    text: &str,
    width: usize,
    label_column: usize,
) -> Result<(Vec<f64>, Vec<f64>), MlError> {
    let lines = text.len() / (width * 4).max(1);
    let mut x = Vec::with_capacity(lines * (width - 1));
    let mut y = Vec::with_capacity(lines);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut columns = 0;
        for (column, field) in line.split(',').enumerate() {
            let value = field.trim().parse::<f64>().map_err(|_| MlError::DatasetUnreadable)?;
            if column == label_column {
                y.push(value);
            } else {
                x.push(value);
            }
            columns += 1;
        }
        if columns != width {
            return Err(MlError::DatasetUnreadable);
        }
    }
    Ok((x, y))
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
    fn a_large_file_parses_in_two_halves_to_the_same_rows() {
        // Over PARALLEL_PARSE_BYTES, with a blank line and CRLF endings in both halves.
        let mut text = String::from("x1, x2 ,y\r\n");
        let rows = 100_000;
        for i in 0..rows {
            text.push_str(&format!("{i},{},{}.5\r\n", i * 2, i % 7));
            if i % 30_000 == 0 {
                text.push_str("\r\n");
            }
        }
        assert!(text.len() > PARALLEL_PARSE_BYTES);
        let t = parse_csv(&text, "y").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(t.x.dim(), (rows, 2));
        assert!((0..rows).all(|i| t.x[[i, 0]] == i as f64
            && t.x[[i, 1]] == (i * 2) as f64
            && t.y[i] == (i % 7) as f64 + 0.5));
        // A bad field in the second half is still refused.
        text.push_str("1,2,oops\n");
        assert_eq!(parse_csv(&text, "y"), Err(MlError::DatasetUnreadable));
    }

    #[test]
    fn a_file_is_parsed_once_per_version() {
        let dir = std::env::temp_dir().join(format!("starling-local-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let key = "ab".repeat(32);
        std::fs::write(
            dir.join(MANIFEST),
            format!(r#"{{"datasets": {{"d": {{"file": "d.csv", "label": "y", "workers": ["{key}"], "roles": ["FlParticipant"]}}}}}}"#),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let worker = [0xab; 32];
        std::fs::write(dir.join("d.csv"), "a,y\n1,2\n").unwrap_or_else(|e| panic!("{e}"));
        let data = LocalData::open(&dir).unwrap_or_else(|e| panic!("{e}"));
        let load =
            || data.load(b"d", &worker, Role::FlParticipant).unwrap_or_else(|e| panic!("{e:?}"));

        let first = load();
        let again = load();
        assert!(Arc::ptr_eq(&first.table, &again.table), "the same version is not parsed again");
        assert_eq!(first.version, again.version);

        // Replaced with other rows (by a rename, as editors and `mv` do): read again.
        std::fs::write(dir.join("d.new"), "a,y\n3,4\n5,6\n").unwrap_or_else(|e| panic!("{e}"));
        std::fs::rename(dir.join("d.new"), dir.join("d.csv")).unwrap_or_else(|e| panic!("{e}"));
        let replaced = load();
        assert_ne!(replaced.version, first.version);
        assert_eq!(replaced.table.y, ndarray::array![4.0, 6.0]);
        // Rewritten in place with as many bytes: the modification time or inode tells.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join("d.csv"), "a,y\n7,8\n9,0\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(load().table.y, ndarray::array![8.0, 0.0]);
        // A file that disappears is unreadable, not served from the cache.
        std::fs::remove_file(dir.join("d.csv")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            data.load(b"d", &worker, Role::FlParticipant).map(|_| ()),
            Err(MlError::DatasetUnreadable)
        );
        std::fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn worker_keys_are_hex() {
        assert_eq!(parse_key(&format!("0x{}", "01".repeat(32))), Some([1u8; 32]));
        assert_eq!(parse_key(&"ff".repeat(32)), Some([255u8; 32]));
        assert_eq!(parse_key("0x1234"), None);
        assert_eq!(parse_key(&"zz".repeat(32)), None);
    }
}
