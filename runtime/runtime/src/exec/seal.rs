//! Sealing: a run's result becomes a content-addressed invocation record.
//! A root is written in one durable transaction with every child sealed in
//! its tree; a child waits in its [`Tree`](super::tree::Tree) for the tree's next commit.

use enact_core::chunks::CHUNK_EVENTS;
use enact_core::event::{Event, SealedChild, pack_children};
use enact_core::record::{Invocation, InvocationEntry, InvocationRecord, Outcome};
use enact_core::value::{Digest, canonical_record};
use enact_store::{StorageError, Writer};

use super::Exec;
use super::run::{RunOutcome, RunResult, RunSpec, now_ms};

use crate::error::RunError;

/// The memo key of calling `component` with `config` and `input`.
pub(super) fn memo_key(component: &Digest, config: &Digest, input: &Digest) -> Digest {
    let mut bytes = Vec::with_capacity(96);
    for d in [component, config, input] {
        bytes.extend_from_slice(&d.0);
    }
    Digest::of(&bytes)
}

/// The writes that seal one invocation, computed in memory. A root applies
/// them at once; a child's wait in its [`Tree`](super::tree::Tree) for the next
/// commit of the tree (a journal chunk of any run in it, or the root's seal),
/// so a child costs no transaction of its own and what it names is durable
/// before any durable journal names it.
pub(crate) struct SealWrites {
    /// With their digests, computed once.
    blobs: Vec<(Digest, Vec<u8>)>,
    /// A root's id and index entry (a child is sealed in its caller's journal).
    root: Option<(Digest, InvocationEntry)>,
    run: Option<u128>,
    /// For a finished invocation of a pure component: its memo key, and the
    /// sealed child to reuse.
    memo: Option<(Digest, Vec<u8>)>,
}

impl SealWrites {
    /// Writes of one blob alone.
    pub(crate) fn one_blob(digest: Digest, bytes: Vec<u8>) -> Self {
        SealWrites { blobs: vec![(digest, bytes)], root: None, run: None, memo: None }
    }

    /// The blob with `digest`, if this seal writes it.
    pub(super) fn blob(&self, digest: &Digest) -> Option<&[u8]> {
        self.blobs.iter().find(|(d, _)| d == digest).map(|(_, bytes)| bytes.as_slice())
    }
}

/// Writes many seals in `w`'s transaction, each table opened once.
pub(super) fn apply_all(writes: Vec<SealWrites>, w: &mut Writer) -> Result<(), StorageError> {
    w.put_hashed_blobs(writes.iter().flat_map(|s| s.blobs.iter().map(|(digest, bytes)| (digest, bytes.as_slice()))))?;
    w.put_invocations(writes.iter().filter_map(|s| s.root.as_ref().map(|(id, entry)| (id, entry))))?;
    for run in writes.iter().filter_map(|s| s.run) {
        w.remove_run(run)?;
    }
    for write in &writes {
        if let Some((key, sealed)) = &write.memo {
            w.put_memo(key, sealed)?;
        }
    }
    Ok(())
}

