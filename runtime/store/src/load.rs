//! Sealed invocations as the store holds them, decoded and verified: what
//! `show`, `--json` and the HTTP API read.

use enact_core::event::{Event, decode_events};
use enact_core::record::{Invocation, InvocationRecord, LogLine, Outcome, RunHeader};
use enact_core::value::{DecodeError, Digest, decode_json};

use crate::{Reader, StorageError};

/// Loads and verifies a sealed invocation.
///
/// # Errors
/// A missing or corrupt blob, or a record that does not decode.
pub fn invocation(reader: &Reader, id: &Digest) -> Result<Invocation, StorageError> {
    let record: InvocationRecord = decode_json(id, "an invocation record", &reader.blob(id)?)?;
    let output = match &record.outcome {
        Outcome::Completed { output } => Some(json(reader, output)?),
        _ => None,
    };
    Ok(Invocation { id: *id, record, output })
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
    let bytes = reader.blob(&record.journal)?;
    Ok(decode_events(&bytes).map_err(|e| DecodeError::new(&record.journal, "a journal", e))?)
}

/// The captured log lines of a sealed invocation.
///
/// # Errors
/// A missing or corrupt blob.
pub fn logs(reader: &Reader, record: &InvocationRecord) -> Result<Vec<LogLine>, StorageError> {
    let Some(digest) = &record.logs else { return Ok(Vec::new()) };
    Ok(decode_json(digest, "log lines", &reader.blob(digest)?)?)
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
