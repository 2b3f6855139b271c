//! [`Runtime`]: the engine, the linker, the store and the cache of prepared
//! components, with the operations the CLI offers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use wasmtime::Engine;
use wasmtime::component::Linker;

use crate::component::{self, ComponentError, ComponentInfo, Description};
use crate::engine::{self, EngineError, EngineInfo};
use crate::host::{self, HostState, InvokablePre};
use crate::invocation::{self, Invocation, Outcome, RunOutcome, RunSpec};
use crate::journal::{Divergence, Journal};
use crate::sandbox::Limits;
use crate::sources::Sources;
use crate::storage::{DigestTable, Storage, StorageError};
use crate::value::{self, Digest, InvalidJson};

/// An error of a runtime operation. The CLI maps every one to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// wasmtime could not compile or load a component.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A component could not be added or prepared.
    #[error(transparent)]
    Component(#[from] ComponentError),
    /// A replay diverged from its journal.
    #[error(transparent)]
    Divergence(#[from] Divergence),
    /// Config or input is not JSON.
    #[error("{what} is not valid JSON: {error}")]
    Json {
        /// `config` or `input`.
        what: &'static str,
        /// The parse error.
        error: InvalidJson,
    },
    /// A name, id or prefix that matches nothing.
    #[error("no {kind} matches `{target}`; hint: `enact ls {kind}s` lists them")]
    NotFound {
        /// `component` or `invocation`.
        kind: &'static str,
        /// What was asked for.
        target: String,
    },
    /// A prefix that matches several.
    #[error("`{target}` is ambiguous: it matches {} {kind}s ({}); hint: give more digits", .matches.len(), .matches.iter().map(|d| d.short()).collect::<Vec<_>>().join(", "))]
    Ambiguous {
        /// `component` or `invocation`.
        kind: &'static str,
        /// What was asked for.
        target: String,
        /// What it matched.
        matches: Vec<Digest>,
    },
    /// An invalid name.
    #[error("`{0}` is not a valid name; hint: use letters, digits, `-`, `_` and `.`, starting with a letter")]
    BadName(String),
}

/// The runtime: compiles, links, runs, records and replays components.
pub struct Runtime {
    engine: Engine,
    engine_info: EngineInfo,
    linker: Linker<HostState>,
    storage: Arc<Storage>,
    prepared: Mutex<HashMap<Digest, InvokablePre<HostState>>>,
    limits: Limits,
    sources: Box<dyn Fn() -> Sources + Send + Sync>,
}

/// The store file inside an enact home directory.
pub fn store_path(home: &Path) -> PathBuf {
    home.join("enact.redb")
}

/// The home directory: `$ENACT_HOME`, else `enact` under the XDG data directory.
pub fn default_home() -> PathBuf {
    if let Some(home) = std::env::var_os("ENACT_HOME") {
        return PathBuf::from(home);
    }
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("enact")
}

impl Runtime {
    /// Opens the store in `home` and builds the engine.
    ///
    /// # Errors
    /// The store cannot be opened, or wasmtime cannot be configured.
    pub fn open(home: &Path) -> Result<Runtime, RuntimeError> {
        let storage = Storage::open(&store_path(home))?;
        Runtime::new(Arc::new(storage))
    }

    /// A runtime over an open store.
    ///
    /// # Errors
    /// wasmtime cannot be configured.
    pub fn new(storage: Arc<Storage>) -> Result<Runtime, RuntimeError> {
        let engine = engine::new_engine()?;
        let linker = host::linker(&engine).map_err(EngineError::Config)?;
        Ok(Runtime {
            engine_info: engine::engine_info(&engine),
            engine,
            linker,
            storage,
            prepared: Mutex::new(HashMap::new()),
            limits: Limits::default(),
            sources: Box::new(Sources::system),
        })
    }

    /// Uses `sources` for live nondeterminism instead of the real clock and entropy.
    pub fn with_sources(mut self, sources: impl Fn() -> Sources + Send + Sync + 'static) -> Runtime {
        self.sources = Box::new(sources);
        self
    }

    /// Runs new invocations under `limits`.
    pub fn with_limits(mut self, limits: Limits) -> Runtime {
        self.limits = limits;
        self
    }

    /// The store.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    pub(crate) fn storage_arc(&self) -> &Arc<Storage> {
        &self.storage
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine's version and compatibility hash.
    pub fn engine_info(&self) -> &EngineInfo {
        &self.engine_info
    }

    pub(crate) fn sources(&self) -> Sources {
        (self.sources)()
    }

    /// Adds a component (and optionally names it); adding the same bytes again
    /// only updates the name.
    ///
    /// # Errors
    /// [`ComponentError`] when the bytes are not an invokable component; then
    /// nothing is written.
    pub fn add(&self, bytes: &[u8], name: Option<&str>) -> Result<(Digest, ComponentInfo), RuntimeError> {
        if let Some(name) = name {
            check_name(name)?;
        }
        component::check_header(bytes)?;
        let digest = component::component_id(bytes);
        tracing::debug!(%digest, "compiling component");
        let compiled = self
            .engine
            .precompile_component(bytes)
            .map_err(|e| ComponentError::Invalid(format!("{e:#}")))?;
        // SAFETY: `compiled` was just produced by `precompile_component` on this engine.
        #[allow(unsafe_code, reason = "loading code this runtime compiled itself")]
        let loaded = unsafe { wasmtime::component::Component::deserialize(&self.engine, &compiled) };
        let compiled_component = loaded.map_err(|e| ComponentError::Invalid(format!("{e:#}")))?;
        let imports = component::check_world(&self.engine, &compiled_component)?;
        let pre = component::prepare(&self.linker, &compiled_component)?;
        let metadata = self.describe_with(&pre)?;
        let info = ComponentInfo { size: bytes.len() as u64, metadata, imports };
        self.storage.write(|w| {
            w.put_blob(bytes)?;
            w.put_artifact(&digest, &self.engine_info.compatibility, &compiled)?;
            w.put_component(&digest, &info)?;
            if let Some(name) = name {
                w.set_name(name, &digest)?;
            }
            Ok::<_, StorageError>(())
        })?;
        self.lock_prepared().insert(digest, pre);
        Ok((digest, info))
    }

    /// Calls `describe` in a throwaway sandbox with nothing persisted.
    fn describe_with(&self, pre: &InvokablePre<HostState>) -> Result<Description, ComponentError> {
        let journal = Journal::new(Arc::from(Vec::new()), self.sources(), self.limits.journal_events);
        let mut store = wasmtime::Store::new(&self.engine, HostState::new(Arc::new(Mutex::new(journal)), &self.limits));
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(self.limits.epoch_ticks());
        store.epoch_deadline_trap();
        let metadata = pre
            .instantiate(&mut store)
            .and_then(|instance| instance.call_describe(&mut store))
            .map_err(|e| ComponentError::Describe(self.limits.reason(&e).unwrap_or_else(|| e.root_cause().to_string())))?;
        Ok(metadata.into())
    }

    /// What the store knows of component `digest`.
    ///
    /// # Errors
    /// A store error.
    pub fn component_info(&self, digest: &Digest) -> Result<Option<ComponentInfo>, RuntimeError> {
        Ok(self.storage.read()?.component(digest)?)
    }

    pub(crate) fn component_name(&self, digest: &Digest) -> String {
        match self.component_info(digest) {
            Ok(Some(info)) if !info.metadata.name.is_empty() => info.metadata.name,
            _ => digest.short(),
        }
    }

    fn lock_prepared(&self) -> std::sync::MutexGuard<'_, HashMap<Digest, InvokablePre<HostState>>> {
        self.prepared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The prepared (compiled, linked, type-checked) component `digest`.
    pub(crate) fn prepared(&self, digest: &Digest) -> Result<InvokablePre<HostState>, RuntimeError> {
        if let Some(pre) = self.lock_prepared().get(digest) {
            return Ok(pre.clone());
        }
        let component = engine::load_component(&self.engine, &self.engine_info, &self.storage, digest, || {
            self.storage.read()?.blob(digest)
        })?;
        let pre = component::prepare(&self.linker, &component)?;
        self.lock_prepared().insert(*digest, pre.clone());
        Ok(pre)
    }

    /// Resolves a component id, unique hex prefix (12+ digits) or name.
    ///
    /// # Errors
    /// [`RuntimeError::NotFound`] or [`RuntimeError::Ambiguous`].
    pub fn resolve_component(&self, target: &str) -> Result<Digest, RuntimeError> {
        let reader = self.storage.read()?;
        if let Some(digest) = reader.name(target)? {
            return Ok(digest);
        }
        self.resolve(DigestTable::Components, "component", target)
    }

    /// Resolves an invocation id or unique hex prefix (12+ digits).
    ///
    /// # Errors
    /// [`RuntimeError::NotFound`] or [`RuntimeError::Ambiguous`].
    pub fn resolve_invocation(&self, target: &str) -> Result<Digest, RuntimeError> {
        self.resolve(DigestTable::Invocations, "invocation", target)
    }

    fn resolve(&self, table: DigestTable, kind: &'static str, target: &str) -> Result<Digest, RuntimeError> {
        let not_found = || RuntimeError::NotFound { kind, target: target.to_string() };
        let hex = target.strip_prefix("sha256:").unwrap_or(target).to_ascii_lowercase();
        if hex.len() < 12 || hex.len() > 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let matches = self.storage.read()?.digests_with_prefix(table, &hex)?;
        match matches.len() {
            0 => Err(not_found()),
            1 => Ok(matches[0]),
            _ => Err(RuntimeError::Ambiguous { kind, target: target.to_string(), matches }),
        }
    }

    /// Invokes component `component` with `config` and `input` (JSON text),
    /// recording every nondeterministic value, and seals the invocation.
    ///
    /// # Errors
    /// Invalid JSON (nothing is written), or a store or engine failure. A guest
    /// that fails or traps is not an error: see the outcome.
    pub fn invoke(&self, component: &Digest, config: &str, input: &str) -> Result<Invocation, RuntimeError> {
        let config = value::canonicalize(config).map_err(|error| RuntimeError::Json { what: "config", error })?;
        let input = value::canonicalize(input).map_err(|error| RuntimeError::Json { what: "input", error })?;
        self.prepared(component)?;
        let spec = RunSpec {
            component: *component,
            config,
            input,
            limits: self.limits.clone(),
            recorded: Arc::from(Vec::new()),
            exact: false,
            parent: None,
        };
        let result = invocation::run(self, &spec)?;
        invocation::seal(self, &spec, result)
    }

    /// Replays invocation `id` from its journal, under its recorded limits.
    ///
    /// A finished invocation must replay exactly: the same requests, output and
    /// journal; it is then returned unchanged. An incomplete one goes on live
    /// where its journal ends and is sealed as a new invocation whose parent is `id`.
    ///
    /// # Errors
    /// [`RuntimeError::Divergence`] when the guest asks for something else or
    /// ends differently; nothing is written then.
    pub fn replay(&self, id: &Digest) -> Result<Replay, RuntimeError> {
        let original = invocation::load(self, id)?;
        let record = &original.record;
        let reader = self.storage.read()?;
        let spec = RunSpec {
            component: record.component,
            config: reader.blob(&record.config)?,
            input: reader.blob(&record.input)?,
            limits: record.limits.clone(),
            recorded: Arc::from(invocation::journal_of(self, record)?),
            exact: record.outcome != Outcome::Incomplete,
            parent: Some(*id),
        };
        drop(reader);
        let result = invocation::run(self, &spec)?;
        if !spec.exact {
            let sealed = invocation::seal(self, &spec, result)?;
            return Ok(Replay { invocation: sealed, identical: false });
        }
        let same = match (&result.outcome, &record.outcome) {
            (RunOutcome::Completed(bytes), Outcome::Completed { output }) => Digest::of(bytes) == *output,
            (RunOutcome::Failed(a), Outcome::Failed { error }) => a == error,
            (RunOutcome::Trapped(a), Outcome::Trapped { reason }) => a == reason,
            _ => false,
        };
        self.storage.write(|w| w.remove_run(result.run))?;
        if !same {
            let actual = match &result.outcome {
                RunOutcome::Completed(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                RunOutcome::Failed(e) => format!("failed: {e}"),
                RunOutcome::Trapped(r) => format!("trapped: {r}"),
            };
            let recorded = match &original.output {
                Some(v) => v.to_string(),
                None => match &record.outcome {
                    Outcome::Failed { error } => format!("failed: {error}"),
                    Outcome::Trapped { reason } => format!("trapped: {reason}"),
                    other => other.status().to_string(),
                },
            };
            return Err(Divergence::Output { recorded, actual }.into());
        }
        debug_assert_eq!(result.events.len() as u64, record.events);
        Ok(Replay { invocation: original, identical: true })
    }

    /// Loads a sealed invocation.
    ///
    /// # Errors
    /// Unknown id, or a corrupt store.
    pub fn load(&self, id: &Digest) -> Result<Invocation, RuntimeError> {
        invocation::load(self, id)
    }
}

/// The result of [`Runtime::replay`].
#[derive(Debug)]
pub struct Replay {
    /// The invocation: the original when identical, else the new fork.
    pub invocation: Invocation,
    /// Output and journal matched the recorded ones exactly.
    pub identical: bool,
}

fn check_name(name: &str) -> Result<(), RuntimeError> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok { Ok(()) } else { Err(RuntimeError::BadName(name.to_string())) }
}