/// Seals a run: stores what its record names, and the record with its
/// index entry for a root, and forgets the run. A root (with every child
/// sealed in its tree) is written in one durable transaction; a child is
/// returned sealed, for its caller's journal, and what it names is queued
/// in its [`Tree`](super::tree::Tree).
pub(crate) fn seal(
    ex: &Exec,
    spec: &RunSpec,
    result: RunResult,
) -> Result<(Invocation, Option<SealedChild>), RunError> {
    // What the journal kept for its next commit (answers it did not make durable at once).
    let mut blobs: Vec<(Digest, Vec<u8>)> = result.blobs.into_iter().map(|b| (Digest::of(&b), b)).collect();
    let child = spec.depth > 0;
    // Hashed where the call was prepared.
    for json in [&spec.config, &spec.input] {
        if !child || spec.tree.first_queued(json.digest) {
            blobs.push((json.digest, json.bytes.clone()));
        }
    }
    let (config, input) = (spec.config.digest, spec.input.digest);
    let mut keep = |bytes: Vec<u8>| {
        let digest = Digest::of(&bytes);
        // A child's blobs are written once per tree.
        if !child || spec.tree.first_queued(digest) {
            blobs.push((digest, bytes));
        }
        digest
    };
    let invokable = spec.tree.invokable(spec.component, config, || {
        keep(canonical_record(&serde_json::json!({
            "component": spec.component,
            "config": config,
        })))
    });
    let (outcome, output) = match result.outcome {
        RunOutcome::Completed(bytes) => {
            // A child's caller takes the bytes; only a root's output is decoded.
            let value = (!child).then(|| serde_json::from_slice(&bytes).expect("canonical JSON parses"));
            (Outcome::Completed { output: keep(bytes) }, value)
        }
        RunOutcome::Failed(error) => (Outcome::Failed { error }, None),
        RunOutcome::Trapped(reason) => {
            let at_event = result.timed_out.then_some(result.events.len() as u64);
            (Outcome::Trapped { reason, at_event }, None)
        }
        RunOutcome::AwaitingInput(request) => (Outcome::AwaitingInput { request: keep(request) }, None),
    };
    let record = InvocationRecord {
        component: spec.component,
        invokable,
        config,
        input,
        journal: Digest([0; 32]),
        events: result.events.len() as u64,
        outcome,
        logs: None,
        parent: spec.parent,
        engine: ex.registry.engine_info.clone(),
        limits: spec.limits.clone(),
        grants: spec.grants.clone(),
    };
    let memo = spec.pure && matches!(record.outcome, Outcome::Completed { .. } | Outcome::Failed { .. });
    let run = result.persisted.then_some(result.run);
    let took_us = result.took_us;
    if spec.depth > 0 {
        let sealed = SealedChild::seal(record, result.events, &result.logs);
        let id = sealed.id;
        spec.tree.timed(id, took_us);
        let memo = memo.then(|| (memo_key(&spec.component, &config, &input), sealed.encode()));
        // Most children of a tree write nothing new (their blobs were queued by
        // an earlier child): those leave the pending list as it is.
        if !blobs.is_empty() || run.is_some() || memo.is_some() {
            let writes = SealWrites { blobs, root: None, run, memo };
            spec.tree.pending.lock().unwrap_or_else(|p| p.into_inner()).push(writes);
        }
        spec.tree.observer.sealed(spec.depth, &id, &sealed.record.outcome);
        return Ok((sealed.invocation(output), Some(sealed)));
    }
    let mut events = result.events;
    let pack = pack_children(&mut events);
    // The journal's chunks, hashed once: a fork shares its parent's up to
    // the fork, and those stored already are neither encoded nor written.
    let same = |i: &usize| {
        let range = i * CHUNK_EVENTS..(i + 1) * CHUNK_EVENTS;
        events.get(range.clone()).is_some_and(|mine| spec.recorded.get(range) == Some(mine))
    };
    let known = (0..spec.recorded_chunks.len()).take_while(same).count();
    let (journal, chunks) = enact_core::chunks::chunks_after(&spec.recorded_chunks[..known], &events);
    let logs = (!result.logs.is_empty()).then(|| keep(canonical_record(&result.logs)));
    let record = InvocationRecord { journal, logs, ..record };
    let id = keep(record.canonical());
    // The pack was hashed as it was made, the chunks as they were encoded.
    blobs.extend(pack);
    blobs.extend(chunks);
    let entry = InvocationEntry {
        status: record.outcome.status().to_string(),
        component: spec.component,
        name: ex.registry.name(&spec.component),
        created_ms: now_ms(),
        parent: spec.parent,
        depth: 0,
    };
    let writes = SealWrites { blobs, root: Some((id, entry)), run, memo: None };
    let mut timings = spec.tree.take_timings();
    timings.push((id, took_us));
    ex.storage.write(|w| {
        spec.tree.drain_pending(w)?;
        apply_all(vec![writes], w)?;
        w.put_timings(&id, &timings)
    })?;
    spec.tree.observer.sealed(spec.depth, &id, &record.outcome);
    Ok((Invocation { id, record, output }, None))
}

/// Seals the rewound copy of `original` (invocation `id`): its journal cut to
/// `events`, whose first chunks are stored as `chunks`, outcome incomplete,
/// parent `id`. Returns it with its journal as sealed (a child's journal has
/// its children packed then) and the digests of the journal's chunks, first
/// to last.
pub(crate) fn seal_rewound(
    ex: &Exec,
    id: &Digest,
    original: &InvocationRecord,
    mut events: Vec<Event>,
    mut chunks: Vec<Digest>,
) -> Result<(Invocation, Vec<Event>, Vec<Digest>), StorageError> {
    let name = ex.registry.name(&original.component);
    // A child's journal (rewound on its own) holds its children inline.
    let pack = pack_children(&mut events);
    let (journal, new_chunks) = enact_core::chunks::chunks_after(&chunks, &events);
    chunks.truncate(events.len() / CHUNK_EVENTS);
    chunks.extend(new_chunks.iter().map(|(digest, _)| *digest));
    let record = InvocationRecord {
        journal,
        events: events.len() as u64,
        outcome: Outcome::Incomplete,
        logs: None,
        parent: Some(*id),
        ..original.clone()
    };
    let entry = InvocationEntry {
        status: record.outcome.status().to_string(),
        component: record.component,
        name,
        created_ms: now_ms(),
        parent: Some(*id),
        depth: 0,
    };
    let new_id = ex.storage.write(|w| -> Result<Digest, StorageError> {
        w.put_hashed_blobs(pack.iter().map(|(digest, bytes)| (digest, bytes.as_slice())))?;
        w.put_hashed_blobs(new_chunks.iter().map(|(digest, bytes)| (digest, bytes.as_slice())))?;
        let new_id = w.put_blob(&record.canonical())?;
        w.put_invocation(&new_id, &entry)?;
        Ok(new_id)
    })?;
    Ok((Invocation { id: new_id, record, output: None }, events, chunks))
}
