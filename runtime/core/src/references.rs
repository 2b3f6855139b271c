//! What an invocation names by digest: the one list that export, import and
//! verify all walk, so that a bundle holds, and a store is checked for,
//! exactly what a replay will read.

use crate::event::{ChildResult, Event, Sealed, SealedChild, decode_pack, packs_named};
use crate::grant::DirGrant;
use crate::grant::Manifest;
use crate::record::{InvocationRecord, Outcome, RunHeader};
use crate::value::{DecodeError, Digest};

/// One digest an object names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    /// What it is to the object that names it, for people: `journal`, `answer`.
    pub what: &'static str,
    /// The digest.
    pub digest: Digest,
    /// What kind of object it names.
    pub kind: Kind,
}

/// The kinds of object a reference can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A blob: a value, a journal, a log, a manifest, a file.
    Blob,
    /// A component's bytes (with its index entry).
    Component,
    /// Another invocation's record, which names objects of its own (a
    /// fork's parent: children are sealed inside their caller's journal).
    Invocation,
}

const fn blob(what: &'static str, digest: Digest) -> Reference {
    Reference { what, digest, kind: Kind::Blob }
}

impl Event {
    /// The digests this event names.
    pub fn references(&self) -> Vec<Reference> {
        match self {
            Event::Invoke(call) => {
                let mut refs = vec![blob("child config", call.config), blob("child input", call.input)];
                if let Some(component) = call.component {
                    refs.push(Reference { what: "child component", digest: component, kind: Kind::Component });
                }
                // A pack, and what its children name, is listed once per
                // journal by `walk_with_events`, not once per child.
                if let Some(Sealed::Inline(child)) = &call.sealed {
                    refs.extend(child.references());
                }
                if let ChildResult::Completed(output) = &call.result {
                    refs.push(blob("child output", *output));
                }
                refs
            }
            Event::Input(call) => vec![blob("input request", call.request), blob("answer", call.answer)],
            Event::Llm(call) => {
                let mut refs = vec![blob("completion request", call.request)];
                if let Ok(completion) = &call.result {
                    refs.push(blob("completion", *completion));
                }
                refs
            }
            _ => Vec::new(),
        }
    }
}

impl SealedChild {
    /// What the child names in the store: its record's references but the
    /// inline journal and logs, and those of its journal's events (its own
    /// children's, recursively).
    pub fn references(&self) -> Vec<Reference> {
        let mut refs: Vec<Reference> = self
            .record
            .references()
            .into_iter()
            .filter(|r| !matches!(r.what, "journal" | "log") && r.kind != Kind::Invocation)
            .collect();
        refs.extend(self.journal.iter().flat_map(Event::references));
        refs
    }
}

impl InvocationRecord {
    /// The digests this record names itself (not those inside its journal
    /// or its granted snapshots: see [`walk`]).
    pub fn references(&self) -> Vec<Reference> {
        let mut refs = vec![
            Reference { what: "component", digest: self.component, kind: Kind::Component },
            blob("invokable", self.invokable),
            blob("config", self.config),
            blob("input", self.input),
            blob("journal", self.journal),
        ];
        if let Some(logs) = self.logs {
            refs.push(blob("log", logs));
        }
        match &self.outcome {
            Outcome::Completed { output } => refs.push(blob("output", *output)),
            Outcome::AwaitingInput { request } => refs.push(blob("pending input request", *request)),
            _ => {}
        }
        if let Some(parent) = self.parent {
            refs.push(Reference { what: "parent invocation", digest: parent, kind: Kind::Invocation });
        }
        refs.extend(self.grants.iter().map(|g| blob("granted directory", g.snapshot)));
        refs
    }
}

impl RunHeader {
    /// The digests a run in progress (or cut off) names in its header.
    pub fn references(&self) -> Vec<Reference> {
        let mut refs = vec![
            Reference { what: "component", digest: self.component, kind: Kind::Component },
            blob("config", self.config),
            blob("input", self.input),
        ];
        if let Some(parent) = self.parent {
            refs.push(Reference { what: "parent invocation", digest: parent, kind: Kind::Invocation });
        }
        refs.extend(self.grants.iter().map(|g| blob("granted directory", g.snapshot)));
        refs
    }
}

