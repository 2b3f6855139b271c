//! Taking things out of a store: [`remove`] takes invocations out of the
//! index with the trees they own, [`collect`] deletes every object nothing
//! kept needs.
//!
//! Kept are: every name and the component it points at; every indexed
//! invocation and everything it references, transitively (the children
//! sealed in it, parents, values, journals, granted files); every memo
//! entry's sealed child and what it names; and every run in progress or
//! cut off, with what its header and persisted events reference. Neither operation ever removes
//! something a kept object references, so a store that `verify` found sound
//! stays sound.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use redb::{ReadableTable, ReadableTableMetadata};

use enact_core::event::SealedChild;
use enact_core::record::{InvocationEntry, InvocationRecord, RunHeader};
use enact_core::references::{self, Kind, Reference};
use enact_core::value::{Digest, decode_json};

use crate::tables::*;
use crate::{Reader, Storage, StorageError};

/// Why invocations cannot be removed.
#[derive(Debug, thiserror::Error)]
pub enum RemoveError {
    /// A kept invocation or run refers to one that was to be removed.
    #[error("{} is the {what} of {by}, which stays; remove {by} too, or first", .id.short())]
    Referenced {
        /// The invocation asked to be removed.
        id: Digest,
        /// What refers to it: an invocation's short id, or `run:<hex>`.
        by: String,
        /// What it is to that: `child invocation`, `parent invocation`.
        what: &'static str,
    },
    /// A child, which goes with its tree.
    #[error("{} is a child invocation, sealed in its caller's journal: remove the tree's root", .0.short())]
    Child(Digest),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What [`remove`] took out of the index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// The invocations asked for.
    pub invocations: Vec<Digest>,
    /// The children sealed in them, which went with them.
    pub children: usize,
}

/// Takes `ids` out of the index of invocations, with the children sealed
/// in their journals and the memo entries those children made. Their
/// objects stay until [`collect`].
///
/// # Errors
/// [`RemoveError::Referenced`] when a kept invocation or run refers to one
/// of `ids` (a fork to its parent); nothing is removed then.
pub fn remove(storage: &Storage, ids: &[Digest]) -> Result<Removed, RemoveError> {
    let reader = storage.read()?;
    let links = invocation_links(&reader)?;
    let removed: BTreeSet<Digest> = ids.iter().copied().collect();
    if let Some(child) = removed.iter().find(|id| !links.contains_key(&Owner::Invocation(**id))) {
        return Err(RemoveError::Child(*child));
    }
    for (owner, refs) in &links {
        if matches!(owner, Owner::Invocation(id) if removed.contains(id)) {
            continue;
        }
        if let Some(link) = refs.iter().find(|r| removed.contains(&r.digest)) {
            return Err(RemoveError::Referenced { id: link.digest, by: owner.to_string(), what: link.what });
        }
    }
    let mut children = BTreeSet::new();
    for id in &removed {
        let record: InvocationRecord =
            decode_json(id, "an invocation record", &reader.blob(id)?).map_err(StorageError::from)?;
        crate::load::Packs::new(&reader).each(&crate::load::journal(&reader, &record)?, &mut |child| {
            children.insert(child.id);
        })?;
    }
    drop(reader);
    storage.write(|w| {
        let mut index = w.txn.open_table(INVOCATIONS)?;
        for id in &removed {
            index.remove(&id.0)?;
        }
        drop(index);
        // What people said of a removed run goes with it.
        for id in &removed {
            w.remove_annotations(id)?;
            w.remove_timings(id)?;
        }
        w.txn.open_table(EXPECTATIONS)?.retain(|_, bytes| {
            serde_json::from_slice::<enact_core::feedback::Expectation>(bytes)
                .map_or(true, |e| !removed.contains(&e.invocation))
        })?;
        w.txn
            .open_table(MEMO)?
            .retain(|_, sealed| SealedChild::decode_bytes(sealed).is_ok_and(|c| !children.contains(&c.id)))?;
        Ok::<_, StorageError>(())
    })?;
    let children = children.len();
    Ok(Removed { invocations: removed.into_iter().collect(), children })
}

/// What [`collect`] deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Collected {
    /// Blobs deleted.
    pub blobs: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Components no name and no kept invocation needed.
    pub components: u64,
    /// Blobs kept.
    pub kept_blobs: u64,
}

