//! Execution: run an invokable, record a new invocation or replay a
//! recorded one, seal the result as a content-addressed record, and run the
//! children a guest asks for. [`Exec`] holds what every run needs; the
//! [`Runtime`](crate::Runtime) facade above takes the per-call options.
//!
//! The journal persists through [`RunSink`] (a [`Sink`]) and the host
//! reaches children through [`Invoker`] (its [`Children`]): both are
//! implemented here, so the layers below never call up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use enact_core::answer::{Answer, Answerer, FirstThen, InputRequest};
use enact_core::event::{ChildCall, ChildResult, Divergence, Event, encode_events};
use enact_core::grant::{DirGrant, Grant};
use enact_core::limits::{Limits, human_bytes};
use enact_core::llm::Provider;
use enact_core::record::{ErrorRecord, Invocation, InvocationEntry, InvocationRecord, LogLine, Outcome, RunHeader};
use enact_core::value::{self, Digest, canonical_record};
use enact_store::resolve::{self, ResolveError};
use enact_store::{Reader, Storage, StorageError, Writer, load};
use serde_json::Value;
use wasmtime::Store;

use crate::error::{InvokeError, ReplayError, ResumeError, RewindError, RunError};
use crate::host::{ChildError, ChildOutcome, Children, HostState};
use crate::journal::{Journal, JournalError, Sink};
use crate::observe::Observer;
use crate::registry::Registry;
use crate::sandbox::Sandbox;
use crate::sources::Sources;

/// What every run of a runtime shares: the registry, the store, the live
/// sources and the LLM provider, and the default limits.
pub(crate) struct Exec {
    pub registry: Registry,
    pub storage: Arc<Storage>,
    pub sources: Box<dyn Fn() -> Sources + Send + Sync>,
    pub llm: Option<Arc<dyn Provider>>,
    pub limits: Limits,
}

/// How to run a recorded invocation again: see [`Exec::replay`].
#[derive(Clone, Debug, Default)]
pub struct Rerun {
    /// Run the first failed or trapped child of the root again, live,
    /// instead of reusing its recorded failure.
    pub retry_failed: bool,
    /// Replace the recorded response of root event `.0` with `.1` and go on
    /// live from there.
    pub override_event: Option<(u64, Value)>,
}

/// The result of a replay.
#[derive(Debug)]
pub struct Replay {
    /// The invocation: the original when identical, else the new fork.
    pub invocation: Invocation,
    /// Output and journal matched the recorded ones exactly.
    pub identical: bool,
}

/// A new root invocation: what to run, under what limits, with what grants.
pub(crate) struct Root {
    pub component: Digest,
    pub config: String,
    pub input: String,
    pub limits: Limits,
    pub grants: Vec<Grant>,
}

impl Exec {
    /// The tree of a new run.
    pub fn tree(&self, answerer: Box<dyn Answerer>, observer: Arc<dyn Observer>) -> Arc<Tree> {
        Tree::new(answerer, self.llm.clone(), observer)
    }

    /// Invokes `root`, recording every nondeterministic value, and seals it.
    pub fn invoke(self: &Arc<Self>, root: Root, tree: Arc<Tree>) -> Result<Invocation, InvokeError> {
        let config = value::canonicalize(&root.config).map_err(|error| InvokeError::Json { what: "config", error })?;
        let input = value::canonicalize(&root.input).map_err(|error| InvokeError::Json { what: "input", error })?;
        self.registry.prepared(&root.component)?;
        if let Some(info) = self.registry.info(&root.component)? {
            info.check_call(&config, &input).map_err(|(what, message)| InvokeError::Schema { what, message })?;
        }
        let limit = root.limits.output_bytes.max(256 << 20);
        let grants = root
            .grants
            .iter()
            .map(|g| crate::grants::snapshot(&self.storage, g, limit))
            .collect::<Result<Vec<_>, _>>()?;
        let spec = RunSpec { grants, ..RunSpec::root(root.component, config, input, root.limits, tree) };
        Ok(on_big_stack(&spec.limits, || {
            let result = execute(self, &spec)?;
            seal(self, &spec, result)
        })?)
    }

