//! Capabilities granted explicitly: directories a guest may see.
//!
//! A granted host directory is snapshotted into the store when the
//! invocation starts (every file a content-addressed blob, the listing a
//! manifest blob), and the guest gets a private copy made from the snapshot.
//! So every byte the guest can read is recorded before it sees it, a replay
//! reads the recorded bytes whatever the host directory holds by then, and
//! a writable grant writes to the copy, never back to the host.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::storage::{Reader, Storage, StorageError, decode_json};
use crate::value::{Digest, canonical_record};

/// A directory to grant, as the user names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The directory on the host.
    pub host: PathBuf,
    /// Where the guest sees it, e.g. `/data`.
    pub guest: String,
    /// Whether the guest may write (to its own copy).
    pub writable: bool,
}

impl std::str::FromStr for Grant {
    type Err = String;

    /// `HOST_PATH:GUEST_PATH[:ro|rw]`, read-only by default.
    fn from_str(text: &str) -> Result<Grant, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let (host, guest, mode) = match parts.as_slice() {
            [host, guest] => (host, guest, "ro"),
            [host, guest, mode] => (host, guest, *mode),
            _ => return Err(format!("`{text}` is not HOST_PATH:GUEST_PATH[:ro|rw]")),
        };
        let writable = match mode {
            "ro" => false,
            "rw" => true,
            other => return Err(format!("`{other}` is neither `ro` nor `rw`")),
        };
        if !guest.starts_with('/') {
            return Err(format!("the guest path `{guest}` must be absolute"));
        }
        Ok(Grant { host: PathBuf::from(host), guest: guest.to_string(), writable })
    }
}

/// A granted directory as an invocation records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirGrant {
    /// Where the guest sees it.
    pub guest: String,
    /// The manifest blob: `{"files": {"relative/path": "sha256:…"}}`.
    pub snapshot: Digest,
    /// Whether the guest may write to its copy.
    pub writable: bool,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    files: BTreeMap<String, Digest>,
}

/// Why a directory cannot be granted.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// The directory cannot be read.
    #[error("cannot grant `{path}`: {message}")]
    Read {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The directory holds more than the limit.
    #[error("cannot grant `{path}`: it holds more than {limit}; hint: grant a smaller directory")]
    TooLarge {
        /// The path.
        path: PathBuf,
        /// The limit, for people.
        limit: String,
    },
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Snapshots `grant` into the store (regular files only; links are skipped).
///
/// # Errors
/// An unreadable directory, or one larger than `limit` bytes.
pub fn snapshot(storage: &Storage, grant: &Grant, limit: u64) -> Result<DirGrant, GrantError> {
    let read_err =
        |path: &Path, e: std::io::Error| GrantError::Read { path: path.to_path_buf(), message: e.to_string() };
    let mut files = BTreeMap::new();
    let mut blobs = Vec::new();
    let mut total = 0u64;
    let mut stack = vec![grant.host.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| read_err(&dir, e))? {
            let entry = entry.map_err(|e| read_err(&dir, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| read_err(&path, e))?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let bytes = std::fs::read(&path).map_err(|e| read_err(&path, e))?;
                total += bytes.len() as u64;
                if total > limit {
                    return Err(GrantError::TooLarge {
                        path: grant.host.clone(),
                        limit: crate::sandbox::human_bytes(limit),
                    });
                }
                let relative = path.strip_prefix(&grant.host).expect("below the grant").to_string_lossy().into_owned();
                files.insert(relative, Digest::of(&bytes));
                blobs.push(bytes);
            }
        }
    }
    let manifest = canonical_record(&Manifest { files });
    let snapshot = storage.write(|w| {
        w.put_blobs(blobs.iter().map(Vec::as_slice))?;
        w.put_blob(&manifest)
    })?;
    Ok(DirGrant { guest: grant.guest.clone(), snapshot, writable: grant.writable })
}

/// The file blobs a snapshot's manifest (blob `snapshot`, `bytes`) names.
///
/// # Errors
/// The bytes are not a manifest.
pub(crate) fn manifest_files(snapshot: &Digest, bytes: &[u8]) -> Result<Vec<Digest>, StorageError> {
    let manifest: Manifest = decode_json("blobs", snapshot, bytes)?;
    Ok(manifest.files.into_values().collect())
}

/// The manifest of a grant's snapshot.
fn manifest(reader: &Reader, grant: &DirGrant) -> Result<Manifest, StorageError> {
    decode_json("blobs", &grant.snapshot, &reader.blob(&grant.snapshot)?)
}

/// Private copies of granted snapshots, removed when dropped.
pub struct Materialized {
    _root: Option<tempfile::TempDir>,
    /// (host copy, guest path, writable) for each grant.
    pub preopens: Vec<(PathBuf, String, bool)>,
}

/// Makes a private copy of each snapshot, with every file time set to the
/// Unix epoch so no host time shows through.
///
/// # Errors
/// A missing blob, or the copy cannot be written.
pub fn materialize(storage: &Storage, grants: &[DirGrant]) -> Result<Materialized, GrantError> {
    if grants.is_empty() {
        return Ok(Materialized { _root: None, preopens: Vec::new() });
    }
    let reader = storage.read()?;
    let root =
        tempfile::tempdir().map_err(|e| GrantError::Read { path: std::env::temp_dir(), message: e.to_string() })?;
    let mut preopens = Vec::new();
    for (i, grant) in grants.iter().enumerate() {
        let base = root.path().join(i.to_string());
        let write_err =
            |path: &Path, e: std::io::Error| GrantError::Read { path: path.to_path_buf(), message: e.to_string() };
        std::fs::create_dir_all(&base).map_err(|e| write_err(&base, e))?;
        for (relative, digest) in &manifest(&reader, grant)?.files {
            let path = base.join(relative);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
            }
            std::fs::write(&path, reader.blob(digest)?).map_err(|e| write_err(&path, e))?;
            let file = std::fs::File::options().write(true).open(&path).map_err(|e| write_err(&path, e))?;
            file.set_modified(std::time::UNIX_EPOCH).map_err(|e| write_err(&path, e))?;
        }
        preopens.push((base, grant.guest.clone(), grant.writable));
    }
    Ok(Materialized { _root: Some(root), preopens })
}

#[cfg(test)]
mod tests {
    use super::Grant;

    #[test]
    fn grants_parse_read_only_by_default() {
        let g: Grant = "/srv/data:/data".parse().unwrap();
        assert!(!g.writable);
        assert_eq!(g.guest, "/data");
        assert!("/srv/data:/data:rw".parse::<Grant>().unwrap().writable);
        assert!("/srv/data:data".parse::<Grant>().is_err());
        assert!("/srv/data:/data:xx".parse::<Grant>().is_err());
        assert!("/srv/data".parse::<Grant>().is_err());
    }
}
