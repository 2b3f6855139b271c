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
mod wasi;

use std::sync::{Arc, Mutex, MutexGuard};

use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, StoreLimits};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::invocation::Invoker;
use crate::journal::{Event, Journal, Request};
use crate::runtime::RuntimeError;
use crate::sandbox::Limits;

pub use self::log::LogLine;

wasmtime::component::bindgen!({
    path: "../wit",
    world: "invokable",
    imports: { default: trappable },
});

pub use self::enact::runtime::types::Error as GuestError;

/// Per-invocation state of a wasmtime `Store`.
pub struct HostState {
    journal: Arc<Mutex<Journal>>,
    logs: log::Logs,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limits: StoreLimits,
    /// How to start child invocations; `None` while describing a component.
    invoker: Option<Invoker>,
    /// The input request this invocation suspended at (canonical JSON).
    suspended: Option<Vec<u8>>,
    /// The host's own failure, if one stopped the guest.
    fault: Mutex<Option<RuntimeError>>,
}

impl HostState {
    /// State for one invocation that draws its nondeterminism from `journal`.
    pub(crate) fn new(
        journal: Arc<Mutex<Journal>>,
        limits: &Limits,
        invoker: Option<Invoker>,
        preopens: &[(std::path::PathBuf, String, bool)],
    ) -> HostState {
        let capacity = usize::try_from(limits.log_bytes).unwrap_or(usize::MAX);
        let stdout = MemoryOutputPipe::new(capacity);
        let stderr = MemoryOutputPipe::new(capacity);
        let wasi = wasi::context(&journal, stdout.clone(), stderr.clone(), preopens);
        HostState {
            journal,
            logs: log::Logs::new(limits.log_bytes),
            stdout,
            stderr,
            wasi,
            table: ResourceTable::new(),
            limits: limits.store_limits(),
            invoker,
            suspended: None,
            fault: Mutex::new(None),
        }
    }

    /// Keeps `error`, a failure of the host, and returns the trap that
    /// unwinds the guest; the operation then fails with `error`.
    fn fault(&self, error: impl Into<RuntimeError>) -> wasmtime::Error {
        let error = error.into();
        let message = format!("host fault: {error}");
        self.fault.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(error);
        wasmtime::Error::msg(message)
    }

    /// The host failure that stopped the guest, if one did.
    pub(crate) fn take_fault(&mut self) -> Option<RuntimeError> {
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