    /// Replays invocation `id` in `tree`, under its recorded limits.
    ///
    /// A finished invocation must replay exactly: the same requests, output
    /// and journal; it is then returned unchanged, and recorded children are
    /// reused without being instantiated. An incomplete one goes on live
    /// where its journal ends and is sealed as a new invocation whose parent
    /// is `id`; so does a replay with an override, or one that retries a
    /// failed child.
    pub fn replay(self: &Arc<Self>, id: &Digest, options: &Rerun, tree: Arc<Tree>) -> Result<Replay, ReplayError> {
        tree.rerun_pure.store(options.retry_failed, Ordering::Relaxed);
        let reader = self.storage.read()?;
        let original = load::invocation(&reader, id)?;
        let record = &original.record;
        let mut recorded = load::journal(&reader, record)?;
        let finished =
            matches!(record.outcome, Outcome::Completed { .. } | Outcome::Failed { .. } | Outcome::Trapped { .. });
        let mut exact = finished;
        if let Some((index, value)) = &options.override_event {
            let len = recorded.len() as u64;
            let event = recorded.get(*index as usize).ok_or(ReplayError::NoSuchEvent { index: *index, len })?;
            let (event, blob) =
                event.with_response(value).map_err(|message| ReplayError::BadOverride { index: *index, message })?;
            if let Some(blob) = blob {
                self.storage.write(|w| w.put_blob(&blob))?;
            }
            recorded.truncate(*index as usize);
            recorded.push(event);
            exact = false;
        } else if options.retry_failed
            && let Some(first_failed) = recorded.iter().position(Event::is_failed_child)
        {
            recorded.truncate(first_failed);
            exact = false;
        }
        let root = RunSpec::root(
            record.component,
            reader.blob(&record.config)?,
            reader.blob(&record.input)?,
            record.limits.clone(),
            tree,
        );
        drop(reader);
        let stop = match &record.outcome {
            Outcome::Trapped { reason, at_event: Some(_) } if exact => Some(reason.clone()),
            _ => None,
        };
        let spec = RunSpec {
            recorded: Arc::from(recorded),
            exact,
            parent: Some(*id),
            grants: record.grants.clone(),
            stop,
            ..root
        };
        let result = on_big_stack(&spec.limits, || execute(self, &spec))?;
        if !spec.exact {
            let sealed = seal(self, &spec, result)?;
            return Ok(Replay { invocation: sealed, identical: false });
        }
        let same = match (&result.outcome, &record.outcome) {
            (RunOutcome::Completed(bytes), Outcome::Completed { output }) => Digest::of(bytes) == *output,
            (RunOutcome::Failed(a), Outcome::Failed { error }) => a == error,
            (RunOutcome::Trapped(a), Outcome::Trapped { reason, .. }) => a == reason,
            _ => false,
        };
        if result.persisted {
            self.storage.write(|w| w.remove_run(result.run))?;
        }
        if !same {
            let actual = match &result.outcome {
                RunOutcome::Completed(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                RunOutcome::Failed(e) => format!("failed: {e}"),
                RunOutcome::Trapped(r) => format!("trapped: {r}"),
                RunOutcome::AwaitingInput(_) => "awaiting input".to_string(),
            };
            let recorded = match &original.output {
                Some(v) => v.to_string(),
                None => match &record.outcome {
                    Outcome::Failed { error } => format!("failed: {error}"),
                    Outcome::Trapped { reason, .. } => format!("trapped: {reason}"),
                    other => other.status().to_string(),
                },
            };
            return Err(Divergence::Output { recorded, actual }.into());
        }
        Ok(Replay { invocation: original, identical: true })
    }

    /// The answerer that resumes invocation `id`: `answer` for its pending
    /// request (checked against the request's schema), then `then`.
    pub fn resume_answerer(
        &self,
        id: &Digest,
        answer: Option<Value>,
        then: Box<dyn Answerer>,
    ) -> Result<Box<dyn Answerer>, ResumeError> {
        let reader = self.storage.read()?;
        let original = load::invocation(&reader, id)?;
        Ok(match (&original.record.outcome, answer) {
            (Outcome::AwaitingInput { request }, Some(answer)) => {
                let request: InputRequest = value::decode_json(request, "an input request", &reader.blob(request)?)
                    .map_err(StorageError::from)?;
                request.check(&answer).map_err(ResumeError::BadAnswer)?;
                Box::new(FirstThen::new(Answer { value: answer, by: "person".into() }, then))
            }
            // `then` answers the pending request too (a file, the terminal, a model).
            (Outcome::AwaitingInput { .. }, None) => then,
            (Outcome::Incomplete, None) => then,
            (Outcome::Incomplete, Some(_)) => return Err(ResumeError::NotAwaiting(*id)),
            (other, _) => return Err(ResumeError::Finished { id: *id, status: other.status() }),
        })
    }

    /// Finishes a run that was cut off (its process died): replays the
    /// journal it persisted and goes on live, then seals it as a new
    /// invocation and forgets the run.
    pub fn resume_run(self: &Arc<Self>, run: u128, tree: Arc<Tree>) -> Result<Invocation, ResumeError> {
        let reader = self.storage.read()?;
        let header: RunHeader = reader
            .runs::<RunHeader>()?
            .into_iter()
            .find_map(|(r, h)| (r == run).then_some(h))
            .ok_or_else(|| ResolveError::NotFound { kind: "run", target: format!("run:{run:032x}") })?;
        let mut events = Vec::new();
        for chunk in reader.run_events(run)? {
            events.extend(enact_core::event::decode_events(&chunk).map_err(|e| StorageError::Decode {
                table: "run_events",
                key: format!("{run:032x}"),
                message: e.to_string(),
            })?);
        }
        let root = RunSpec::root(
            header.component,
            reader.blob(&header.config)?,
            reader.blob(&header.input)?,
            header.limits.clone(),
            tree,
        );
        drop(reader);
        self.registry.prepared(&header.component)?;
        let spec =
            RunSpec { recorded: Arc::from(events), parent: header.parent, grants: header.grants.clone(), ..root };
        let sealed = on_big_stack(&spec.limits, || {
            let result = execute(self, &spec)?;
            seal(self, &spec, result)
        })?;
        self.storage.write(|w| w.remove_run(run))?;
        Ok(sealed)
    }

    /// A new, incomplete invocation whose journal is that of `id` without
    /// its last `n` events (a child counts as one).
    pub fn rewind(&self, id: &Digest, n: u64) -> Result<Invocation, RewindError> {
        let reader = self.storage.read()?;
        let original = load::invocation(&reader, id)?;
        let events = load::journal(&reader, &original.record)?;
        drop(reader);
        let len = events.len() as u64;
        if n > len {
            return Err(RewindError::TooFar { n, len });
        }
        Ok(seal_rewound(self, id, &original.record, &events[..(len - n) as usize])?)
    }
}

/// Runs `f` on a thread whose stack holds a full tree of nested invocations:
/// each nested store may use the engine's whole wasm stack.
fn on_big_stack<T: Send>(limits: &Limits, f: impl FnOnce() -> Result<T, RunError> + Send) -> Result<T, RunError> {
    let per_level = crate::engine::MAX_WASM_STACK + (512 << 10);
    let size = per_level * (limits.max_depth as usize + 1) + (8 << 20);
    std::thread::scope(|scope| {
        let handle =
            std::thread::Builder::new().name("enact-invocation".into()).stack_size(size).spawn_scoped(scope, f);
        match handle {
            Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(e) => Err(RunError::Thread(e)),
        }
    })
}

/// Writes a run's header (see [`RunSink::new`]).
type HeaderWrite = Box<dyn FnOnce(&mut Writer) -> Result<(), StorageError> + Send>;

/// Where the live events of a run are persisted while it runs.
///
/// The run's header (and the values it names) is written with the first
/// chunk, so a short invocation costs one commit: its seal.
struct RunSink {
    storage: Arc<Storage>,
    run: u128,
    next_chunk: u64,
    header: Option<HeaderWrite>,
    tree: Arc<Tree>,
}

impl RunSink {
    /// A sink for run `run`; `header` writes the run's header in the same
    /// transaction as its first chunk, and every chunk commits the tree's
    /// pending child seals with it (children before the events naming them).
    fn new(
        storage: Arc<Storage>,
        run: u128,
        header: impl FnOnce(&mut Writer) -> Result<(), StorageError> + Send + 'static,
        tree: Arc<Tree>,
    ) -> RunSink {
        RunSink { storage, run, next_chunk: 0, header: Some(Box::new(header)), tree }
    }
}

impl Sink for RunSink {
    fn append(&mut self, events: &[Event], blobs: &[Vec<u8>]) -> Result<(), StorageError> {
        if events.is_empty() && blobs.is_empty() {
            return Ok(());
        }
        let header = self.header.take();
        let seq = self.next_chunk;
        self.storage.write(|w| {
            self.tree.drain_pending(w)?;
            w.put_blobs(blobs.iter().map(Vec::as_slice))?;
            if let Some(header) = header {
                header(w)?;
            }
            if !events.is_empty() {
                w.put_run_events(self.run, seq, &encode_events(events))?;
            }
            Ok::<(), StorageError>(())
        })?;
        if !events.is_empty() {
            self.next_chunk += 1;
        }
        Ok(())
    }

