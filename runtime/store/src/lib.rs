//! enact-store: one redb file holding blobs, names, invocations and run
//! journals (table layout and format version: `tables.rs`), and what is read from
//! it without an engine: names and prefixes ([`resolve`]), sealed invocations
//! ([`load`]) and their JSON read models ([`view`]), bundles ([`bundle`]),
//! removal and garbage collection ([`gc`]) and verification ([`verify`]).
//!
//! Reads go through [`Reader`], writes through [`Writer`]; each is one redb
//! transaction, so a group of writes is atomic. Every blob read checks that the
//! bytes hash to their key (invariant 4). Execution reaches the store only
//! through this API, so that another backend can stand behind it.

pub mod bundle;
pub mod gc;
pub mod load;
pub mod resolve;
mod tables;
pub mod verify;
pub mod view;

use std::ops::Bound;
use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use serde::Serialize;
use serde::de::DeserializeOwned;

use enact_core::value::{DecodeError, Digest};
use tables::*;

/// An `invokables` value: the component, then the config.
fn split_invokable(both: &[u8; 64]) -> (Digest, Digest) {
    let (mut component, mut config) = ([0u8; 32], [0u8; 32]);
    component.copy_from_slice(&both[..32]);
    config.copy_from_slice(&both[32..]);
    (Digest(component), Digest(config))
}

/// An error of the store.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The store file could not be opened or created.
    #[error("cannot open store `{path}`: {message}")]
    Open {
        /// The store file.
        path: PathBuf,
        /// What redb said.
        message: String,
    },
    /// Another process holds the store.
    #[error("store `{path}` is in use by another enact process")]
    InUse {
        /// The store file.
        path: PathBuf,
    },
    /// A blob's bytes do not hash to its name.
    #[error("blob `{0}` is corrupt: its bytes do not match its hash")]
    Corrupt(Digest),
    /// A blob that should be there is not.
    #[error("blob `{0}` is missing from the store")]
    Missing(Digest),
    /// A record in the store could not be decoded.
    #[error("record `{key}` in table `{table}` cannot be decoded: {message}")]
    Decode {
        /// The table.
        table: &'static str,
        /// The key, as text.
        key: String,
        /// What the decoder said.
        message: String,
    },
    /// A store written by a newer enact, in a layout this one cannot read.
    #[error("store `{path}` is of format {found}, and this enact reads format {FORMAT}: use a newer enact")]
    Format {
        /// The store file.
        path: PathBuf,
        /// The format it says it has.
        found: u64,
    },
    /// A store written by an older enact, whose layout this one does not read.
    #[error(
        "store `{path}` is of format {found}, and this enact reads format {FORMAT} only: an older enact \
         still reads it; move it aside to start a new store"
    )]
    OlderFormat {
        /// The store file.
        path: PathBuf,
        /// The format it says it has.
        found: u64,
    },
    /// Any other error of the database.
    #[error("store error: {0}")]
    Database(#[from] redb::Error),
}

impl From<DecodeError> for StorageError {
    fn from(e: DecodeError) -> Self {
        StorageError::Decode {
            table: "blobs",
            key: e.digest.to_string(),
            message: format!("not {}: {}", e.what, e.message),
        }
    }
}

impl StorageError {
    /// Blob `digest` should hold text and does not.
    pub fn not_text(digest: &Digest, error: std::string::FromUtf8Error) -> StorageError {
        StorageError::Decode { table: "blobs", key: digest.to_string(), message: format!("not UTF-8 text: {error}") }
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StorageError {
            fn from(e: $t) -> Self {
                StorageError::Database(e.into())
            }
        }
    )*};
}
from_redb!(redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError);

type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Who holds a store, as the holder noted it beside the store file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// What it runs, e.g. `enact invoke dice`.
    pub command: String,
}

impl Holder {
    fn path(store: &Path) -> PathBuf {
        store.with_extension("holder")
    }

    /// The note the holder of `store` left, if there is one.
    fn of(store: &Path) -> Option<Holder> {
        let note = std::fs::read_to_string(Holder::path(store)).ok()?;
        let mut lines = note.lines();
        let pid = lines.next()?.parse().ok()?;
        Some(Holder { pid, command: lines.next().unwrap_or_default().to_string() })
    }
}

/// How much of the file redb keeps in memory (its default is 1 GiB): reads
/// are served from the operating system's page cache beyond it.
const CACHE_BYTES: usize = 64 << 20;

