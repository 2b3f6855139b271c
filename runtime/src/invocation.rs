//! Running an invokable: record a new invocation, or replay a recorded one,
//! and seal the result as a content-addressed record.
//!
//! An invocation's id is the sha256 of its canonical record, which names the
//! component, config, input, journal, outcome and parent by their hashes. A
//! replay that reproduces a run exactly therefore reproduces its id.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use wasmtime::Store;

use crate::answers::Answerer;
use crate::engine::EngineInfo;
use crate::grants::DirGrant;
use crate::host::{GuestError, HostState, LogLine};
use crate::journal::{
    ChildCall, ChildResult, Divergence, Event, Journal, JournalError, RunSink, decode_events, encode_events,
};
use crate::llm::Provider;
use crate::runtime::{Runtime, RuntimeError};
use crate::sandbox::Limits;
use crate::storage::StorageError;
use crate::value::{Digest, canonical_record};

/// The sealed, content-addressed record of one invocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvocationRecord {
    /// The component that ran.
    pub component: Digest,
    /// The invokable: sha256 of the canonical `{component, config}`.
    pub invokable: Digest,
    /// The config value.
    pub config: Digest,
    /// The input value.
    pub input: Digest,
    /// The journal blob (encoded events).
    pub journal: Digest,
    /// Events in the journal.
    pub events: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// Captured log lines (a JSON blob), if any.
    pub logs: Option<Digest>,
    /// The invocation this one was derived from (a fork), if any.
    pub parent: Option<Digest>,
    /// The engine that ran it.
    pub engine: EngineInfo,
    /// The limits it ran under.
    pub limits: Limits,
    /// Directories granted to it, as snapshots.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<DirGrant>,
}

/// How an invocation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    /// `call` returned output (a JSON value blob).
    Completed {
        /// The output value.
        output: Digest,
    },
    /// `call` returned an error.
    Failed {
        /// The guest's error.
        error: ErrorRecord,
    },
    /// The guest trapped or hit a limit.
    Trapped {
        /// Why.
        reason: String,
        /// For the wall-time limit, whose point no replay can find by
        /// running: the events served before it struck. A replay serves
        /// them and stops there with the same reason.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_event: Option<u64>,
    },
    /// Suspended at an input request nobody answered yet.
    AwaitingInput {
        /// The pending request (canonical JSON of an [`InputRequest`](crate::InputRequest)).
        request: Digest,
    },
    /// Not finished: rewound, or cut off.
    Incomplete,
}

impl Outcome {
    /// `completed`, `failed`, `trapped` or `incomplete`.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Completed { .. } => "completed",
            Outcome::Failed { .. } => "failed",
            Outcome::Trapped { .. } => "trapped",
            Outcome::AwaitingInput { .. } => "awaiting-input",
            Outcome::Incomplete => "incomplete",
        }
    }
}

/// The error a guest returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRecord {
    /// Machine-readable kind.
    pub code: String,
    /// For people.
    pub message: String,
    /// JSON details, as text.
    pub details: Option<String>,
}

impl From<GuestError> for ErrorRecord {
    fn from(e: GuestError) -> Self {
        ErrorRecord { code: e.code, message: e.message, details: e.details }
    }
}

impl std::fmt::Display for ErrorRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The index entry of a sealed invocation, for listings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InvocationEntry {
    /// The outcome's status.
    pub status: String,
    /// The component.
    pub component: Digest,
    /// The component's name, from `describe`.
    pub name: String,
    /// When it was sealed, in milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// The invocation it was derived from.
    pub parent: Option<Digest>,
    /// 0 for a root invocation, more for children.
    #[serde(default)]
    pub depth: u32,
}

/// The header of a run in progress.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunHeader {
    /// The component.
    pub component: Digest,
    /// The config value.
    pub config: Digest,
    /// The input value.
    pub input: Digest,
    /// The invocation it continues, if it is a replay.
    pub parent: Option<Digest>,
    /// When it started, in milliseconds since the Unix epoch.
    pub started_ms: u64,
    /// The limits it runs under.
    pub limits: Limits,
    /// Directories granted to it.
    #[serde(default)]
    pub grants: Vec<DirGrant>,
}

