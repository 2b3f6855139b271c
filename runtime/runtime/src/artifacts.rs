//! Compiled code, cached as files of this machine beside the store:
//! `artifacts/<component hex>/<engine compatibility hex>.cwasm`. wasmtime
//! maps such a file instead of reading it, so a Python component (40 MB of
//! code) starts in milliseconds, with its memory image shared copy-on-write.
//!
//! Compiled code is specific to an engine and a CPU, so it is never stored
//! in (or shared through) the store: any machine compiles it again from the
//! component's bytes. Each file has a stamp beside it (`.sum`: its sha256,
//! length, modification time and inode), written after the file. A file is
//! mapped only while its length, modification time and inode are those of
//! its stamp; a
//! file whose stat changed is checked against the sha256 and dropped if it
//! does not match, and `enact verify` checks every file's sha256 (a rewrite
//! in place with bytes of the same length, within one tick of the file
//! system's clock, keeps the stamp: verify is the full check). Files are
//! written under a temporary name and renamed, and never changed after:
//! wasmtime requires a mapped file to stay as it was.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use enact_core::value::Digest;

/// The directory of compiled code for a store in `home`.
pub fn artifacts_path(home: &Path) -> PathBuf {
    home.join("artifacts")
}

/// The cache of compiled code in one directory.
#[derive(Clone, Debug)]
pub struct Artifacts {
    dir: PathBuf,
}

/// What a stamp records of its file.
#[derive(Debug, PartialEq, Eq)]
struct Stamp {
    sha256: Digest,
    len: u64,
    modified_ns: u128,
    inode: u64,
}

impl Stamp {
    fn of(path: &Path, sha256: Digest) -> std::io::Result<Stamp> {
        let meta = std::fs::metadata(path)?;
        let modified_ns = meta.modified()?.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Ok(Stamp { sha256, len: meta.len(), modified_ns, inode })
    }

    fn read(path: &Path) -> Option<Stamp> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut words = text.split_whitespace();
        Some(Stamp {
            sha256: words.next()?.parse().ok()?,
            len: words.next()?.parse().ok()?,
            modified_ns: words.next()?.parse().ok()?,
            inode: words.next()?.parse().ok()?,
        })
    }

    fn text(&self) -> String {
        format!("{} {} {} {}\n", self.sha256, self.len, self.modified_ns, self.inode)
    }
}

impl Artifacts {
    /// The cache in `dir` (created when the first file is written).
    pub fn new(dir: impl Into<PathBuf>) -> Artifacts {
        Artifacts { dir: dir.into() }
    }

    fn code_path(&self, component: &Digest, engine: &Digest) -> PathBuf {
        self.dir.join(component.hex()).join(format!("{}.cwasm", engine.hex()))
    }

    fn stamp_path(code: &Path) -> PathBuf {
        code.with_extension("sum")
    }

    /// The file of `component`'s code for `engine`, if there is one that is
    /// as it was written (see the module documentation).
    pub fn find(&self, component: &Digest, engine: &Digest) -> Option<PathBuf> {
        let path = self.code_path(component, engine);
        let stamp = Stamp::read(&Self::stamp_path(&path))?;
        let now = Stamp::of(&path, stamp.sha256).ok()?;
        if now == stamp {
            return Some(path);
        }
        // Touched or rewritten since: only its bytes can tell.
        match std::fs::read(&path) {
            Ok(code) if Digest::of(&code) == stamp.sha256 => {
                let _ = std::fs::write(Self::stamp_path(&path), now.text());
                Some(path)
            }
            _ => {
                tracing::warn!(path = %path.display(), "dropping compiled code that changed on disk");
                self.remove(&path);
                None
            }
        }
    }