/// The store file.
pub struct Storage {
    db: Database,
    path: PathBuf,
    /// The runs this handle started and has not removed: running now, in
    /// this process. Any other run in the `runs` table was cut off.
    live: std::sync::Mutex<std::collections::BTreeSet<u128>>,
}

impl Storage {
    /// Opens the store at `path`, creating it and its tables when absent.
    ///
    /// # Errors
    /// [`StorageError::InUse`] when another process has it open;
    /// [`StorageError::Open`] when the file cannot be created or is not a store.
    pub fn open(path: &Path) -> Result<Storage> {
        Storage::open_waiting(path, std::time::Duration::ZERO)
    }

    /// Like [`Storage::open`], but while another process holds the store,
    /// retries for up to `wait` before giving up with [`StorageError::InUse`].
    ///
    /// # Errors
    /// See [`Storage::open`].
    pub fn open_waiting(path: &Path, wait: std::time::Duration) -> Result<Storage> {
        Storage::open_telling(path, wait, "", |_| {})
    }

    /// Like [`Storage::open_waiting`], telling `waiting` at once who holds
    /// the store when it must wait, and recording `holder` (what this
    /// process runs, for people) beside the store once it holds it.
    ///
    /// # Errors
    /// See [`Storage::open_waiting`].
    pub fn open_telling(
        path: &Path,
        wait: std::time::Duration,
        holder: &str,
        waiting: impl FnOnce(Option<Holder>),
    ) -> Result<Storage> {
        let start = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(5);
        let mut waiting = Some(waiting);
        loop {
            match Storage::try_open(path) {
                Err(StorageError::InUse { .. }) if start.elapsed() + pause <= wait => {
                    if let Some(tell) = waiting.take() {
                        tell(Holder::of(path));
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(std::time::Duration::from_millis(200));
                }
                Ok(storage) => {
                    // Best effort: the note is for people, never read back as truth.
                    let note = format!("{}\n{holder}\n", std::process::id());
                    let _ = std::fs::write(Holder::path(path), note);
                    return Ok(storage);
                }
                other => return other,
            }
        }
    }

    fn try_open(path: &Path) -> Result<Storage> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StorageError::Open { path: path.to_path_buf(), message: e.to_string() })?;
        }
        let db = Database::builder().set_cache_size(CACHE_BYTES).create(path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StorageError::InUse { path: path.to_path_buf() },
            other => StorageError::Open { path: path.to_path_buf(), message: other.to_string() },
        })?;
        let storage = Storage { db, path: path.to_path_buf(), live: Default::default() };
        if storage.is_current()? {
            // Nothing to set up: opening costs no commit (an fsync).
            return Ok(storage);
        }
        storage.write(|w| {
            let tables: Vec<String> = w.txn.list_tables()?.map(|t| t.name().to_string()).collect();
            let found = w.txn.open_table(META)?.get("format")?.map(|v| v.value());
            match found {
                Some(FORMAT) => {}
                Some(found) if found > FORMAT => return Err(StorageError::Format { path: path.to_path_buf(), found }),
                Some(found) => return Err(StorageError::OlderFormat { path: path.to_path_buf(), found }),
                // Format 1 had no `meta` table.
                None if tables.iter().any(|t| t == "blobs") => {
                    return Err(StorageError::OlderFormat { path: path.to_path_buf(), found: 1 });
                }
                None => w.txn.open_table(META)?.insert("format", FORMAT).map(drop)?,
            }
            w.txn.open_table(BLOBS)?;
            w.txn.open_table(PIECES)?;
            w.txn.open_table(COMPONENTS)?;
            w.txn.open_table(NAMES)?;
            w.txn.open_table(SESSIONS)?;
            w.txn.open_table(INVOKABLES)?;
            w.txn.open_table(INVOCATIONS)?;
            w.txn.open_table(RUNS)?;
            w.txn.open_table(RUN_EVENTS)?;
            w.txn.open_table(MEMO)?;
            w.txn.open_table(ANNOTATIONS)?;
            w.txn.open_table(EXPECTATIONS)?;
            w.txn.open_table(TIMINGS)?;
            Ok::<(), StorageError>(())
        })?;
        Ok(storage)
    }

    /// Whether the store is of this format and has every table.
    fn is_current(&self) -> Result<bool> {
        const ALL: [&str; 14] = [
            "meta",
            "blobs",
            "pieces",
            "components",
            "names",
            "sessions",
            "invokables",
            "invocations",
            "runs",
            "run_events",
            "memo",
            "annotations",
            "expectations",
            "timings",
        ];
        let txn = self.db.begin_read()?;
        let tables: Vec<String> = txn.list_tables()?.map(|t| t.name().to_string()).collect();
        if !ALL.iter().all(|name| tables.iter().any(|t| t == name)) {
            return Ok(false);
        }
        Ok(txn.open_table(META)?.get("format")?.map(|v| v.value()) == Some(FORMAT))
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one write transaction and commits it durably.
    ///
    /// # Errors
    /// Whatever `f` returns, or a database error; nothing is written then.
    pub fn write<T, E: From<StorageError>>(&self, f: impl FnOnce(&mut Writer) -> Result<T, E>) -> Result<T, E> {
        let txn = self.db.begin_write().map_err(StorageError::from)?;
        let mut writer = Writer { txn, started: Vec::new(), removed: Vec::new() };
        let value = f(&mut writer)?;
        let Writer { txn, started, removed } = writer;
        txn.commit().map_err(StorageError::from)?;
        let mut live = self.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        live.extend(started);
        for run in &removed {
            live.remove(run);
        }
        Ok(value)
    }

    /// Whether `run` is running in this process (started through this
    /// handle, not yet sealed or removed), rather than cut off.
    pub fn is_live(&self, run: u128) -> bool {
        self.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains(&run)
    }

    /// Gives the file's free pages back to the file system (after
    /// [`gc::collect`]); whether anything was moved.
    ///
    /// # Errors
    /// A database error; the store is unchanged then.
    pub fn compact(&mut self) -> Result<bool> {
        self.db.compact().map_err(|e| StorageError::Database(e.into()))
    }

    /// A consistent snapshot to read from.
    ///
    /// # Errors
    /// A database error.
    pub fn read(&self) -> Result<Reader> {
        Ok(Reader { txn: self.db.begin_read()? })
    }
}

