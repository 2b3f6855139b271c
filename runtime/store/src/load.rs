//! Sealed invocations as the store holds them, decoded and verified: what
//! `show`, `--json` and the HTTP API read.

use enact_core::event::{Event, decode_events};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use enact_core::event::{Sealed, SealedChild, decode_pack};
use enact_core::record::{Invocation, InvocationEntry, InvocationRecord, LogLine, Outcome, RunHeader};
use enact_core::value::{DecodeError, Digest, decode_json};

use crate::{Reader, StorageError};

/// Loads and verifies a sealed invocation.
///
/// # Errors
/// A missing or corrupt blob, or a record that does not decode.
pub fn invocation(reader: &Reader, id: &Digest) -> Result<Invocation, StorageError> {
    let record: InvocationRecord = match reader.find_blob(id)? {
        Some(bytes) => decode_json(id, "an invocation record", &bytes)?,
        None => match child(reader, id)? {
            Some(child) => child.record,
            None => return Err(StorageError::Missing(*id)),
        },
    };
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
/// A missing or corrupt output blob, or logs that do not decode.
pub fn open_child(reader: &Reader, sealed: &SealedChild) -> Result<Opened, StorageError> {
    let output = match &sealed.record.outcome {
        Outcome::Completed { output } => Some(json(reader, output)?),
        _ => None,
    };
    let invocation = sealed.invocation(output);
    Ok(Opened { invocation, journal: sealed.journal.clone(), logs: sealed.log_lines()? })
}

/// The children journals name, each pack read and decoded once.
pub struct Packs<'r> {
    reader: &'r Reader,
    decoded: RefCell<HashMap<Digest, Rc<Vec<Arc<SealedChild>>>>>,
}

impl<'r> Packs<'r> {
    /// Reads packs through `reader`.
    pub fn new(reader: &'r Reader) -> Packs<'r> {
        Packs { reader, decoded: RefCell::default() }
    }

    /// The reader it reads through.
    pub fn reader(&self) -> &'r Reader {
        self.reader
    }

    /// The child `sealed` points at.
    ///
    /// # Errors
    /// A missing or corrupt pack, or one without that entry.
    pub fn get(&self, sealed: &Sealed) -> Result<Arc<SealedChild>, StorageError> {
        let (pack, index) = match sealed {
            Sealed::Inline(child) => return Ok(child.clone()),
            Sealed::Packed { pack, index } => (pack, *index),
        };
        let children = self.pack(pack)?;
        children
            .get(index as usize)
            .cloned()
            .ok_or_else(|| DecodeError::new(pack, "a pack of children", format!("it has no entry {index}")).into())
    }

    fn pack(&self, pack: &Digest) -> Result<Rc<Vec<Arc<SealedChild>>>, StorageError> {
        if let Some(children) = self.decoded.borrow().get(pack) {
            return Ok(children.clone());
        }
        let children = Rc::new(decode_pack(pack, &self.reader.blob(pack)?)?);
        self.decoded.borrow_mut().insert(*pack, children.clone());
        Ok(children)
    }

