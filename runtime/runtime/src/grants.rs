//! Capabilities granted explicitly: directories a guest may see.
//!
//! A granted host directory is snapshotted into the store when the
//! invocation starts (every file a content-addressed blob, the listing a
//! manifest blob), and the guest gets a private copy made from the snapshot.
//! So every byte the guest can read is recorded before it sees it, a replay
//! reads the recorded bytes whatever the host directory holds by then, and
//! a writable grant writes to the copy, never back to the host. The host
//! reads the granted directory, and writes the copy, through cap-std
//! capability handles on them: no path, `..` or symbolic link reaches
//! outside either, by construction.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};

use enact_core::grant::{DirGrant, Grant, Manifest};
use enact_core::limits::human_bytes;
use enact_core::value::{Digest, canonical_record};
use enact_store::{Reader, Storage, StorageError};

/// Why a directory cannot be granted.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// The directory cannot be read, or its private copy written.
    #[error("cannot grant `{path}`: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The directory holds more than the limit.
    #[error("cannot grant `{path}`: it holds more than {limit}")]
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

/// Snapshots `grant` into the store: regular files only, read through a
/// capability handle on the granted directory, so that no symlink or `..`
/// can lead outside it (symbolic links are not granted).
///
/// # Errors
/// An unreadable directory, or one larger than `limit` bytes.
pub fn snapshot(storage: &Storage, grant: &Grant, limit: u64) -> Result<DirGrant, GrantError> {
    let read_err = |path: &Path, e: std::io::Error| GrantError::Read { path: grant.host.join(path), source: e };
    let root = Dir::open_ambient_dir(&grant.host, ambient_authority())
        .map_err(|e| GrantError::Read { path: grant.host.clone(), source: e })?;
    let mut files = BTreeMap::new();
    let mut blobs = Vec::new();
    let mut total = 0u64;
    let mut stack = vec![(root, PathBuf::new())];
    while let Some((dir, at)) = stack.pop() {
        for entry in dir.entries().map_err(|e| read_err(&at, e))? {
            let entry = entry.map_err(|e| read_err(&at, e))?;
            let path = at.join(entry.file_name());
            let kind = entry.file_type().map_err(|e| read_err(&path, e))?;
            if kind.is_dir() {
                stack.push((entry.open_dir().map_err(|e| read_err(&path, e))?, path));
            } else if kind.is_file() {
                let mut bytes = Vec::new();
                entry.open().and_then(|mut f| f.read_to_end(&mut bytes)).map_err(|e| read_err(&path, e))?;
                total += bytes.len() as u64;
                if total > limit {
                    return Err(GrantError::TooLarge { path: grant.host.clone(), limit: human_bytes(limit) });
                }
                files.insert(path.to_string_lossy().into_owned(), Digest::of(&bytes));
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

/// The manifest of a grant's snapshot.
fn manifest(reader: &Reader, grant: &DirGrant) -> Result<Manifest, StorageError> {
    Ok(Manifest::decode(&grant.snapshot, &reader.blob(&grant.snapshot)?)?)
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
    let root = tempfile::tempdir().map_err(|e| GrantError::Read { path: std::env::temp_dir(), source: e })?;
    let mut preopens = Vec::new();
    for (i, grant) in grants.iter().enumerate() {
        let base = root.path().join(i.to_string());
        let write_err = |path: &Path, e: std::io::Error| GrantError::Read { path: base.join(path), source: e };
        std::fs::create_dir(&base).map_err(|e| write_err(Path::new(""), e))?;
        // Every write goes through a handle on the copy: a manifest's path
        // cannot lead outside it.
        let copy = Dir::open_ambient_dir(&base, ambient_authority()).map_err(|e| write_err(Path::new(""), e))?;
        for (relative, digest) in &manifest(&reader, grant)?.files {
            let path = Path::new(relative);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                copy.create_dir_all(dir).map_err(|e| write_err(dir, e))?;
            }
            copy.write(path, reader.blob(digest)?).map_err(|e| write_err(path, e))?;
            let file = copy.open_with(path, OpenOptions::new().write(true)).map_err(|e| write_err(path, e))?;
            file.into_std().set_modified(std::time::UNIX_EPOCH).map_err(|e| write_err(path, e))?;
        }
        preopens.push((base, grant.guest.clone(), grant.writable));
    }
    Ok(Materialized { _root: Some(root), preopens })
}