/// One write transaction.
pub struct Writer {
    txn: redb::WriteTransaction,
    /// Runs put and removed in this transaction, for `Storage::live`.
    started: Vec<u128>,
    removed: Vec<u128>,
}

/// One read transaction.
pub struct Reader {
    txn: redb::ReadTransaction,
}

fn encode_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("index entries serialize to JSON")
}

pub(crate) fn decode_json<T: DeserializeOwned>(
    table: &'static str,
    key: &dyn std::fmt::Display,
    bytes: &[u8],
) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| StorageError::Decode {
        table,
        key: key.to_string(),
        message: e.to_string(),
    })
}

/// The two tables that hold blobs, open in one write transaction: a blob
/// of up to [`PIECE_BYTES`] is one row of `blobs`, a larger one is rows of
/// `pieces` (`tables.rs`). Which table holds a blob follows from its size.
struct BlobTables<'txn> {
    blobs: redb::Table<'txn, &'static [u8; 32], &'static [u8]>,
    pieces: redb::Table<'txn, (&'static [u8; 32], u32), &'static [u8]>,
}

impl BlobTables<'_> {
    /// Stores `bytes` as blob `digest`, unless it is stored already.
    fn put(&mut self, digest: &Digest, bytes: &[u8]) -> Result<()> {
        if bytes.len() <= PIECE_BYTES {
            if self.blobs.get(&digest.0)?.is_none() {
                self.blobs.insert(&digest.0, bytes)?;
            }
        } else if self.pieces.get((&digest.0, 0))?.is_none() {
            for (n, piece) in (0u32..).zip(bytes.chunks(PIECE_BYTES)) {
                self.pieces.insert((&digest.0, n), piece)?;
            }
        }
        Ok(())
    }
}

/// The pieces of large blob `digest` joined, or `None` when it has none.
/// Their hash is the caller's to check.
///
/// # Errors
/// [`StorageError::Corrupt`] when a piece is missing from the run 0, 1, 2, ….
fn join_pieces(
    pieces: &impl ReadableTable<(&'static [u8; 32], u32), &'static [u8]>,
    digest: &Digest,
) -> Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    for (n, row) in pieces.range((&digest.0, 0)..=(&digest.0, u32::MAX))?.enumerate() {
        let (key, piece) = row?;
        if key.value().1 as usize != n {
            return Err(StorageError::Corrupt(*digest));
        }
        bytes.extend_from_slice(piece.value());
    }
    Ok((!bytes.is_empty()).then_some(bytes))
}

