//! Sealed invocations as the store holds them, decoded and verified: what
//! `show`, `--json` and the HTTP API read.

use enact_core::event::{Event, decode_events};
use enact_core::event::{SealedChild, each_child};
use enact_core::record::{Invocation, InvocationEntry, InvocationRecord, LogLine, Outcome, RunHeader};
use enact_core::value::{DecodeError, Digest, canonical_record, decode_json};

use crate::{Reader, StorageError};

/// Loads and verifies a sealed invocation.
///
/// # Errors
/// A missing or corrupt blob, or a record that does not decode.
pub fn invocation(reader: &Reader, id: &Digest) -> Result<Invocation, StorageError> {
    let bytes = match reader.find_blob(id)? {
        Some(bytes) => bytes,
        None => match child(reader, id)? {
            Some(child) => child.record,
            None => reader.blob(id)?,
        },
    };
    let record: InvocationRecord = decode_json(id, "an invocation record", &bytes)?;
    let output = match &record.outcome {
        Outcome::Completed { output } => Some(json(reader, output)?),
        _ => None,
    };
    Ok(Invocation { id: *id, record, output })
}

/// A sealed invocation with its journal and logs.
pub struct Opened {
    /// The invocation.
    pub invocation: Invocation,
    /// Its journal.
    pub journal: Vec<Event>,
    /// Its log lines.
    pub logs: Vec<LogLine>,
}

/// Opens invocation `id` (a root, or a child found by [`child`]).
///
/// # Errors
/// A missing or corrupt blob, or a record that does not decode.
pub fn open(reader: &Reader, id: &Digest) -> Result<Opened, StorageError> {
    let invocation = invocation(reader, id)?;
    let journal = journal(reader, &invocation.record)?;
    let logs = logs(reader, &invocation.record)?;
    Ok(Opened { invocation, journal, logs })
}

/// Opens a child sealed in its caller's journal.
///
/// # Errors
/// A missing or corrupt output blob, or a record that does not decode.
pub fn open_child(reader: &Reader, sealed: &SealedChild) -> Result<Opened, StorageError> {
    let record = sealed.decode()?;
    let output = match &record.outcome {
        Outcome::Completed { output } => Some(json(reader, output)?),
        _ => None,
    };
    let invocation = Invocation { id: sealed.id(), record, output };
    Ok(Opened { invocation, journal: sealed.journal.clone(), logs: sealed.log_lines()? })
}

/// Child `id`, found in the journal of an indexed invocation that sealed
/// it (or in a memo entry): a scan of the store, for pointing at a child
/// directly; walking a tree reads its children from its journal instead.
///
/// # Errors
/// A missing or corrupt blob, or a record or journal that does not decode.
pub fn child(reader: &Reader, id: &Digest) -> Result<Option<SealedChild>, StorageError> {
    Ok(children_where(reader, |child| child == id)?.into_iter().next())
}

/// The ids of sealed children that start with `hex` (lowercase hex digits).
///
/// # Errors
/// As [`child`].
pub fn children_with_prefix(reader: &Reader, hex: &str) -> Result<Vec<Digest>, StorageError> {
    let mut ids: Vec<Digest> =
        children_where(reader, |child| child.hex().starts_with(hex))?.iter().map(SealedChild::id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Every sealed child whose id satisfies `wanted`, from indexed invocations' journals and memo entries.
fn children_where(reader: &Reader, wanted: impl Fn(&Digest) -> bool) -> Result<Vec<SealedChild>, StorageError> {
    let mut found = Vec::new();
    let mut take = |child: &SealedChild| {
        if wanted(&child.id()) {
            found.push(child.clone());
        }
    };
    for (id, _) in reader.invocations::<InvocationEntry>()? {
        let record: InvocationRecord = decode_json(&id, "an invocation record", &reader.blob(&id)?)?;
        if let Some(bytes) = reader.find_blob(&record.journal)? {
            let events = decode_events(&bytes).map_err(|e| DecodeError::new(&record.journal, "a journal", e))?;
            each_child(&events, &mut take);
        }
    }
    for memo in reader.memos()? {
        take(&memo);
        each_child(&memo.journal, &mut take);
    }
    Ok(found)
}

/// A JSON value blob, decoded.
///
/// # Errors
/// A missing or corrupt blob, or one that is not JSON.
pub fn json(reader: &Reader, digest: &Digest) -> Result<serde_json::Value, StorageError> {
    Ok(decode_json(digest, "JSON", &reader.blob(digest)?)?)
}

/// The journal of a sealed invocation.
///
/// # Errors
/// A missing or corrupt blob.
pub fn journal(reader: &Reader, record: &InvocationRecord) -> Result<Vec<Event>, StorageError> {
    let bytes = match reader.find_blob(&record.journal)? {
        Some(bytes) => bytes,
        None => match child(reader, &Digest::of(&canonical_record(record)))? {
            Some(child) => return Ok(child.journal),
            None => reader.blob(&record.journal)?,
        },
    };
    Ok(decode_events(&bytes).map_err(|e| DecodeError::new(&record.journal, "a journal", e))?)
}

/// The captured log lines of a sealed invocation.
///
/// # Errors
/// A missing or corrupt blob.
pub fn logs(reader: &Reader, record: &InvocationRecord) -> Result<Vec<LogLine>, StorageError> {
    let Some(digest) = &record.logs else { return Ok(Vec::new()) };
    let bytes = match reader.find_blob(digest)? {
        Some(bytes) => bytes,
        None => match child(reader, &Digest::of(&canonical_record(record)))? {
            Some(child) => return Ok(child.log_lines()?),
            None => reader.blob(digest)?,
        },
    };
    Ok(decode_json(digest, "log lines", &bytes)?)
}

/// A cut-off run: its header and the events it persisted, in order; `None`
/// when there is no such run.
///
/// # Errors
/// A header or chunk that does not decode.
pub fn run(reader: &Reader, run: u128) -> Result<Option<(RunHeader, Vec<Event>)>, StorageError> {
    let Some(header) = reader.runs::<RunHeader>()?.into_iter().find_map(|(r, h)| (r == run).then_some(h)) else {
        return Ok(None);
    };
    Ok(Some((header, run_events(reader, run)?)))
}

/// The events a run in progress (or cut off) persisted, in order.
///
/// # Errors
/// A chunk that does not decode.
pub fn run_events(reader: &Reader, run: u128) -> Result<Vec<Event>, StorageError> {
    let mut events = Vec::new();
    for chunk in reader.run_events(run)? {
        events.extend(decode_events(&chunk).map_err(|e| StorageError::Decode {
            table: "run_events",
            key: format!("{run:032x}"),
            message: e.to_string(),
        })?);
    }
    Ok(events)
}
