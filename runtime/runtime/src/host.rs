//! The host side of the `enact:runtime/invokable` world: one module per WIT
//! interface, plus WASI with its clocks and random wired to the journal.
//!
//! Host functions keep four outcomes apart: an error the guest sees (a WIT
//! error value), a trap (limits, unsupported calls), a replay divergence,
//! kept in the journal, and a host fault (a store failure, a missing recorded
//! blob, a divergence inside a continued child), kept in [`HostState`]. The
//! last two unwind the guest with a trap but are returned as the operation's
//! error: never sealed as a `trapped` invocation, which would be a record of
//! a failure that has nothing to do with the guest.

mod clock;
mod input;
mod invoke;
mod llm;
mod log;
mod random;
mod step;
mod wasi;

use std::sync::{Arc, Mutex, MutexGuard};

use enact_core::answer::{Answer, InputRequest};
use enact_core::event::{ChildCall, Event, Request};
use enact_core::limits::Limits;
use enact_core::llm::Provider;
use enact_core::record::{ErrorRecord, LogLine};
use enact_core::value::{Digest, Hashed};
use enact_store::StorageError;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, StoreLimits};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::journal::Journal;
use crate::observe::Observer;
use crate::sandbox::Sandbox;

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "invokable",
    imports: { default: trappable },
});

pub use self::enact::runtime::types::Error as GuestError;

impl From<GuestError> for ErrorRecord {
    fn from(e: GuestError) -> Self {
        ErrorRecord { code: e.code, message: e.message, details: e.details }
    }
}

/// A failure of the host, with its source: the operation's error, never the guest's.
pub type Fault = Box<dyn std::error::Error + Send + Sync>;

/// A component asked for one of enact's own sources while describing
/// itself: its description would not follow from its bytes.
#[derive(Debug, thiserror::Error)]
#[error("`describe` asked for `{0}`")]
pub struct AskedWhileDescribing(pub String);

/// What running or continuing a child gives its caller.
pub struct ChildOutcome {
    /// The caller's journal event.
    pub event: Event,
    /// The output, when the child completed.
    pub output: Option<Vec<u8>>,
    /// The pending input request, when the child suspended: the caller suspends too.
    pub awaiting: Option<Vec<u8>>,
}

/// Limits one child runs under, where they are tighter than its tree's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tighter {
    /// Fuel.
    pub fuel: Option<u64>,
    /// Linear memory, in bytes.
    pub memory_bytes: Option<u64>,
    /// Wall time, in milliseconds.
    pub wall_time_ms: Option<u64>,
}

impl Tighter {
    /// `limits`, tightened: each limit is the smaller of the two.
    pub fn apply(&self, limits: &Limits) -> Limits {
        let min = |own: Option<u64>, tree: u64| own.map_or(tree, |own| own.min(tree));
        Limits {
            fuel: match (self.fuel, limits.fuel) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            memory_bytes: min(self.memory_bytes, limits.memory_bytes),
            wall_time_ms: min(self.wall_time_ms, limits.wall_time_ms),
            ..limits.clone()
        }
    }
}

/// Why a child could not be run.
pub enum ChildError {
    /// A limit of the invocation tree (depth, children): the guest's own
    /// doing, the same on every replay, so it traps the caller.
    Limit(String),
    /// The host failed.
    Fault(Fault),
}

/// What the host functions reach beyond the journal: the rest of the
/// invocation tree, the sources of answers and completions, and the store's
/// recorded blobs. Implemented by the execution layer; `None` in
/// [`HostState`] while a component describes itself.
pub trait Children: Send + Sync {
    /// Runs a new child invocation of `target` with canonical `config` and `input`.
    ///
    /// # Errors
    /// A limit of the tree, or a host failure.
    fn run(&self, target: String, config: Hashed, input: Hashed) -> Result<ChildOutcome, ChildError> {
        self.run_limited(target, config, input, &Tighter::default())
    }

    /// [`Children::run`], with the child under limits tighter than the tree's.
    ///
    /// # Errors
    /// As [`Children::run`].
    fn run_limited(
        &self,
        target: String,
        config: Hashed,
        input: Hashed,
        tighter: &Tighter,
    ) -> Result<ChildOutcome, ChildError>;

    /// Continues a recorded child that did not finish: it replays, then goes
    /// on live, in this tree.
    ///
    /// # Errors
    /// A divergence in the child, or a host failure.
    fn resume(&self, recorded: ChildCall) -> Result<ChildOutcome, ChildError>;

    /// The bytes of a recorded blob: a child's output, an answer, a completion.
    ///
    /// # Errors
    /// A missing or corrupt blob.
    fn blob(&self, digest: &Digest) -> Result<Vec<u8>, StorageError>;

    /// Answers an input request, or declines (`Ok(None)`: the invocation suspends).
    ///
    /// # Errors
    /// No valid answer could be had; the invocation suspends too.
    fn answer(&self, request: &InputRequest) -> Result<Option<Answer>, String>;

    /// The live LLM provider, if there is one.
    fn llm(&self) -> Option<Arc<dyn Provider>>;