impl Writer {
    /// Stores `bytes` under their digest; storing the same bytes twice is a no-op.
    ///
    /// # Errors
    /// A database error.
    pub fn put_blob(&mut self, bytes: &[u8]) -> Result<Digest> {
        let digest = Digest::of(bytes);
        self.blob_tables()?.put(&digest, bytes)?;
        Ok(digest)
    }

    /// Stores many blobs with one table handle; idempotent like [`Writer::put_blob`].
    ///
    /// # Errors
    /// A database error.
    pub fn put_blobs<'b>(&mut self, blobs: impl IntoIterator<Item = &'b [u8]>) -> Result<()> {
        // In key order and once each: neighbouring keys share b-tree pages.
        let blobs: std::collections::BTreeMap<Digest, &[u8]> = blobs.into_iter().map(|b| (Digest::of(b), b)).collect();
        let mut tables = self.blob_tables()?;
        for (digest, bytes) in blobs {
            tables.put(&digest, bytes)?;
        }
        Ok(())
    }

    /// [`Writer::put_blobs`] for blobs whose digests the caller computed
    /// from their bytes a moment ago (each is checked in debug builds).
    ///
    /// # Errors
    /// A database error.
    pub fn put_hashed_blobs<'b>(&mut self, blobs: impl IntoIterator<Item = (&'b Digest, &'b [u8])>) -> Result<()> {
        let blobs: std::collections::BTreeMap<&Digest, &[u8]> = blobs.into_iter().collect();
        let mut tables = self.blob_tables()?;
        for (digest, bytes) in blobs {
            debug_assert_eq!(Digest::of(bytes), *digest, "a blob's digest is the sha256 of its bytes");
            tables.put(digest, bytes)?;
        }
        Ok(())
    }

    fn blob_tables(&self) -> Result<BlobTables<'_>> {
        Ok(BlobTables { blobs: self.txn.open_table(BLOBS)?, pieces: self.txn.open_table(PIECES)? })
    }

    /// Records a component's index entry.
    ///
    /// # Errors
    /// A database error.
    pub fn put_component<T: Serialize>(&mut self, digest: &Digest, info: &T) -> Result<()> {
        self.txn.open_table(COMPONENTS)?.insert(&digest.0, encode_json(info).as_slice())?;
        Ok(())
    }

    /// Points `name` at `digest`, replacing what it named before.
    ///
    /// # Errors
    /// A database error.
    pub fn set_name(&mut self, name: &str, digest: &Digest) -> Result<()> {
        self.txn.open_table(NAMES)?.insert(name, &digest.0)?;
        Ok(())
    }

    /// Points session `name` at invocation `id`, its latest turn.
    ///
    /// # Errors
    /// A database error.
    pub fn set_session(&mut self, name: &str, id: &Digest) -> Result<()> {
        self.txn.open_table(SESSIONS)?.insert(name, &id.0)?;
        Ok(())
    }

    /// Points `name` at `component` run with `config` (a blob the caller wrote).
    ///
    /// # Errors
    /// A database error.
    pub fn set_invokable_name(&mut self, name: &str, component: &Digest, config: &Digest) -> Result<()> {
        let mut both = [0u8; 64];
        both[..32].copy_from_slice(&component.0);
        both[32..].copy_from_slice(&config.0);
        self.txn.open_table(INVOKABLES)?.insert(name, &both)?;
        Ok(())
    }

    /// Removes invokable name `name`; whether there was one.
    ///
    /// # Errors
    /// A database error.
    pub fn remove_invokable_name(&mut self, name: &str) -> Result<bool> {
        Ok(self.txn.open_table(INVOKABLES)?.remove(name)?.is_some())
    }

    /// Removes `name`; what it named, if anything.
    ///
    /// # Errors
    /// A database error.
    pub fn remove_name(&mut self, name: &str) -> Result<Option<Digest>> {
        Ok(self.txn.open_table(NAMES)?.remove(name)?.map(|d| Digest(*d.value())))
    }

    /// Adds `annotation` to invocation `id`'s, after those it has.
    ///
    /// # Errors
    /// A database error.
    pub fn put_annotation<T: Serialize>(&mut self, id: &Digest, annotation: &T) -> Result<()> {
        let mut table = self.txn.open_table(ANNOTATIONS)?;
        let (low, high) = annotation_range(id);
        let next = match table.range::<&[u8; 40]>(&low..=&high)?.next_back() {
            Some(row) => u64::from_be_bytes(row?.0.value()[32..].try_into().expect("8 bytes")) + 1,
            None => 0,
        };
        let mut key = low;
        key[32..].copy_from_slice(&next.to_be_bytes());
        table.insert(&key, encode_json(annotation).as_slice())?;
        Ok(())
    }

    /// Removes the annotations of invocation `id`.
    ///
    /// # Errors
    /// A database error.
    pub fn remove_annotations(&mut self, id: &Digest) -> Result<()> {
        let (low, high) = annotation_range(id);
        let mut table = self.txn.open_table(ANNOTATIONS)?;
        let mut keys = Vec::new();
        for row in table.range::<&[u8; 40]>(&low..=&high)? {
            keys.push(*row?.0.value());
        }
        for key in &keys {
            table.remove(key)?;
        }
        Ok(())
    }

    /// Records how long root `id` and the children it ran took (µs, by id).
    ///
    /// # Errors
    /// A database error.
    pub fn put_timings(&mut self, id: &Digest, took: &[(Digest, u64)]) -> Result<()> {
        let pairs: Vec<([u8; 32], u64)> = took.iter().map(|(d, us)| (d.0, *us)).collect();
        let bytes = postcard::to_stdvec(&pairs).expect("timings encode");
        self.txn.open_table(TIMINGS)?.insert(&id.0, bytes.as_slice())?;
        Ok(())
    }

    /// Forgets the timings of root `id`.
    ///
    /// # Errors
    /// A database error.
    pub fn remove_timings(&mut self, id: &Digest) -> Result<()> {
        self.txn.open_table(TIMINGS)?.remove(&id.0)?;
        Ok(())
    }

    /// Saves expectation `name`.
    ///
    /// # Errors
    /// A database error.
    pub fn set_expectation<T: Serialize>(&mut self, name: &str, expectation: &T) -> Result<()> {
        self.txn.open_table(EXPECTATIONS)?.insert(name, encode_json(expectation).as_slice())?;
        Ok(())
    }

    /// Removes expectation `name`; whether there was one.
    ///
    /// # Errors
    /// A database error.
    pub fn remove_expectation(&mut self, name: &str) -> Result<bool> {
        Ok(self.txn.open_table(EXPECTATIONS)?.remove(name)?.is_some())
    }

    /// Indexes a sealed invocation record.
    ///
    /// # Errors
    /// A database error.
    pub fn put_invocation<T: Serialize>(&mut self, digest: &Digest, entry: &T) -> Result<()> {
        let mut table = self.txn.open_table(INVOCATIONS)?;
        if table.get(&digest.0)?.is_none() {
            table.insert(&digest.0, encode_json(entry).as_slice())?;
        }
        Ok(())
    }

    /// Indexes many sealed invocation records with one table handle.
    ///
    /// # Errors
    /// A database error.
    pub fn put_invocations<'e, T: Serialize + 'e>(
        &mut self,
        entries: impl IntoIterator<Item = (&'e Digest, &'e T)>,
    ) -> Result<()> {
        let mut entries: Vec<_> = entries.into_iter().collect();
        entries.sort_unstable_by_key(|(digest, _)| **digest);
        let mut table = self.txn.open_table(INVOCATIONS)?;
        for (digest, entry) in entries {
            if table.get(&digest.0)?.is_none() {
                table.insert(&digest.0, encode_json(entry).as_slice())?;
            }
        }
        Ok(())
    }

    /// Remembers that calling a pure component with `key` gave invocation `id`.
    ///
    /// # Errors
    /// A database error.
    pub fn put_memo(&mut self, key: &Digest, sealed: &[u8]) -> Result<()> {
        self.txn.open_table(MEMO)?.insert(&key.0, sealed)?;
        Ok(())
    }

    /// Records the start of a run.
    ///
    /// # Errors
    /// A database error.
    pub fn put_run<T: Serialize>(&mut self, run: u128, header: &T) -> Result<()> {
        self.txn.open_table(RUNS)?.insert(run, encode_json(header).as_slice())?;
        self.started.push(run);
        Ok(())
    }

    /// Appends chunk `seq` of a run's journal.
    ///
    /// # Errors
    /// A database error.
    pub fn put_run_events(&mut self, run: u128, seq: u64, chunk: &[u8]) -> Result<()> {
        self.txn.open_table(RUN_EVENTS)?.insert((run, seq), chunk)?;
        Ok(())
    }

    /// Forgets a run and its journal chunks (after it was sealed).
    ///
    /// # Errors
    /// A database error.
    pub fn remove_run(&mut self, run: u128) -> Result<()> {
        self.txn.open_table(RUNS)?.remove(run)?;
        self.removed.push(run);
        let mut events = self.txn.open_table(RUN_EVENTS)?;
        events.retain_in((run, 0)..=(run, u64::MAX), |_, _| false)?;
        Ok(())
    }
}

