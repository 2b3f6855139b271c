//! One run of a guest: instantiate it in a wasmtime store with its journal,
//! call it, and collect what it produced; the journal persists through
//! [`RunSink`] while it runs. Nothing is sealed here.

use std::sync::{Arc, Mutex, OnceLock};

use enact_core::event::{Divergence, Event, encode_events};
use enact_core::grant::DirGrant;
use enact_core::limits::{Limits, human_bytes};
use enact_core::record::{ErrorRecord, LogLine, RunHeader};
use enact_core::value::{self, Digest, Hashed};
use enact_store::{Storage, StorageError, Writer};
use wasmtime::Store;

use super::Exec;
use super::tree::{Invoker, Tree};
use crate::component::Pre;
use crate::error::RunError;
use crate::host::{HostState, Program};
use crate::journal::{Journal, JournalError, Sink};
use crate::sandbox::Sandbox;

/// What to run: a component with canonical config and input, under limits,
/// replaying `recorded` first.
pub(crate) struct RunSpec {
    pub component: Digest,
    pub config: Hashed,
    pub input: Hashed,
    pub limits: Limits,
    pub recorded: Arc<[Event]>,
    /// The stored chunks `recorded` begins with, first to last, each full
    /// and holding the same events as `recorded` there: a seal does not
    /// encode or hash those again.
    pub recorded_chunks: Arc<[Digest]>,
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

impl RunSpec {
    /// A root invocation of `component`, replaying nothing.
    pub fn root(component: Digest, config: Vec<u8>, input: Vec<u8>, limits: Limits, tree: Arc<Tree>) -> RunSpec {
        RunSpec {
            component,
            config: Hashed::new(config),
            input: Hashed::new(input),
            limits,
            recorded: Arc::from(Vec::new()),
            recorded_chunks: Arc::from(Vec::new()),
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
    /// Blobs the events name that no chunk wrote yet.
    pub blobs: Vec<Vec<u8>>,
    pub logs: Vec<LogLine>,
    pub run: u128,
    /// Whether any chunk (and so the run header) was written.
    pub persisted: bool,
    /// It was stopped by the wall-time limit (or, replaying, where it was).
    pub timed_out: bool,
    /// How long it ran, in microseconds, its children included.
    pub took_us: u64,
}

pub(crate) enum RunOutcome {
    Completed(Vec<u8>),
    Failed(ErrorRecord),
    Trapped(String),
    /// Suspended at this request (canonical JSON).
    AwaitingInput(Vec<u8>),
}

pub(super) fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Runs `spec`: the journal is persisted as it grows; nothing is sealed.
pub(crate) fn execute(ex: &Arc<Exec>, spec: &RunSpec) -> Result<RunResult, RunError> {
    let started = std::time::Instant::now();
    let pre = ex.registry.prepared(&spec.component)?;
    let storage = &ex.storage;
    let run: u128 = rand::random();
    // Written with the run's first chunk, which most runs never have.
    let (component, parent, started_ms) = (spec.component, spec.parent, now_ms());
    let (config, input, limits, grants) =
        (spec.config.bytes.clone(), spec.input.bytes.clone(), spec.limits.clone(), spec.grants.clone());
    let write_header = move |w: &mut Writer| {
        let (config, input) = (w.put_blob(&config)?, w.put_blob(&input)?);
        w.put_run(run, &RunHeader { component, config, input, parent, started_ms, limits, grants })
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
    let program = matches!(pre, Pre::Command(_)).then(|| program_of(&spec.config.bytes, &spec.input.bytes));
    let state =
        HostState::new(journal.clone(), &spec.limits, Some(Box::new(invoker)), &copies.preopens, program.as_ref());
    let mut store = Store::new(&ex.registry.engine, state);
    store.limiter(|s| &mut s.limits);
    spec.limits.arm(&mut store);
    let limits = spec.limits.clone();
    store.epoch_deadline_callback(move |store| Ok(limits.on_deadline(store.data().journal().live_for())));

    let config = std::str::from_utf8(&spec.config.bytes).expect("canonical JSON is UTF-8");
    let input = std::str::from_utf8(&spec.input.bytes).expect("canonical JSON is UTF-8");
    ex.registry.count_instantiation();
    let result = match &pre {
        Pre::Invokable(pre) => {
            pre.instantiate(&mut store).and_then(|instance| instance.call_call(&mut store, config, input))
        }
        Pre::Command(pre) => run_program(pre, &mut store),
    };
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
            let (events, persisted, blobs) = (journal.take_events(), journal.persisted_any(), journal.take_blobs());
            let outcome = RunOutcome::Trapped(e.to_string());
            let took_us = started.elapsed().as_micros() as u64;
            return Ok(RunResult { outcome, events, blobs, logs, run, persisted, timed_out, took_us });
        }
        None => {}
    }
    if spec.exact && journal.unused() > 0 {
        let output = match &result {
            Ok(Ok(output)) => value::canonicalize(output).ok(),
            _ => None,
        };
        let d = Divergence::Unused { used: journal.len() as u64, recorded: spec.recorded.len() as u64, output };
        if journal.persisted_any() {
            storage.write(|w| w.remove_run(run))?;
        }
        return Err(d.into());
    }
    // Events not yet flushed become durable with the seal, in one commit.
    let stopped = journal.stopped().map(str::to_string);
    let timed_out = stopped.is_some() || result.as_ref().is_err_and(crate::sandbox::is_timeout);
    let outcome = match (stopped, suspended, result) {
        // The recorded run was stopped here, whatever the replay would do next.
        (Some(reason), _, _) => RunOutcome::Trapped(reason),
        (None, Some(request), _) => RunOutcome::AwaitingInput(request),
        (None, None, Ok(Ok(output))) if output.len() as u64 > spec.limits.output_bytes => {
            RunOutcome::Trapped(format!("output limit of {} exceeded", human_bytes(spec.limits.output_bytes)))
        }
        (None, None, Ok(Ok(output))) => match value::canonicalize(&output) {
            Ok(bytes) => RunOutcome::Completed(bytes),
            Err(e) => RunOutcome::Failed(ErrorRecord {
                code: "invalid-output".into(),
                message: format!("the guest returned output that is not JSON: {e}"),
                details: None,
            }),
        },
        (None, None, Ok(Err(error))) => RunOutcome::Failed(error.into()),
        (None, None, Err(e)) => {
            RunOutcome::Trapped(spec.limits.reason(&e).unwrap_or_else(|| e.root_cause().to_string()))
        }
    };
    let (events, persisted, blobs) = (journal.take_events(), journal.persisted_any(), journal.take_blobs());
    let took_us = started.elapsed().as_micros() as u64;
    Ok(RunResult { outcome, events, blobs, logs, run, persisted, timed_out, took_us })
}

/// A WASI program's arguments and environment (its config) and stdin (its
/// input: a string, or nothing for `null`). The schemas were checked.
fn program_of(config: &[u8], input: &[u8]) -> Program {
    let config: serde_json::Value = serde_json::from_slice(config).unwrap_or_default();
    let input: serde_json::Value = serde_json::from_slice(input).unwrap_or_default();
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    Program {
        args: config["args"].as_array().into_iter().flatten().map(text).collect(),
        env: config["env"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), text(v))).collect(),
        stdin: input.as_str().map(|s| s.as_bytes().to_vec()).unwrap_or_default(),
    }
}