/// A sealed invocation and its decoded parts.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// Its id.
    pub id: Digest,
    /// Its record.
    pub record: InvocationRecord,
    /// The output, when completed.
    pub output: Option<serde_json::Value>,
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
/// for the next commit, and the sources of answers and completions.
pub(crate) struct Tree {
    children: AtomicU64,
    pending: Mutex<Vec<SealWrites>>,
    pub answerer: Mutex<Box<dyn Answerer>>,
    pub llm: Option<Arc<dyn Provider>>,
    /// Run pure children even when the store knows their result (a retry).
    pub rerun_pure: std::sync::atomic::AtomicBool,
}

impl Tree {
    pub fn new(answerer: Box<dyn Answerer>, llm: Option<Arc<dyn Provider>>) -> Arc<Tree> {
        Arc::new(Tree {
            children: AtomicU64::new(0),
            pending: Mutex::default(),
            answerer: Mutex::new(answerer),
            llm,
            rerun_pure: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Applies and clears the pending child seals in `w`'s transaction.
    pub fn drain_pending(&self, w: &mut crate::storage::Writer) -> Result<(), StorageError> {
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

/// Runs `spec` on `rt`: the journal is persisted as it grows; nothing is sealed.
pub(crate) fn run(rt: &Runtime, spec: &RunSpec) -> Result<RunResult, RuntimeError> {
    let pre = rt.prepared(&spec.component)?;
    let storage = rt.storage_arc();
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
    let write_header = move |w: &mut crate::storage::Writer| {
        w.put_blob(&config)?;
        w.put_blob(&input)?;
        w.put_run(run, &header)
    };

    let mut journal = Journal::new(spec.recorded.clone(), rt.sources(), spec.limits.journal_events);
    if spec.exact {
        journal.forbid_live();
    }
    if let Some(reason) = &spec.stop {
        journal.stop_at_end(reason.clone());
    }
    journal.persist_to(RunSink::new(storage.clone(), run, write_header, spec.tree.clone()));
    let journal = Arc::new(Mutex::new(journal));

    let invoker = Invoker {
        runtime: rt.clone(),
        depth: spec.depth,
        tree: spec.tree.clone(),
        limits: spec.limits.clone(),
        reader: std::sync::OnceLock::new(),
        outputs: Mutex::default(),
    };
    let copies = crate::grants::materialize(storage, &spec.grants).map_err(RuntimeError::Grant)?;
    let state = HostState::new(journal.clone(), &spec.limits, Some(invoker), &copies.preopens);
    let mut store = Store::new(rt.engine(), state);
    store.limiter(|s| &mut s.limits);
    spec.limits.arm(&mut store);
    let limits = spec.limits.clone();
    store.epoch_deadline_callback(move |store| Ok(limits.on_deadline(store.data().journal().live_for())));

    let config = std::str::from_utf8(&spec.config).expect("canonical JSON is UTF-8");
    let input = std::str::from_utf8(&spec.input).expect("canonical JSON is UTF-8");
    rt.count_instantiation();
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
        return Err(fault);
    }

    let mut journal = crate::host::lock(&journal);
    match journal.take_fault() {
        Some(JournalError::Divergence(d)) => {
            if journal.persisted_any() {
                storage.write(|w| w.remove_run(run))?;
            }
            return Err(d.into());
        }
        Some(e @ JournalError::Storage(_)) => return Err(RuntimeError::Journal(e)),
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
    let timed_out = journal.stopped().is_some() || result.as_ref().is_err_and(Limits::is_timeout);
    let outcome = match result {
        // The recorded run was stopped here, whatever the replay would do next.
        _ if journal.stopped().is_some() => RunOutcome::Trapped(journal.stopped().expect("checked").to_string()),
        _ if suspended.is_some() => RunOutcome::AwaitingInput(suspended.expect("checked")),
        Ok(Ok(output)) if output.len() as u64 > spec.limits.output_bytes => RunOutcome::Trapped(format!(
            "output limit of {} exceeded",
            crate::sandbox::human_bytes(spec.limits.output_bytes)
        )),
        Ok(Ok(output)) => match crate::value::canonicalize(&output) {
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
    pub(crate) fn apply(self, w: &mut crate::storage::Writer) -> Result<(), StorageError> {
        apply_all(vec![self], w)
    }
}

/// Writes many seals in `w`'s transaction, each table opened once.
fn apply_all(writes: Vec<SealWrites>, w: &mut crate::storage::Writer) -> Result<(), StorageError> {
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
pub(crate) fn seal(rt: &Runtime, spec: &RunSpec, result: RunResult) -> Result<Invocation, RuntimeError> {
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
        engine: rt.engine_info().clone(),
        limits: spec.limits.clone(),
        grants: spec.grants.clone(),
    };
    let id = keep(canonical_record(&record));
    let entry = InvocationEntry {
        status: record.outcome.status().to_string(),
        component: spec.component,
        name: rt.component_name(&spec.component),
        created_ms: now_ms(),
        parent: spec.parent,
        depth: spec.depth,
    };
    let memo = (spec.pure && matches!(record.outcome, Outcome::Completed { .. } | Outcome::Failed { .. }))
        .then(|| memo_key(&spec.component, &config, &input));
    let writes = SealWrites { blobs, id, entry, run: result.persisted.then_some(result.run), memo };
    if spec.depth == 0 {
        rt.storage().write(|w| {
            spec.tree.drain_pending(w)?;
            writes.apply(w)
        })?;
    } else {
        spec.tree.pending.lock().unwrap_or_else(|p| p.into_inner()).push(writes);
    }
    Ok(Invocation { id, record, output })
}

/// Seals the rewound copy of `original` (invocation `id`): its journal cut to
/// `events`, outcome incomplete, parent `id`.
pub(crate) fn seal_rewound(
    rt: &Runtime,
    id: &Digest,
    original: &InvocationRecord,
    events: &[Event],
) -> Result<Invocation, RuntimeError> {
    let name = rt.component_name(&original.component);
    let invocation = rt.storage().write(|w| -> Result<Invocation, StorageError> {
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
/// A depth or children limit (a trap in the caller), or a store failure.
pub(crate) fn run_child(
    invoker: &Invoker,
    target: String,
    config: Vec<u8>,
    input: Vec<u8>,
) -> Result<ChildOutcome, RuntimeError> {
    let rt = &invoker.runtime;
    let limits = &invoker.limits;
    if invoker.depth + 1 > limits.max_depth {
        return Err(RuntimeError::Limit(format!("child depth limit of {} exceeded", limits.max_depth)));
    }
    if invoker.tree.children.fetch_add(1, Ordering::Relaxed) >= limits.max_children {
        return Err(RuntimeError::Limit(format!("limit of {} child invocations exceeded", limits.max_children)));
    }
    let call = ChildCall {
        config: Digest::of(&config),
        input: Digest::of(&input),
        target,
        component: None,
        child: None,
        result: ChildResult::Incomplete,
        memoized: false,
    };
    let component = match rt.resolve_component(&call.target) {
        Ok(component) => component,
        Err(e @ (RuntimeError::NotFound { .. } | RuntimeError::Ambiguous { .. })) => {
            let error = ErrorRecord { code: "unknown-target".into(), message: e.to_string(), details: None };
            let call = ChildCall { result: ChildResult::Failed(error), ..call };
            return Ok(ChildOutcome { event: Event::Invoke(Box::new(call)), output: None, awaiting: None });
        }
        Err(e) => return Err(e),
    };
    let pure = rt.is_pure(&component)?;
    let reuse = pure && !invoker.tree.rerun_pure.load(Ordering::Relaxed);
    if reuse && let Some(earlier) = memoized(rt, &memo_key(&component, &call.config, &call.input))? {
        let output = match &earlier.record.outcome {
            Outcome::Completed { output } => Some(rt.storage().read()?.blob(output)?),
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
    let result = run(rt, &spec)?;
    let (output, awaiting) = match &result.outcome {
        RunOutcome::Completed(bytes) => (Some(bytes.clone()), None),
        RunOutcome::AwaitingInput(request) => (None, Some(request.clone())),
        _ => (None, None),
    };
    let child = seal(rt, &spec, result)?;
    let call = ChildCall {
        component: Some(component),
        child: Some(child.id),
        result: child_result(child.record.outcome),
        ..call
    };
    Ok(ChildOutcome { event: Event::Invoke(Box::new(call)), output, awaiting })
}

/// The earlier invocation a pure component gave for `key`, if the store has one.
fn memoized(rt: &Runtime, key: &Digest) -> Result<Option<Invocation>, RuntimeError> {
    match rt.storage().read()?.memo(key)? {
        Some(id) => Ok(Some(load(rt, &id)?)),
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

/// What running (or continuing) a child gives its caller.
pub(crate) struct ChildOutcome {
    /// The caller's journal event.
    pub event: Event,
    /// The output, when the child completed.
    pub output: Option<Vec<u8>>,
    /// The pending input request, when the child suspended: the caller suspends too.
    pub awaiting: Option<Vec<u8>>,
}

/// Continues a recorded child that did not finish: replays it in this tree
/// (it goes on live where its journal ends, asking this tree's answerer) and
/// returns the caller's new event.
///
/// # Errors
/// A divergence in the child, or a store failure.
pub(crate) fn continue_child(invoker: &Invoker, recorded: ChildCall) -> Result<ChildOutcome, RuntimeError> {
    let Some(child) = recorded.child else {
        unreachable!("only recorded children that ran are continued");
    };
    let options = crate::runtime::ReplayOptions::default();
    let continued = invoker.runtime.replay_in_tree(&child, &options, invoker.tree.clone())?.invocation;
    let output = continued.output.as_ref().map(crate::value::canonical_bytes);
    let awaiting = match &continued.record.outcome {
        Outcome::AwaitingInput { request } => Some(invoker.runtime.storage().read()?.blob(request)?),
        _ => None,
    };
    let call = ChildCall { child: Some(continued.id), result: child_result(continued.record.outcome), ..recorded };
    Ok(ChildOutcome { event: Event::Invoke(Box::new(call)), output, awaiting })
}

/// What a running invocation needs to start children.
pub(crate) struct Invoker {
    pub runtime: Runtime,
    pub depth: u32,
    pub tree: Arc<Tree>,
    pub limits: Limits,
    /// One snapshot for reading recorded children's outputs during a replay.
    pub reader: std::sync::OnceLock<crate::storage::Reader>,
    /// Outputs already read (and verified) in this replay: children often
    /// repeat an output (a die has six).
    pub outputs: Mutex<std::collections::HashMap<Digest, Vec<u8>>>,
}

impl Invoker {
    /// The output bytes of a recorded child.
    pub fn output(&self, digest: &Digest) -> Result<Vec<u8>, StorageError> {
        let mut outputs = self.outputs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bytes) = outputs.get(digest) {
            return Ok(bytes.clone());
        }
        if self.reader.get().is_none() {
            let reader = self.runtime.storage().read()?;
            let _ = self.reader.set(reader);
        }
        let bytes = self.reader.get().expect("set above").blob(digest)?;
        outputs.insert(*digest, bytes.clone());
        Ok(bytes)
    }
}

/// Loads and verifies a sealed invocation.
///
/// # Errors
/// A missing or corrupt blob, or a record that does not decode.
pub fn load(rt: &Runtime, id: &Digest) -> Result<Invocation, RuntimeError> {
    let reader = rt.storage().read()?;
    let bytes = reader.blob(id)?;
    let record: InvocationRecord = serde_json::from_slice(&bytes).map_err(|e| StorageError::Decode {
        table: "blobs",
        key: id.to_string(),
        message: format!("not an invocation record: {e}"),
    })?;
    let output = match &record.outcome {
        Outcome::Completed { output } => Some(json_blob(&reader, output)?),
        _ => None,
    };
    Ok(Invocation { id: *id, record, output })
}

/// A JSON value blob, decoded.
pub(crate) fn json_blob(reader: &crate::storage::Reader, digest: &Digest) -> Result<serde_json::Value, StorageError> {
    let bytes = reader.blob(digest)?;
    serde_json::from_slice(&bytes).map_err(|e| StorageError::Decode {
        table: "blobs",
        key: digest.to_string(),
        message: format!("not JSON: {e}"),
    })
}

/// The journal of a sealed invocation.
///
/// # Errors
/// A missing or corrupt blob.
pub fn journal_of(rt: &Runtime, record: &InvocationRecord) -> Result<Vec<Event>, RuntimeError> {
    let bytes = rt.storage().read()?.blob(&record.journal)?;
    decode_events(&bytes).map_err(|e| {
        StorageError::Decode { table: "blobs", key: record.journal.to_string(), message: e.to_string() }.into()
    })
}

/// The captured log lines of a sealed invocation.
///
/// # Errors
/// A missing or corrupt blob.
pub fn logs_of(rt: &Runtime, record: &InvocationRecord) -> Result<Vec<LogLine>, RuntimeError> {
    let Some(digest) = &record.logs else { return Ok(Vec::new()) };
    let value = json_blob(&rt.storage().read()?, digest)?;
    serde_json::from_value(value)
        .map_err(|e| StorageError::Decode { table: "blobs", key: digest.to_string(), message: e.to_string() }.into())
}