    fn wrote_any(&self) -> bool {
        self.header.is_none()
    }

    fn has_chunks(&self) -> bool {
        self.next_chunk > 0
    }
}

/// What to run: a component with canonical config and input, under limits,
/// replaying `recorded` first.
pub(crate) struct RunSpec {
    pub component: Digest,
    pub config: Vec<u8>,
    pub input: Vec<u8>,
    pub limits: Limits,
    pub recorded: Arc<[Event]>,
    /// Replaying a finished run: the guest must ask for exactly the recorded events.
    pub exact: bool,
    pub parent: Option<Digest>,
    /// 0 for a root invocation, 1 for its children, and so on.
    pub depth: u32,
    /// What the whole invocation tree shares.
    pub tree: Arc<Tree>,
    /// The component imports no source of nondeterminism (its result is memoized).
    pub pure: bool,
    /// Directories granted (a root's only; children get none).
    pub grants: Vec<DirGrant>,
    /// Replaying a run the wall-time limit stopped: its reason.
    pub stop: Option<String>,
}

/// The memo key of calling `component` with `config` and `input`.
fn memo_key(component: &Digest, config: &Digest, input: &Digest) -> Digest {
    let mut bytes = Vec::with_capacity(96);
    for d in [component, config, input] {
        bytes.extend_from_slice(&d.0);
    }
    Digest::of(&bytes)
}

/// What every invocation of one tree shares: counters, child seals waiting
/// for the next commit, the sources of answers and completions, and who
/// watches.
pub(crate) struct Tree {
    children: AtomicU64,
    pending: Mutex<Vec<SealWrites>>,
    pub answerer: Mutex<Box<dyn Answerer>>,
    pub llm: Option<Arc<dyn Provider>>,
    pub observer: Arc<dyn Observer>,
    /// Run pure children even when the store knows their result (a retry).
    pub rerun_pure: AtomicBool,
}

impl Tree {
    pub fn new(answerer: Box<dyn Answerer>, llm: Option<Arc<dyn Provider>>, observer: Arc<dyn Observer>) -> Arc<Tree> {
        Arc::new(Tree {
            children: AtomicU64::new(0),
            pending: Mutex::default(),
            answerer: Mutex::new(answerer),
            llm,
            observer,
            rerun_pure: AtomicBool::new(false),
        })
    }