/// Everything `record` names: its own references, those of its journal's
/// events, and the files of its granted snapshots. `fetch` gives a blob's
/// bytes when it is there; a journal or manifest that is not is listed
/// (for the caller to find missing) but not looked into.
///
/// # Errors
/// A journal or manifest that does not decode, or what `fetch` returns.
pub fn walk<E: From<DecodeError>>(
    record: &InvocationRecord,
    mut fetch: impl FnMut(&Digest) -> Result<Option<Vec<u8>>, E>,
) -> Result<Vec<Reference>, E> {
    let followed = crate::chunks::follow(&record.journal, &mut fetch)?;
    let events = followed.events.unwrap_or_default();
    walk_with_events(record, &followed.chunks, &events, fetch)
}

/// [`walk`], for a caller that has followed the record's journal already:
/// its `chunks` (as [`follow`](crate::chunks::follow) lists them) and `events`.
///
/// # Errors
/// A manifest that does not decode, or what `fetch` returns.
pub fn walk_with_events<E: From<DecodeError>>(
    record: &InvocationRecord,
    chunks: &[Digest],
    events: &[Event],
    mut fetch: impl FnMut(&Digest) -> Result<Option<Vec<u8>>, E>,
) -> Result<Vec<Reference>, E> {
    let mut refs = record.references();
    // The record names the last chunk; the chunks before it are named by it.
    refs.extend(chunks.iter().filter(|d| **d != record.journal).map(|d| blob("journal", *d)));
    refs.extend(events.iter().flat_map(Event::references));
    refs.extend(packed_children(events, &mut fetch)?);
    refs.extend(granted_files(&record.grants, fetch)?);
    Ok(refs)
}

/// Everything a run in progress names: its header's references, those of
/// the `events` it persisted, and the files of its granted snapshots.
///
/// # Errors
/// A manifest that does not decode, or what `fetch` returns.
pub fn walk_run<E: From<DecodeError>>(
    header: &RunHeader,
    events: &[Event],
    mut fetch: impl FnMut(&Digest) -> Result<Option<Vec<u8>>, E>,
) -> Result<Vec<Reference>, E> {
    let mut refs = header.references();
    refs.extend(events.iter().flat_map(Event::references));
    refs.extend(packed_children(events, &mut fetch)?);
    refs.extend(granted_files(&header.grants, fetch)?);
    Ok(refs)
}

/// What the children in the packs `events` name, for the packs `fetch` finds.
fn packed_children<E: From<DecodeError>>(
    events: &[Event],
    fetch: &mut impl FnMut(&Digest) -> Result<Option<Vec<u8>>, E>,
) -> Result<Vec<Reference>, E> {
    let mut refs = Vec::new();
    for pack in packs_named(events) {
        refs.push(blob("children", pack));
        if let Some(bytes) = fetch(&pack)? {
            for child in decode_pack(&pack, &bytes)? {
                // A pack's bytes hash to its name; what it says of each child is checked here.
                child.check().map_err(|problem| DecodeError::new(&pack, "a pack of children", problem))?;
                refs.extend(child.references());
            }
        }
    }
    Ok(refs)
}

/// The files of granted snapshots that `fetch` finds.
fn granted_files<E: From<DecodeError>>(
    grants: &[DirGrant],
    mut fetch: impl FnMut(&Digest) -> Result<Option<Vec<u8>>, E>,
) -> Result<Vec<Reference>, E> {
    let mut refs = Vec::new();
    for grant in grants {
        if let Some(bytes) = fetch(&grant.snapshot)? {
            let files = Manifest::decode(&grant.snapshot, &bytes)?.files;
            refs.extend(files.into_values().map(|digest| blob("granted file", digest)));
        }
    }
    Ok(refs)
}