    /// Writes `code`, compiled from `component` for `engine`; the path of
    /// the file to map.
    ///
    /// # Errors
    /// The directory or the files cannot be written.
    pub fn put(&self, component: &Digest, engine: &Digest, code: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.code_path(component, engine);
        let dir = path.parent().expect("a file in a directory");
        std::fs::create_dir_all(dir)?;
        let temporary = |name: &Path| name.with_extension(format!("tmp{}", std::process::id()));
        let written = temporary(&path);
        let mut file = std::fs::File::create(&written)?;
        file.write_all(code)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&written, &path)?;
        let stamp = Stamp::of(&path, Digest::of(code))?;
        let stamp_path = Self::stamp_path(&path);
        std::fs::write(temporary(&stamp_path), stamp.text())?;
        std::fs::rename(temporary(&stamp_path), &stamp_path)?;
        Ok(path)
    }

    /// Whether `component` has code for `engine` here.
    pub fn contains(&self, component: &Digest, engine: &Digest) -> bool {
        self.find(component, engine).is_some()
    }

    fn remove(&self, code: &Path) {
        let _ = std::fs::remove_file(Self::stamp_path(code));
        let _ = std::fs::remove_file(code);
    }

    /// Every code file, with its component.
    fn files(&self) -> Vec<(Digest, PathBuf)> {
        let mut files = Vec::new();
        let Ok(dirs) = std::fs::read_dir(&self.dir) else { return files };
        for dir in dirs.flatten() {
            let Ok(component) = dir.file_name().to_string_lossy().parse::<Digest>() else { continue };
            let Ok(entries) = std::fs::read_dir(dir.path()) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "cwasm") {
                    files.push((component, path));
                }
            }
        }
        files
    }

    /// Deletes the code of every component `keep` refuses; how many files
    /// and bytes went.
    pub fn retain(&self, keep: impl Fn(&Digest) -> bool) -> (u64, u64) {
        let (mut files, mut bytes) = (0, 0);
        for (component, path) in self.files() {
            if !keep(&component) {
                bytes += std::fs::metadata(&path).map_or(0, |m| m.len());
                files += 1;
                self.remove(&path);
                if let Some(dir) = path.parent() {
                    let _ = std::fs::remove_dir(dir);
                }
            }
        }
        (files, bytes)
    }

    /// Checks every file against its stamp's sha256 and deletes those that
    /// do not match (they are compiled again when next used); how many were
    /// checked, and the components whose code was dropped.
    pub fn verify(&self) -> (u64, Vec<Digest>) {
        let mut checked = 0;
        let mut dropped = Vec::new();
        for (component, path) in self.files() {
            checked += 1;
            let stamp = Stamp::read(&Self::stamp_path(&path));
            let sound = stamp.is_some_and(|s| std::fs::read(&path).is_ok_and(|code| Digest::of(&code) == s.sha256));
            if !sound {
                self.remove(&path);
                dropped.push(component);
            }
        }
        (checked, dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_found_while_it_is_as_written_and_dropped_when_its_bytes_change() {
        let dir = tempfile::tempdir().expect("a directory");
        let cache = Artifacts::new(dir.path());
        let (component, engine) = (Digest::of(b"component"), Digest::of(b"engine"));
        assert_eq!(cache.find(&component, &engine), None);
        let path = cache.put(&component, &engine, b"compiled code").expect("written");
        assert_eq!(cache.find(&component, &engine), Some(path.clone()));
        assert_eq!(cache.find(&component, &Digest::of(b"another engine")), None);

        // The same bytes written again: found after checking them.
        std::fs::write(&path, b"compiled code").expect("rewrite");
        assert_eq!(cache.find(&component, &engine), Some(path.clone()));
        // Other bytes: dropped.
        std::fs::write(&path, b"compiled c0de, longer").expect("tamper");
        assert_eq!(cache.find(&component, &engine), None);
        assert!(!path.exists());
    }

    #[test]
    fn verify_drops_damaged_files_and_retain_deletes_what_is_not_kept() {
        let dir = tempfile::tempdir().expect("a directory");
        let cache = Artifacts::new(dir.path());
        let engine = Digest::of(b"engine");
        let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
        cache.put(&a, &engine, b"code of a").expect("written");
        let damaged = cache.put(&b, &engine, b"code of b").expect("written");
        std::fs::write(&damaged, b"code of B").expect("tamper, same length");
        assert_eq!(cache.verify(), (2, vec![b]));
        assert_eq!(cache.retain(|c| *c != a), (1, 9));
        assert!(!cache.contains(&a, &engine));
    }
}