    /// Who watches the tree.
    fn observer(&self) -> &dyn Observer;

    /// The depth of the invocation these children belong to.
    fn depth(&self) -> u32;

    /// How many levels of children may still nest below these.
    fn levels_below(&self) -> u32;
}

/// What a plain WASI program is started with: all of it recorded in the
/// invocation (its config and input), nothing from the host.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// The arguments after the program's name.
    pub args: Vec<String>,
    /// The environment.
    pub env: Vec<(String, String)>,
    /// Its standard input.
    pub stdin: Vec<u8>,
}

/// Per-invocation state of a wasmtime `Store`.
pub struct HostState {
    journal: Arc<Mutex<Journal>>,
    logs: log::Logs,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limits: StoreLimits,
    /// How to reach the rest of the tree; `None` while describing a component.
    children: Option<Box<dyn Children>>,
    /// The input request this invocation suspended at (canonical JSON).
    suspended: Option<Vec<u8>>,
    /// The host's own failure, if one stopped the guest.
    fault: Mutex<Option<Fault>>,
    recent_json: invoke::RecentJson,
}

impl HostState {
    /// State for one invocation that draws its nondeterminism from `journal`.
    pub(crate) fn new(
        journal: Arc<Mutex<Journal>>,
        limits: &Limits,
        children: Option<Box<dyn Children>>,
        preopens: &[(std::path::PathBuf, String, bool)],
        program: Option<&Program>,
    ) -> HostState {
        let capacity = usize::try_from(limits.log_bytes).unwrap_or(usize::MAX);
        let stdout = MemoryOutputPipe::new(capacity);
        let stderr = MemoryOutputPipe::new(capacity);
        let wasi = wasi::context(&journal, stdout.clone(), stderr.clone(), preopens, program);
        HostState {
            journal,
            logs: log::Logs::new(limits.log_bytes),
            stdout,
            stderr,
            wasi,
            table: ResourceTable::new(),
            limits: limits.store_limits(),
            children,
            suspended: None,
            fault: Mutex::new(None),
            recent_json: invoke::RecentJson::default(),
        }
    }

    /// Keeps `error`, a failure of the host, and returns the trap that
    /// unwinds the guest; the operation then fails with `error`.
    fn fault(&self, error: impl Into<Fault>) -> wasmtime::Error {
        let error = error.into();
        let message = format!("host fault: {error}");
        self.fault.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(error);
        wasmtime::Error::msg(message)
    }

    /// Refuses `request` while the component describes itself (enact's own
    /// clock and random; WASI's are served from fixed sources then, so that
    /// a language runtime can start).
    fn refuse_while_describing(&self, request: &Request) -> wasmtime::Result<()> {
        match self.children {
            None => Err(self.fault(AskedWhileDescribing(request.to_string()))),
            Some(_) => Ok(()),
        }
    }

    /// The host failure that stopped the guest, if one did.
    pub(crate) fn take_fault(&mut self) -> Option<Fault> {
        self.fault.get_mut().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// The input request the invocation suspended at, if it did.
    pub(crate) fn take_suspended(&mut self) -> Option<Vec<u8>> {
        self.suspended.take()
    }

    /// Suspends the invocation at `request`: the trap unwinds the guest, and
    /// the run ends `awaiting-input` (not `trapped`).
    fn suspend(&mut self, request: Vec<u8>) -> wasmtime::Error {
        self.suspended = Some(request);
        wasmtime::Error::msg("suspended: awaiting input")
    }

    /// The journal, locked.
    pub fn journal(&self) -> MutexGuard<'_, Journal> {
        lock(&self.journal)
    }

    /// What a WASI program wrote to stdout and stderr (its output).
    pub(crate) fn take_stdio(&mut self) -> (Vec<u8>, Vec<u8>) {
        (self.stdout.contents().to_vec(), self.stderr.contents().to_vec())
    }

    /// Log lines, then what the guest wrote to stdout and stderr.
    pub fn take_logs(&mut self) -> Vec<LogLine> {
        let mut lines = std::mem::take(&mut self.logs).into_lines();
        lines.extend(LogLine::from_stream("stdout", &self.stdout.contents()));
        lines.extend(LogLine::from_stream("stderr", &self.stderr.contents()));
        lines
    }

    fn serve(&self, request: Request) -> wasmtime::Result<Event> {
        self.journal().serve(request).map_err(trap)
    }
}

/// A host failure the guest cannot handle: it traps the invocation.
fn trap(e: impl std::fmt::Display) -> wasmtime::Error {
    wasmtime::Error::msg(e.to_string())
}

/// Locks `journal`. A panic while it was held cannot leave it half-updated in
/// a way that matters: the invocation it belongs to is abandoned.
pub(crate) fn lock(journal: &Mutex<Journal>) -> MutexGuard<'_, Journal> {
    journal.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// A linker with WASI and every enact interface.
///
/// # Errors
/// Only if the definitions clash, which is a bug.
pub fn linker(engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasi::add_to_linker(&mut linker)?;
    Invokable::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
    Ok(linker)
}

impl enact::runtime::types::Host for HostState {}
