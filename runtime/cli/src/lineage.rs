//! Where generated code came from: a child that ran source (the `python`
//! and `javascript` runners' config `{"source"}`) whose text is in a
//! completion its caller's journal holds before the call was written by
//! that event. Derived from journals, so it holds for every replay too.

use enact_core::event::SealedChild;
use enact_core::record::InvocationRecord;
use enact_core::value::Digest;
use enact_store::load::{self, CallSite};
use enact_store::{Reader, StorageError};

/// The source a child ran, if it ran source.
pub(super) fn source_of(reader: &Reader, child: &SealedChild) -> Result<Option<String>, StorageError> {
    let record: InvocationRecord = match serde_json::from_slice(&child.record) {
        Ok(record) => record,
        Err(_) => return Ok(None),
    };
    let config = load::json(reader, &record.config)?;
    Ok(config["source"].as_str().map(str::to_string))
}

/// Written code: the child, the invocation whose completion wrote its source, that event.
pub(super) struct Written {
    pub child: Digest,
    pub by: Digest,
    pub event: usize,
    pub source: String,
}

/// Every child in the store that ran source a completion of its caller wrote.
pub(super) fn all_written(reader: &Reader) -> Result<Vec<Written>, StorageError> {
    let mut sites = Vec::new();
    load::each_call(reader, &mut |site: &CallSite| {
        sites.push((site.caller, site.journal.to_vec(), site.index, site.child.clone()));
    })?;
    let mut written = Vec::new();
    for (caller, journal, index, child) in sites {
        let Some(source) = source_of(reader, &child)? else { continue };
        if let Some(event) = load::written_by(reader, &journal, index, &source)? {
            written.push(Written { child: child.id(), by: caller, event, source });
        }
    }
    Ok(written)
}

/// The first non-empty line of `source`, at most 60 characters.
pub(super) fn first_line(source: &str) -> String {
    source.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default().chars().take(60).collect()
}