/// Deletes every blob and component that nothing kept needs
/// (see the module documentation), in one transaction.
///
/// # Errors
/// A database error, or a kept record that does not decode (then nothing
/// is deleted: what it references cannot be known).
pub fn collect(storage: &Storage) -> Result<Collected, StorageError> {
    let reader = storage.read()?;
    let live = live_objects(&reader)?;
    drop(reader);
    storage.write(|w| {
        let mut collected = Collected::default();
        let mut components = w.txn.open_table(COMPONENTS)?;
        let gone: Vec<Digest> = components
            .iter()?
            .map(|row| row.map(|(k, _)| Digest(*k.value())))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|d| !live.components.contains(d))
            .collect();
        for digest in &gone {
            components.remove(&digest.0)?;
        }
        collected.components = gone.len() as u64;
        drop(components);
        let mut blobs = w.txn.open_table(BLOBS)?;
        let (mut count, mut bytes) = (0u64, 0u64);
        blobs.retain(|key, value| {
            let digest = Digest(*key);
            let keep = live.blobs.contains(&digest);
            if !keep {
                count += 1;
                bytes += value.len() as u64;
            }
            keep
        })?;
        let mut kept = blobs.len()?;
        drop(blobs);
        // A large blob's pieces go or stay together; it counts once, by its piece 0.
        let mut pieces = w.txn.open_table(PIECES)?;
        pieces.retain(|(key, n), value| {
            let keep = live.blobs.contains(&Digest(*key));
            if !keep {
                count += u64::from(n == 0);
                bytes += value.len() as u64;
            } else if n == 0 {
                kept += 1;
            }
            keep
        })?;
        collected.blobs = count;
        collected.bytes = bytes;
        collected.kept_blobs = kept;
        Ok(collected)
    })
}

/// Who refers: an indexed invocation, or a run in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Owner {
    Invocation(Digest),
    Run(u128),
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Owner::Invocation(id) => write!(f, "{}", id.short()),
            Owner::Run(run) => write!(f, "run:{run:032x}"),
        }
    }
}

/// The invocations each indexed invocation and each run refers to.
fn invocation_links(reader: &Reader) -> Result<BTreeMap<Owner, Vec<Reference>>, StorageError> {
    let mut links = BTreeMap::new();
    for (id, _) in reader.invocations::<InvocationEntry>()? {
        let refs = record_references(reader, &id)?;
        links.insert(Owner::Invocation(id), refs.into_iter().filter(|r| r.kind == Kind::Invocation).collect());
    }
    for (run, refs) in run_references(reader)? {
        links.insert(Owner::Run(run), refs.into_iter().filter(|r| r.kind == Kind::Invocation).collect());
    }
    Ok(links)
}

/// What a sealed invocation names, read from its record blob.
fn record_references(reader: &Reader, id: &Digest) -> Result<Vec<Reference>, StorageError> {
    let record: InvocationRecord = decode_json(id, "an invocation record", &reader.blob(id)?)?;
    references::walk(&record, |d| reader.find_blob(d))
}

/// What each run in progress names: its header and persisted events.
fn run_references(reader: &Reader) -> Result<Vec<(u128, Vec<Reference>)>, StorageError> {
    let mut out = Vec::new();
    for (run, header) in reader.runs::<RunHeader>()? {
        let events = crate::load::run_events(reader, run)?;
        out.push((run, references::walk_run(&header, &events, |d| reader.find_blob(d))?));
    }
    Ok(out)
}

/// Everything kept, by kind.
#[derive(Default)]
struct Live {
    blobs: BTreeSet<Digest>,
    components: BTreeSet<Digest>,
}

impl Live {
    fn take(&mut self, reference: &Reference) -> bool {
        if reference.kind == Kind::Component {
            self.components.insert(reference.digest);
        }
        self.blobs.insert(reference.digest)
    }
}

/// The transitive closure of what names, invocations and runs reference.
fn live_objects(reader: &Reader) -> Result<Live, StorageError> {
    let mut live = Live::default();
    let mut records = VecDeque::new();
    for (_, component) in reader.names()? {
        live.take(&Reference { what: "named component", digest: component, kind: Kind::Component });
    }
    for (_, component, config) in reader.invokable_names()? {
        live.take(&Reference { what: "named invokable", digest: component, kind: Kind::Component });
        live.take(&Reference { what: "named invokable's config", digest: config, kind: Kind::Blob });
    }
    for (id, _) in reader.invocations::<InvocationEntry>()? {
        if live.take(&Reference { what: "invocation", digest: id, kind: Kind::Invocation }) {
            records.push_back(id);
        }
    }
    // A memo entry is a sealed child kept for reuse: what it names stays.
    for sealed in reader.memos()? {
        for reference in sealed.references() {
            live.take(&reference);
        }
    }
    for (_, refs) in run_references(reader)? {
        for reference in refs {
            if live.take(&reference) && reference.kind == Kind::Invocation {
                records.push_back(reference.digest);
            }
        }
    }
    while let Some(id) = records.pop_front() {
        // A referenced record that is missing was already broken (verify
        // reports it); there is nothing of it to keep.
        if !reader.has_blob(&id)? {
            continue;
        }
        for reference in record_references(reader, &id)? {
            if live.take(&reference) && reference.kind == Kind::Invocation {
                records.push_back(reference.digest);
            }
        }
    }
    Ok(live)
}