    /// Applies and clears the pending child seals in `w`'s transaction.
    pub fn drain_pending(&self, w: &mut Writer) -> Result<(), StorageError> {
        let writes = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        apply_all(writes, w)
    }
}

impl RunSpec {
    /// A root invocation of `component`, replaying nothing.
    pub fn root(component: Digest, config: Vec<u8>, input: Vec<u8>, limits: Limits, tree: Arc<Tree>) -> RunSpec {
        RunSpec {
            component,
            config,
            input,
            limits,
            recorded: Arc::from(Vec::new()),
            exact: false,
            parent: None,
            depth: 0,
            tree,
            pure: false,
            grants: Vec::new(),
            stop: None,
        }
    }
}

/// What a run produced before it is sealed.
pub(crate) struct RunResult {
    pub outcome: RunOutcome,
    pub events: Vec<Event>,
    pub logs: Vec<LogLine>,
    pub run: u128,
    /// Whether any chunk (and so the run header) was written.
    pub persisted: bool,
    /// It was stopped by the wall-time limit (or, replaying, where it was).
    pub timed_out: bool,
}

pub(crate) enum RunOutcome {
    Completed(Vec<u8>),
    Failed(ErrorRecord),
    Trapped(String),
    /// Suspended at this request (canonical JSON).
    AwaitingInput(Vec<u8>),
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Runs `spec`: the journal is persisted as it grows; nothing is sealed.
pub(crate) fn execute(ex: &Arc<Exec>, spec: &RunSpec) -> Result<RunResult, RunError> {
    let pre = ex.registry.prepared(&spec.component)?;
    let storage = &ex.storage;
    let run: u128 = rand::random();
    let header = RunHeader {
        component: spec.component,
        config: Digest::of(&spec.config),
        input: Digest::of(&spec.input),
        parent: spec.parent,
        started_ms: now_ms(),
        limits: spec.limits.clone(),
        grants: spec.grants.clone(),
    };
    let (config, input) = (spec.config.clone(), spec.input.clone());
    let write_header = move |w: &mut Writer| {
        w.put_blob(&config)?;
        w.put_blob(&input)?;
        w.put_run(run, &header)
    };

    let mut journal = Journal::new(spec.recorded.clone(), (ex.sources)(), spec.limits.journal_events);
    if spec.exact {
        journal.forbid_live();
    }
    if let Some(reason) = &spec.stop {
        journal.stop_at_end(reason.clone());
    }
    journal.persist_to(Box::new(RunSink::new(storage.clone(), run, write_header, spec.tree.clone())));
    journal.observe(spec.tree.observer.clone(), spec.depth);
    let journal = Arc::new(Mutex::new(journal));

    let invoker = Invoker {
        exec: ex.clone(),
        depth: spec.depth,
        tree: spec.tree.clone(),
        limits: spec.limits.clone(),
        reader: OnceLock::new(),
        outputs: Mutex::default(),
    };
    let copies = crate::grants::materialize(storage, &spec.grants)?;
    let state = HostState::new(journal.clone(), &spec.limits, Some(Box::new(invoker)), &copies.preopens);
    let mut store = Store::new(&ex.registry.engine, state);
    store.limiter(|s| &mut s.limits);
    spec.limits.arm(&mut store);
    let limits = spec.limits.clone();
    store.epoch_deadline_callback(move |store| Ok(limits.on_deadline(store.data().journal().live_for())));

    let config = std::str::from_utf8(&spec.config).expect("canonical JSON is UTF-8");
    let input = std::str::from_utf8(&spec.input).expect("canonical JSON is UTF-8");
    ex.registry.count_instantiation();
    let result = pre.instantiate(&mut store).and_then(|instance| instance.call_call(&mut store, config, input));
    let logs = store.data_mut().take_logs();
    let suspended = store.data_mut().take_suspended();
    let fault = store.data_mut().take_fault();
    drop(store);
    if let Some(fault) = fault {
        // The operation failed, not the guest. A replay leaves nothing; a
        // live run's persisted journal stays, as a cut-off run to resume.
        if spec.exact && crate::host::lock(&journal).persisted_any() {
            storage.write(|w| w.remove_run(run))?;
        }
        return Err(RunError::from_fault(fault));
    }

    let mut journal = crate::host::lock(&journal);
    match journal.take_fault() {
        Some(JournalError::Divergence(d)) => {
            if journal.persisted_any() {
                storage.write(|w| w.remove_run(run))?;
            }
            return Err(d.into());
        }
        Some(e @ JournalError::Storage(_)) => return Err(RunError::Journal(e)),
        Some(e @ (JournalError::TooLong(_) | JournalError::Stopped(_))) => {
            let timed_out = matches!(e, JournalError::Stopped(_));
            let (events, persisted) = (journal.events(), journal.persisted_any());
            let outcome = RunOutcome::Trapped(e.to_string());
            return Ok(RunResult { outcome, events, logs, run, persisted, timed_out });
        }
        None => {}
    }
    if spec.exact && journal.unused() > 0 {
        let d = Divergence::Unused { used: journal.len() as u64, recorded: spec.recorded.len() as u64 };
        if journal.persisted_any() {
            storage.write(|w| w.remove_run(run))?;
        }
        return Err(d.into());
    }
    // Events not yet flushed become durable with the seal, in one commit.
    let timed_out = journal.stopped().is_some() || result.as_ref().is_err_and(crate::sandbox::is_timeout);
    let outcome = match result {
        // The recorded run was stopped here, whatever the replay would do next.
        _ if journal.stopped().is_some() => RunOutcome::Trapped(journal.stopped().expect("checked").to_string()),
        _ if suspended.is_some() => RunOutcome::AwaitingInput(suspended.expect("checked")),
        Ok(Ok(output)) if output.len() as u64 > spec.limits.output_bytes => {
            RunOutcome::Trapped(format!("output limit of {} exceeded", human_bytes(spec.limits.output_bytes)))
        }
        Ok(Ok(output)) => match value::canonicalize(&output) {
            Ok(bytes) => RunOutcome::Completed(bytes),
            Err(e) => RunOutcome::Failed(ErrorRecord {
                code: "invalid-output".into(),
                message: format!("the guest returned output that is not JSON: {e}"),
                details: None,
            }),
        },
        Ok(Err(error)) => RunOutcome::Failed(error.into()),
        Err(e) => RunOutcome::Trapped(spec.limits.reason(&e).unwrap_or_else(|| e.root_cause().to_string())),
    };
    Ok(RunResult { outcome, events: journal.events(), logs, run, persisted: journal.persisted_any(), timed_out })
}

/// The writes that seal one invocation, computed in memory. A root applies
/// them at once; a child's wait in its [`Tree`] for the next
/// commit of the tree (a journal chunk of any run in it, or the root's seal),
/// so a child costs no transaction of its own and is durable before any
/// durable journal names it.
pub(crate) struct SealWrites {
    blobs: Vec<Vec<u8>>,
    id: Digest,
    entry: InvocationEntry,
    run: Option<u128>,
    /// For a finished invocation of a pure component: its memo key.
    memo: Option<Digest>,
}

impl SealWrites {
    pub(crate) fn apply(self, w: &mut Writer) -> Result<(), StorageError> {
        apply_all(vec![self], w)
    }
}

/// Writes many seals in `w`'s transaction, each table opened once.
fn apply_all(writes: Vec<SealWrites>, w: &mut Writer) -> Result<(), StorageError> {
    w.put_blobs(writes.iter().flat_map(|s| s.blobs.iter().map(Vec::as_slice)))?;
    w.put_invocations(writes.iter().map(|s| (&s.id, &s.entry)))?;
    for run in writes.iter().filter_map(|s| s.run) {
        w.remove_run(run)?;
    }
    for write in &writes {
        if let Some(key) = &write.memo {
            w.put_memo(key, &write.id)?;
        }
    }
    Ok(())
}

/// Seals a run: stores journal, output and logs, writes the record and its
/// index entry, and forgets the run. A root (with every child sealed in its
/// tree) is written in one durable transaction; a child is queued in its
/// [`Tree`].
pub(crate) fn seal(ex: &Exec, spec: &RunSpec, result: RunResult) -> Result<Invocation, RunError> {
    let mut blobs = Vec::new();
    let mut keep = |bytes: Vec<u8>| {
        let digest = Digest::of(&bytes);
        blobs.push(bytes);
        digest
    };
    let config = keep(spec.config.clone());
    let input = keep(spec.input.clone());
    let invokable = keep(canonical_record(&serde_json::json!({
        "component": spec.component,
        "config": config,
    })));
    let journal = keep(encode_events(&result.events));
    let logs = (!result.logs.is_empty()).then(|| keep(canonical_record(&result.logs)));
    let (outcome, output) = match result.outcome {
        RunOutcome::Completed(bytes) => {
            let value = serde_json::from_slice(&bytes).expect("canonical JSON parses");
            (Outcome::Completed { output: keep(bytes) }, Some(value))
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
        journal,
        events: result.events.len() as u64,
        outcome,
        logs,
        parent: spec.parent,
        engine: ex.registry.engine_info.clone(),
        limits: spec.limits.clone(),
        grants: spec.grants.clone(),
    };
    let id = keep(canonical_record(&record));
    let entry = InvocationEntry {
        status: record.outcome.status().to_string(),
        component: spec.component,
        name: ex.registry.name(&spec.component),
        created_ms: now_ms(),
        parent: spec.parent,
        depth: spec.depth,
    };
    let memo = (spec.pure && matches!(record.outcome, Outcome::Completed { .. } | Outcome::Failed { .. }))
        .then(|| memo_key(&spec.component, &config, &input));
    let writes = SealWrites { blobs, id, entry, run: result.persisted.then_some(result.run), memo };
    if spec.depth == 0 {
        ex.storage.write(|w| {
            spec.tree.drain_pending(w)?;
            writes.apply(w)
        })?;
    } else {
        spec.tree.pending.lock().unwrap_or_else(|p| p.into_inner()).push(writes);
    }
    spec.tree.observer.sealed(spec.depth, &id, &record.outcome);
    Ok(Invocation { id, record, output })
}

/// Seals the rewound copy of `original` (invocation `id`): its journal cut to
/// `events`, outcome incomplete, parent `id`.
pub(crate) fn seal_rewound(
    ex: &Exec,
    id: &Digest,
    original: &InvocationRecord,
    events: &[Event],
) -> Result<Invocation, StorageError> {
    let name = ex.registry.name(&original.component);
    let invocation = ex.storage.write(|w| -> Result<Invocation, StorageError> {
        let record = InvocationRecord {
            journal: w.put_blob(&encode_events(events))?,
            events: events.len() as u64,
            outcome: Outcome::Incomplete,
            logs: None,
            parent: Some(*id),
            ..original.clone()
        };
        let new_id = w.put_blob(&canonical_record(&record))?;
        let entry = InvocationEntry {
            status: record.outcome.status().to_string(),
            component: record.component,
            name,
            created_ms: now_ms(),
            parent: Some(*id),
            depth: 0,
        };
        w.put_invocation(&new_id, &entry)?;
        Ok(Invocation { id: new_id, record, output: None })
    })?;
    Ok(invocation)
}

/// Runs a child invocation for `invoke.call` and returns the parent's event,
/// with the child's output when it completed.
///
/// # Errors
/// A depth or children limit (a trap in the caller), or a host failure.
fn run_child(invoker: &Invoker, target: String, config: Vec<u8>, input: Vec<u8>) -> Result<ChildOutcome, ChildError> {
    let ex = &invoker.exec;
    let limits = &invoker.limits;
    if invoker.depth + 1 > limits.max_depth {
        return Err(ChildError::Limit(format!("child depth limit of {} exceeded", limits.max_depth)));
    }
    if invoker.tree.children.fetch_add(1, Ordering::Relaxed) >= limits.max_children {
        return Err(ChildError::Limit(format!("limit of {} child invocations exceeded", limits.max_children)));
    }
    let fault = |e: RunError| ChildError::Fault(Box::new(e));
    let call = ChildCall {
        config: Digest::of(&config),
        input: Digest::of(&input),
        target,
        component: None,
        child: None,
        result: ChildResult::Incomplete,
        memoized: false,
    };
    let resolved = ex.storage.read().map_err(|e| fault(e.into())).map(|r| resolve::component(&r, &call.target))?;
    let component = match resolved {
        Ok(component) => component,
        Err(e @ (ResolveError::NotFound { .. } | ResolveError::Ambiguous { .. })) => {
            let error = ErrorRecord { code: "unknown-target".into(), message: e.to_string(), details: None };
            let call = ChildCall { result: ChildResult::Failed(error), ..call };
            return Ok(ChildOutcome { event: Event::Invoke(Box::new(call)), output: None, awaiting: None });
        }
        Err(ResolveError::Storage(e)) => return Err(fault(e.into())),
        Err(e) => return Err(fault(RunError::Host(Box::new(e)))),
    };
    let pure = ex.registry.is_pure(&component).map_err(|e| fault(e.into()))?;
    let reuse = pure && !invoker.tree.rerun_pure.load(Ordering::Relaxed);
    let earlier =
        if reuse { memoized(ex, &memo_key(&component, &call.config, &call.input)).map_err(fault)? } else { None };
    if let Some(earlier) = earlier {
        let output = match &earlier.record.outcome {
            Outcome::Completed { output } => Some(invoker.blob(output).map_err(|e| fault(e.into()))?),
            _ => None,
        };
        let result = child_result(earlier.record.outcome);
        let call = ChildCall { component: Some(component), child: Some(earlier.id), result, memoized: true, ..call };
        return Ok(ChildOutcome { event: Event::Invoke(Box::new(call)), output, awaiting: None });
    }
    let spec = RunSpec {
        component,
        config,
        input,
        limits: limits.clone(),
        recorded: Arc::from(Vec::new()),
        exact: false,
        parent: None,
        depth: invoker.depth + 1,
        tree: invoker.tree.clone(),
        pure,
        grants: Vec::new(),
        stop: None,
    };
    let result = execute(ex, &spec).map_err(fault)?;
    let (output, awaiting) = match &result.outcome {
        RunOutcome::Completed(bytes) => (Some(bytes.clone()), None),
        RunOutcome::AwaitingInput(request) => (None, Some(request.clone())),
        _ => (None, None),
    };
    let child = seal(ex, &spec, result).map_err(fault)?;
    let call = ChildCall {
        component: Some(component),
        child: Some(child.id),
        result: child_result(child.record.outcome),
        ..call
    };
    Ok(ChildOutcome { event: Event::Invoke(Box::new(call)), output, awaiting })
}

/// The earlier invocation a pure component gave for `key`, if the store has one.
fn memoized(ex: &Exec, key: &Digest) -> Result<Option<Invocation>, RunError> {
    let reader = ex.storage.read()?;
    match reader.memo(key)? {
        Some(id) => Ok(Some(load::invocation(&reader, &id)?)),
        None => Ok(None),
    }
}

/// A child's outcome as its caller records it.
fn child_result(outcome: Outcome) -> ChildResult {
    match outcome {
        Outcome::Completed { output } => ChildResult::Completed(output),
        Outcome::Failed { error } => ChildResult::Failed(error),
        Outcome::Trapped { reason, .. } => ChildResult::Trapped(reason),
        Outcome::AwaitingInput { .. } | Outcome::Incomplete => ChildResult::Incomplete,
    }
}

/// Continues a recorded child that did not finish: replays it in this tree
/// (it goes on live where its journal ends, asking this tree's answerer) and
/// returns the caller's new event.
///
/// # Errors
/// A divergence in the child, or a store failure.
fn continue_child(invoker: &Invoker, recorded: ChildCall) -> Result<ChildOutcome, RunError> {
    let Some(child) = recorded.child else {
        unreachable!("only recorded children that ran are continued");
    };
    let continued = match invoker.exec.replay(&child, &Rerun::default(), invoker.tree.clone()) {
        Ok(replay) => replay.invocation,
        Err(ReplayError::Run(e)) => return Err(e),
        Err(e) => return Err(RunError::Host(Box::new(e))),
    };
    let output = continued.output.as_ref().map(value::canonical_bytes);
    let awaiting = match &continued.record.outcome {
        // Sealed just now, after this replay's snapshot: read afresh.
        Outcome::AwaitingInput { request } => Some(invoker.exec.storage.read()?.blob(request)?),
        _ => None,
    };
    let call = ChildCall { child: Some(continued.id), result: child_result(continued.record.outcome), ..recorded };
    Ok(ChildOutcome { event: Event::Invoke(Box::new(call)), output, awaiting })
}

/// What a running invocation reaches beyond its journal: the host's
/// [`Children`].
struct Invoker {
    exec: Arc<Exec>,
    depth: u32,
    tree: Arc<Tree>,
    limits: Limits,
    /// One snapshot for reading recorded blobs during a replay.
    reader: OnceLock<Reader>,
    /// Blobs already read (and verified) in this replay: children often
    /// repeat an output (a die has six).
    outputs: Mutex<HashMap<Digest, Vec<u8>>>,
}

impl Children for Invoker {
    fn run(&self, target: String, config: Vec<u8>, input: Vec<u8>) -> Result<ChildOutcome, ChildError> {
        run_child(self, target, config, input)
    }

    fn resume(&self, recorded: ChildCall) -> Result<ChildOutcome, ChildError> {
        continue_child(self, recorded).map_err(|e| ChildError::Fault(Box::new(e)))
    }

    fn blob(&self, digest: &Digest) -> Result<Vec<u8>, StorageError> {
        let mut outputs = self.outputs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bytes) = outputs.get(digest) {
            return Ok(bytes.clone());
        }
        if self.reader.get().is_none() {
            let reader = self.exec.storage.read()?;
            let _ = self.reader.set(reader);
        }
        let bytes = self.reader.get().expect("set above").blob(digest)?;
        outputs.insert(*digest, bytes.clone());
        Ok(bytes)
    }

    fn answer(&self, request: &InputRequest) -> Result<Option<Answer>, String> {
        self.tree.answerer.lock().unwrap_or_else(|p| p.into_inner()).answer(request)
    }

    fn llm(&self) -> Option<Arc<dyn Provider>> {
        self.tree.llm.clone()
    }

    fn observer(&self) -> &dyn Observer {
        &*self.tree.observer
    }

    fn depth(&self) -> u32 {
        self.depth
    }
}