impl Reader {
    /// The bytes of blob `digest`, verified against it.
    ///
    /// # Errors
    /// [`StorageError::Missing`] when absent, [`StorageError::Corrupt`] when the
    /// bytes do not hash to `digest`.
    pub fn blob(&self, digest: &Digest) -> Result<Vec<u8>> {
        self.find_blob(digest)?.ok_or(StorageError::Missing(*digest))
    }

    /// Like [`Reader::blob`], but `None` when absent.
    ///
    /// # Errors
    /// [`StorageError::Corrupt`] when the bytes do not hash to `digest`.
    pub fn find_blob(&self, digest: &Digest) -> Result<Option<Vec<u8>>> {
        let blobs = self.txn.open_table(BLOBS)?;
        let bytes = match blobs.get(&digest.0)? {
            Some(guard) => guard.value().to_vec(),
            None => match join_pieces(&self.txn.open_table(PIECES)?, digest)? {
                Some(bytes) => bytes,
                None => return Ok(None),
            },
        };
        if Digest::of(&bytes) != *digest {
            return Err(StorageError::Corrupt(*digest));
        }
        Ok(Some(bytes))
    }

    /// Checks every blob against its hash: how many were checked, and the
    /// digests of those whose bytes do not match (or whose pieces do not follow on).
    ///
    /// # Errors
    /// A database error.
    pub fn verify_blobs(&self) -> Result<(u64, Vec<Digest>)> {
        let table = self.txn.open_table(BLOBS)?;
        let mut checked = 0;
        let mut damaged = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            checked += 1;
            let digest = Digest(*k.value());
            if Digest::of(v.value()) != digest {
                damaged.push(digest);
            }
        }
        // Each large blob once: from its first piece on, then past its last.
        let pieces = self.txn.open_table(PIECES)?;
        let mut next = pieces.first()?.map(|(key, _)| Digest(*key.value().0));
        while let Some(digest) = next {
            checked += 1;
            match join_pieces(&pieces, &digest) {
                Ok(Some(bytes)) if Digest::of(&bytes) == digest => {}
                Ok(_) | Err(StorageError::Corrupt(_)) => damaged.push(digest),
                Err(e) => return Err(e),
            }
            let after = (Bound::Excluded((&digest.0, u32::MAX)), Bound::Unbounded);
            next = pieces.range(after)?.next().transpose()?.map(|(key, _)| Digest(*key.value().0));
        }
        Ok((checked, damaged))
    }

    /// Whether blob `digest` is present (without reading it).
    ///
    /// # Errors
    /// A database error.
    pub fn has_blob(&self, digest: &Digest) -> Result<bool> {
        Ok(self.txn.open_table(BLOBS)?.get(&digest.0)?.is_some()
            || self.txn.open_table(PIECES)?.get((&digest.0, 0))?.is_some())
    }

    /// A component's index entry.
    ///
    /// # Errors
    /// A database or decoding error.
    pub fn component<T: DeserializeOwned>(&self, digest: &Digest) -> Result<Option<T>> {
        let table = self.txn.open_table(COMPONENTS)?;
        let entry = table.get(&digest.0)?;
        entry.map(|g| decode_json("components", digest, g.value())).transpose()
    }

    /// Every component with its index entry, in digest order.
    ///
    /// # Errors
    /// A database or decoding error.
    pub fn components<T: DeserializeOwned>(&self) -> Result<Vec<(Digest, T)>> {
        self.digest_table(COMPONENTS, "components")
    }

    /// Every sealed invocation with its index entry, in digest order.
    ///
    /// # Errors
    /// A database or decoding error.
    pub fn invocations<T: DeserializeOwned>(&self) -> Result<Vec<(Digest, T)>> {
        self.digest_table(INVOCATIONS, "invocations")
    }

    /// An invocation's index entry.
    ///
    /// # Errors
    /// A database or decoding error.
    pub fn invocation<T: DeserializeOwned>(&self, digest: &Digest) -> Result<Option<T>> {
        let table = self.txn.open_table(INVOCATIONS)?;
        let entry = table.get(&digest.0)?;
        entry.map(|g| decode_json("invocations", digest, g.value())).transpose()
    }

    fn digest_table<T: DeserializeOwned>(
        &self,
        def: TableDefinition<&[u8; 32], &[u8]>,
        name: &'static str,
    ) -> Result<Vec<(Digest, T)>> {
        let table = self.txn.open_table(def)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            let digest = Digest(*k.value());
            out.push((digest, decode_json(name, &digest, v.value())?));
        }
        Ok(out)
    }

    /// The digests in `table` whose hex form starts with `prefix` (lowercase hex).
    ///
    /// # Errors
    /// A database error.
    pub fn digests_with_prefix(&self, table: DigestTable, prefix: &str) -> Result<Vec<Digest>> {
        let def = match table {
            DigestTable::Components => COMPONENTS,
            DigestTable::Invocations => INVOCATIONS,
        };
        let table = self.txn.open_table(def)?;
        let Some((low, high)) = prefix_range(prefix) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for row in table.range::<&[u8; 32]>(&low..=&high)? {
            let (k, _) = row?;
            out.push(Digest(*k.value()));
        }
        Ok(out)
    }

    /// The invocation that a pure component gave for `key`, if any.
    ///
    /// # Errors
    /// A database error.
    pub fn memo(&self, key: &Digest) -> Result<Option<Vec<u8>>> {
        Ok(self.txn.open_table(MEMO)?.get(&key.0)?.map(|g| g.value().to_vec()))
    }

    /// Every memo entry's sealed child; entries that do not decode are left out.
    ///
    /// # Errors
    /// A database error.
    pub fn memos(&self) -> Result<Vec<enact_core::event::SealedChild>> {
        let mut out = Vec::new();
        for row in self.txn.open_table(MEMO)?.iter()? {
            if let Ok(sealed) = enact_core::event::SealedChild::decode_bytes(row?.1.value()) {
                out.push(sealed);
            }
        }
        Ok(out)
    }

    /// The component `name` points at.
    ///
    /// # Errors
    /// A database error.
    pub fn name(&self, name: &str) -> Result<Option<Digest>> {
        let table = self.txn.open_table(NAMES)?;
        Ok(table.get(name)?.map(|g| Digest(*g.value())))
    }

    /// Every name with its component, in name order.
    ///
    /// # Errors
    /// A database error.
    pub fn names(&self) -> Result<Vec<(String, Digest)>> {
        let table = self.txn.open_table(NAMES)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            out.push((k.value().to_string(), Digest(*v.value())));
        }
        Ok(out)
    }

    /// The component and config invokable name `name` points at.
    ///
    /// # Errors
    /// A database error.
    pub fn invokable_name(&self, name: &str) -> Result<Option<(Digest, Digest)>> {
        let table = self.txn.open_table(INVOKABLES)?;
        Ok(table.get(name)?.map(|g| split_invokable(g.value())))
    }

    /// Every invokable name, with its component and config, in name order.
    ///
    /// # Errors
    /// A database error.
    pub fn invokable_names(&self) -> Result<Vec<(String, Digest, Digest)>> {
        let table = self.txn.open_table(INVOKABLES)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            let (component, config) = split_invokable(v.value());
            out.push((k.value().to_string(), component, config));
        }
        Ok(out)
    }

    /// The annotations of invocation `id`, oldest first.
    ///
    /// # Errors
    /// A database or decoding error.
    pub fn annotations<T: DeserializeOwned>(&self, id: &Digest) -> Result<Vec<T>> {
        let table = self.txn.open_table(ANNOTATIONS)?;
        let (low, high) = annotation_range(id);
        let mut out = Vec::new();
        for row in table.range::<&[u8; 40]>(&low..=&high)? {
            let (_, v) = row?;
            out.push(decode_json("annotations", id, v.value())?);
        }
        Ok(out)
    }

    /// The invocations that have annotations.
    ///
    /// # Errors
    /// A database error.
    pub fn annotated(&self) -> Result<std::collections::BTreeSet<Digest>> {
        let table = self.txn.open_table(ANNOTATIONS)?;
        let mut out = std::collections::BTreeSet::new();
        for row in table.iter()? {
            let (k, _) = row?;
            out.insert(Digest(k.value()[..32].try_into().expect("32 bytes")));
        }
        Ok(out)
    }

    /// How long root `id` and the children it ran took, in µs, by id
    /// (empty for a run sealed without them: a rewound copy, an import).
    ///
    /// # Errors
    /// A database error, or timings that do not decode.
    pub fn timings(&self, id: &Digest) -> Result<std::collections::HashMap<Digest, u64>> {
        let table = self.txn.open_table(TIMINGS)?;
        let Some(bytes) = table.get(&id.0)? else { return Ok(Default::default()) };
        let pairs: Vec<([u8; 32], u64)> = postcard::from_bytes(bytes.value()).map_err(|e| StorageError::Decode {
            table: "timings",
            key: id.to_string(),
            message: e.to_string(),
        })?;
        Ok(pairs.into_iter().map(|(d, us)| (Digest(d), us)).collect())
    }

    /// Every saved expectation, in name order.
    ///
    /// # Errors
    /// A database or decoding error.
    pub fn expectations<T: DeserializeOwned>(&self) -> Result<Vec<(String, T)>> {
        let table = self.txn.open_table(EXPECTATIONS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            out.push((k.value().to_string(), decode_json("expectations", &k.value(), v.value())?));
        }
        Ok(out)
    }

    /// The latest invocation of session `name`.
    ///
    /// # Errors
    /// A database error.
    pub fn session(&self, name: &str) -> Result<Option<Digest>> {
        let table = self.txn.open_table(SESSIONS)?;
        Ok(table.get(name)?.map(|g| Digest(*g.value())))
    }

    /// Every session with its latest invocation, in name order.
    ///
    /// # Errors
    /// A database error.
    pub fn sessions(&self) -> Result<Vec<(String, Digest)>> {
        let table = self.txn.open_table(SESSIONS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            out.push((k.value().to_string(), Digest(*v.value())));
        }
        Ok(out)
    }

    /// Runs that started and were never sealed, with their headers.
    ///
    /// # Errors
    /// A database or decoding error.
    pub fn runs<T: DeserializeOwned>(&self) -> Result<Vec<(u128, T)>> {
        let table = self.txn.open_table(RUNS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            out.push((k.value(), decode_json("runs", &format!("{:032x}", k.value()), v.value())?));
        }
        Ok(out)
    }

    /// The journal chunks of `run`, in order.
    ///
    /// # Errors
    /// A database error.
    pub fn run_events(&self, run: u128) -> Result<Vec<Vec<u8>>> {
        let table = self.txn.open_table(RUN_EVENTS)?;
        let mut out = Vec::new();
        for row in table.range((run, 0)..=(run, u64::MAX))? {
            let (_, v) = row?;
            out.push(v.value().to_vec());
        }
        Ok(out)
    }
}

