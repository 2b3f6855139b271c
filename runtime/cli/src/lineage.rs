//! Where generated code came from: a child that ran source (the `python`
//! and `javascript` runners' config `{"source"}`) whose text is in a
//! completion its caller's journal holds before the call was written by
//! that event. Derived from journals, so it holds for every replay too.

use enact_core::event::SealedChild;
use enact_core::value::Digest;
use enact_store::load::{self, CallSite};
use enact_store::{Reader, StorageError};

/// The source a child ran, if it ran source.
pub(super) fn source_of(reader: &Reader, child: &SealedChild) -> Result<Option<String>, StorageError> {
    let config = load::json(reader, &child.record.config)?;
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
    let mut written = Vec::new();
    let mut failed = None;
    load::each_call(reader, &mut |site: &CallSite| {
        if failed.is_some() {
            return;
        }
        // Looked up where the walk stands: a journal is not copied per call.
        let found = source_of(reader, site.child).and_then(|source| match source {
            Some(source) => {
                Ok(load::written_by(reader, site.journal, site.index, &source)?.map(|event| (event, source)))
            }
            None => Ok(None),
        });
        match found {
            Ok(Some((event, source))) => written.push(Written { child: site.child.id, by: site.caller, event, source }),
            Ok(None) => {}
            Err(e) => failed = Some(e),
        }
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(written),
    }
}

/// The first non-empty line of `source`, at most 60 characters.
pub(super) fn first_line(source: &str) -> String {
    source.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default().chars().take(60).collect()
}