    /// Calls `f` with every child `events` hold, and those their journals
    /// hold, depth first.
    ///
    /// # Errors
    /// As [`Packs::get`].
    pub fn each(&self, events: &[Event], f: &mut impl FnMut(&SealedChild)) -> Result<(), StorageError> {
        for event in events {
            if let Event::Invoke(call) = event
                && let Some(sealed) = &call.sealed
            {
                let child = self.get(sealed)?;
                f(&child);
                self.each(&child.journal, f)?;
            }
        }
        Ok(())
    }
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
        children_where(reader, |child| child.hex().starts_with(hex))?.iter().map(|child| child.id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Every sealed child whose id satisfies `wanted`, from indexed invocations' journals and memo entries.
fn children_where(reader: &Reader, wanted: impl Fn(&Digest) -> bool) -> Result<Vec<SealedChild>, StorageError> {
    let mut found = Vec::new();
    let mut take = |child: &SealedChild| {
        if wanted(&child.id) {
            found.push(child.clone());
        }
    };
    let packs = Packs::new(reader);
    for (id, _) in reader.invocations::<InvocationEntry>()? {
        let record: InvocationRecord = decode_json(&id, "an invocation record", &reader.blob(&id)?)?;
        if let Some(events) = journal_events(reader, &record.journal)? {
            packs.each(&events, &mut take)?;
        }
    }
    for memo in reader.memos()? {
        take(&memo);
        packs.each(&memo.journal, &mut take)?;
    }
    Ok(found)
}

/// One child call as a store walk finds it: who called, its journal, where.
pub struct CallSite<'a> {
    /// The caller: a root, or a child that calls children of its own.
    pub caller: Digest,
    /// The caller's journal.
    pub journal: &'a [Event],
    /// The index of the child's `ChildCall` event in it.
    pub index: usize,
    /// The child, sealed.
    pub child: &'a SealedChild,
}

/// Calls `f` for every sealed child call in the trees of the indexed
/// invocations, callers before their children: a scan of the store.
///
/// # Errors
/// As [`child`].
pub fn each_call(reader: &Reader, f: &mut impl FnMut(&CallSite)) -> Result<(), StorageError> {
    fn walk(
        packs: &Packs,
        caller: Digest,
        journal: &[Event],
        f: &mut impl FnMut(&CallSite),
    ) -> Result<(), StorageError> {
        for (index, event) in journal.iter().enumerate() {
            if let Event::Invoke(call) = event
                && let Some(sealed) = &call.sealed
            {
                let child = packs.get(sealed)?;
                f(&CallSite { caller, journal, index, child: &child });
                walk(packs, child.id, &child.journal, f)?;
            }
        }
        Ok(())
    }
    let packs = Packs::new(reader);
    for (id, _) in reader.invocations::<InvocationEntry>()? {
        let record: InvocationRecord = decode_json(&id, "an invocation record", &reader.blob(&id)?)?;
        if let Some(events) = journal_events(reader, &record.journal)? {
            walk(&packs, id, &events, f)?;
        }
    }
    Ok(())
}

/// The event of `journal` before `before` whose completion holds `source`:
/// for code a model wrote, where it came from.
///
/// # Errors
/// A missing or corrupt completion blob.
pub fn written_by(
    reader: &Reader,
    journal: &[Event],
    before: usize,
    source: &str,
) -> Result<Option<usize>, StorageError> {
    let source = source.trim();
    if source.is_empty() {
        return Ok(None);
    }
    for (at, event) in journal[..before.min(journal.len())].iter().enumerate().rev() {
        if let Event::Llm(call) = event
            && let Ok(completion) = &call.result
            && json(reader, completion)?["text"].as_str().is_some_and(|text| text.contains(source))
        {
            return Ok(Some(at));
        }
    }
    Ok(None)
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
    Ok(journal_with_chunks(reader, record)?.0)
}

/// [`journal`], with the digests of the chunks it was read from, first to
/// last: none for a child's journal, which is in its caller's pack.
///
/// # Errors
/// A missing or corrupt blob.
pub fn journal_with_chunks(
    reader: &Reader,
    record: &InvocationRecord,
) -> Result<(Vec<Event>, Vec<Digest>), StorageError> {
    let followed = enact_core::chunks::follow(&record.journal, |d| reader.find_blob(d))?;
    if let Some(events) = followed.events {
        let mut chunks = followed.chunks;
        chunks.reverse();
        return Ok((events, chunks));
    }
    // A child's journal is in its caller's pack, not a blob of its own.
    if followed.chunks.len() == 1
        && let Some(child) = child(reader, &Digest::of(&record.canonical()))?
    {
        return Ok((child.journal, Vec::new()));
    }
    Err(StorageError::Missing(*followed.chunks.last().expect("the chunk not found")))
}

/// The events of the journal whose last chunk is `head`; `None` when the
/// store lacks a chunk of it.
///
/// # Errors
/// A chunk that does not decode, or a store failure.
pub fn journal_events(reader: &Reader, head: &Digest) -> Result<Option<Vec<Event>>, StorageError> {
    Ok(enact_core::chunks::follow(head, |d| reader.find_blob(d))?.events)
}

/// The captured log lines of a sealed invocation.
///
/// # Errors
/// A missing or corrupt blob.
pub fn logs(reader: &Reader, record: &InvocationRecord) -> Result<Vec<LogLine>, StorageError> {
    let Some(digest) = &record.logs else { return Ok(Vec::new()) };
    let bytes = match reader.find_blob(digest)? {
        Some(bytes) => bytes,
        None => match child(reader, &Digest::of(&record.canonical()))? {
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