/// The keys of invocation `id`'s annotations: its id, then any sequence number.
fn annotation_range(id: &Digest) -> ([u8; 40], [u8; 40]) {
    let (mut low, mut high) = ([0u8; 40], [0xffu8; 40]);
    low[..32].copy_from_slice(&id.0);
    high[..32].copy_from_slice(&id.0);
    (low, high)
}

/// The tables whose keys are digests and that names can resolve into.
#[derive(Clone, Copy, Debug)]
pub enum DigestTable {
    /// Added components.
    Components,
    /// Sealed invocations.
    Invocations,
}

/// The lowest and highest 32-byte keys whose hex starts with `prefix`; `None` if it is not hex.
fn prefix_range(prefix: &str) -> Option<([u8; 32], [u8; 32])> {
    if prefix.len() > 64 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut low = [0u8; 32];
    let mut high = [0xffu8; 32];
    for (i, c) in prefix.bytes().enumerate() {
        let nibble = (c as char).to_digit(16).expect("checked hex") as u8;
        let byte = i / 2;
        if i % 2 == 0 {
            low[byte] = nibble << 4;
            high[byte] = nibble << 4 | 0x0f;
        } else {
            low[byte] |= nibble;
            high[byte] = (high[byte] & 0xf0) | nibble;
        }
    }
    Some((low, high))
}