/// Runs a WASI program's `main`: its output is `{"exit", "stdout", "stderr"}`.
fn run_program(
    pre: &wasmtime_wasi::p2::bindings::sync::CommandPre<HostState>,
    store: &mut Store<HostState>,
) -> wasmtime::Result<Result<String, crate::host::GuestError>> {
    let ran = pre.instantiate(&mut *store).and_then(|command| command.wasi_cli_run().call_run(&mut *store));
    let exit = match ran {
        Ok(Ok(())) => 0,
        Ok(Err(())) => 1,
        Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) => exit.0,
            None => return Err(e),
        },
    };
    let (stdout, stderr) = store.data_mut().take_stdio();
    let output = serde_json::json!({
        "exit": exit,
        "stdout": String::from_utf8_lossy(&stdout),
        "stderr": String::from_utf8_lossy(&stderr),
    });
    Ok(Ok(output.to_string()))
}

/// Writes a run's header (see [`RunSink::new`]).
type HeaderWrite = Box<dyn FnOnce(&mut Writer) -> Result<(), StorageError> + Send>;

/// Where the live events of a run are persisted while it runs.
///
/// The run's header (and the values it names) is written with the first
/// chunk, so a short invocation costs one commit: its seal.
pub(super) struct RunSink {
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
    pub(super) fn new(
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
