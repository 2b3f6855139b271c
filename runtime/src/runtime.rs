//! [`Runtime`]: the engine, the linker, the store and the cache of prepared
//! components, with the operations the CLI offers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use wasmtime::Engine;
use wasmtime::component::Linker;

use crate::answers::{Answer, Answerer, FirstThen, InputRequest, NoAnswers};
use crate::component::{self, ComponentError, ComponentInfo, Description};
use crate::engine::{self, EngineError, EngineInfo};
use crate::host::{self, HostState, InvokablePre};
use crate::invocation::{self, Invocation, Outcome, RunHeader, RunOutcome, RunSpec, Tree};
use crate::journal::{Divergence, Event, Journal, JournalError};
use crate::llm::Provider;
use crate::sandbox::Limits;
use crate::sources::Sources;
use crate::storage::{DigestTable, Storage, StorageError};
use crate::value::{self, Digest, InvalidJson};
use serde_json::Value;

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
    /// The journal could not be kept.
    #[error(transparent)]
    Journal(JournalError),
    /// A bundle that cannot be imported.
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    /// A directory that cannot be granted.
    #[error(transparent)]
    Grant(#[from] crate::grants::GrantError),
    /// Config or input that does not fit the component's schema.
    #[error("{what} does not fit the component's schema: {message}; hint: `enact describe` shows the schemas")]
    Schema {
        /// `config` or `input`.
        what: &'static str,
        /// What does not fit.
        message: String,
    },
    /// A rewind past the start of the journal.
    #[error("cannot rewind {n} events: the journal holds {len}")]
    RewindTooFar {
        /// Events asked to drop.
        n: u64,
        /// Events in the journal.
        len: u64,
    },
    /// An override of an event that does not exist.
    #[error("there is no event {index}: the journal holds {len} events, numbered from 0")]
    NoSuchEvent {
        /// The index asked for.
        index: u64,
        /// Events in the journal.
        len: u64,
    },
    /// An override value that does not fit the event.
    #[error("cannot override event {index}: {message}")]
    BadOverride {
        /// The event.
        index: u64,
        /// What does not fit.
        message: String,
    },
    /// An answer that does not fit the pending request.
    #[error("{0}; hint: `enact show` lists the request and its schema")]
    BadAnswer(String),
    /// A resume of an invocation awaiting input, without an answer.
    #[error("invocation `{0}` awaits input; hint: give it with `--answer JSON`")]
    AnswerNeeded(Digest),
    /// An answer for an invocation that awaits none.
    #[error("invocation `{0}` is incomplete but awaits no input; hint: resume it without `--answer`")]
    NotAwaiting(Digest),
    /// A resume of an invocation that finished.
    #[error("invocation `{id}` is {status}: there is nothing to resume; hint: `enact replay` runs it again")]
    Finished {
        /// The invocation.
        id: Digest,
        /// Its status.
        status: &'static str,
    },
    /// A `run:` prefix that matches several cut-off runs.
    #[error("`{0}` matches several cut-off runs; hint: give more digits (`enact ls invocations` lists them)")]
    AmbiguousRun(String),
    /// A thread to run an invocation on could not be started.
    #[error("cannot start a thread for the invocation: {0}")]
    Thread(String),
    /// A limit of the invocation tree (depth, children) was exceeded.
    #[error("{0}")]
    Limit(String),
    /// An invalid name.
    #[error("`{0}` is not a valid name; hint: use letters, digits, `-`, `_` and `.`, starting with a letter")]
    BadName(String),
}

/// The runtime: compiles, links, runs, records and replays components.
/// Cloning is cheap: clones share the engine, the store and the caches.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    engine_info: EngineInfo,
    linker: Linker<HostState>,
    storage: Arc<Storage>,
    prepared: Mutex<HashMap<Digest, InvokablePre<HostState>>>,
    summaries: Mutex<HashMap<Digest, Summary>>,
    limits: Limits,
    sources: Box<dyn Fn() -> Sources + Send + Sync>,
    llm: Option<Arc<dyn Provider>>,
    instantiations: AtomicU64,
}

/// What the runtime remembers of a component: both follow from its bytes,
/// so a cached summary never goes stale.
#[derive(Clone)]
struct Summary {
    name: String,
    pure: bool,
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
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("enact")
}

impl Runtime {
    /// Opens the store in `home` and builds the engine.
    ///
    /// # Errors
    /// The store cannot be opened, or wasmtime cannot be configured.
    pub fn open(home: &Path) -> Result<Runtime, RuntimeError> {
        Runtime::open_waiting(home, std::time::Duration::ZERO)
    }

    /// Like [`Runtime::open`], waiting up to `wait` for another process to
    /// release the store.
    ///
    /// # Errors
    /// See [`Runtime::open`].
    pub fn open_waiting(home: &Path, wait: std::time::Duration) -> Result<Runtime, RuntimeError> {
        let storage = Storage::open_waiting(&store_path(home), wait)?;
        Runtime::new(Arc::new(storage))
    }

    /// A runtime over an open store.
    ///
    /// # Errors
    /// wasmtime cannot be configured.
    pub fn new(storage: Arc<Storage>) -> Result<Runtime, RuntimeError> {
        let engine = engine::new_engine()?;
        let linker = host::linker(&engine).map_err(EngineError::Config)?;
        let inner = Inner {
            engine_info: engine::engine_info(&engine),
            engine,
            linker,
            storage,
            prepared: Mutex::new(HashMap::new()),
            summaries: Mutex::new(HashMap::new()),
            limits: Limits::default(),
            sources: Box::new(Sources::system),
            llm: None,
            instantiations: AtomicU64::new(0),
        };
        Ok(Runtime { inner: Arc::new(inner) })
    }

    fn configure(&mut self) -> &mut Inner {
        Arc::get_mut(&mut self.inner).expect("a runtime is configured before it is cloned")
    }

    /// Uses `sources` for live nondeterminism instead of the real clock and entropy.
    ///
    /// # Panics
    /// If the runtime was cloned already.
    pub fn with_sources(mut self, sources: impl Fn() -> Sources + Send + Sync + 'static) -> Runtime {
        self.configure().sources = Box::new(sources);
        self
    }

    /// Runs new invocations under `limits`.
    ///
    /// # Panics
    /// If the runtime was cloned already.
    pub fn with_limits(mut self, limits: Limits) -> Runtime {
        self.configure().limits = limits;
        self
    }

    /// Uses `provider` for live LLM completions (none by default: a guest's
    /// request then gets `unavailable`).
    ///
    /// # Panics
    /// If the runtime was cloned already.
    pub fn with_llm(mut self, provider: Arc<dyn Provider>) -> Runtime {
        self.configure().llm = Some(provider);
        self
    }

    /// The live LLM provider, if any.
    pub fn llm(&self) -> Option<&Arc<dyn Provider>> {
        self.inner.llm.as_ref()
    }

    pub(crate) fn tree(&self, answerer: Box<dyn Answerer>) -> Arc<Tree> {
        Tree::new(answerer, self.inner.llm.clone())
    }

    /// The store.
    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    pub(crate) fn storage_arc(&self) -> &Arc<Storage> {
        &self.inner.storage
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The engine's version and compatibility hash.
    pub fn engine_info(&self) -> &EngineInfo {
        &self.inner.engine_info
    }

    pub(crate) fn sources(&self) -> Sources {
        (self.inner.sources)()
    }

    /// The limits new invocations run under.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Component instances created so far by this runtime (and its clones):
    /// a replay that reuses recorded children does not add to it.
    pub fn instantiations(&self) -> u64 {
        self.inner.instantiations.load(Ordering::Relaxed)
    }

    pub(crate) fn count_instantiation(&self) {
        self.inner.instantiations.fetch_add(1, Ordering::Relaxed);
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
        let compiled =
            self.inner.engine.precompile_component(bytes).map_err(|e| ComponentError::Invalid(format!("{e:#}")))?;
        // SAFETY: `compiled` was just produced by `precompile_component` on this engine.
        #[allow(unsafe_code, reason = "loading code this runtime compiled itself")]
        let loaded = unsafe { wasmtime::component::Component::deserialize(&self.inner.engine, &compiled) };
        let compiled_component = loaded.map_err(|e| ComponentError::Invalid(format!("{e:#}")))?;
        let imports = component::check_world(&self.inner.engine, &compiled_component)?;
        let pre = component::prepare(&self.inner.linker, &compiled_component)?;
        let metadata = self.describe_with(&pre)?;
        let info = ComponentInfo { size: bytes.len() as u64, metadata, imports };
        self.inner.storage.write(|w| {
            w.put_blob(bytes)?;
            w.put_artifact(&digest, &self.inner.engine_info.compatibility, &compiled)?;
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
        let journal = Journal::new(Arc::from(Vec::new()), self.sources(), self.inner.limits.journal_events);
        let mut store = wasmtime::Store::new(
            &self.inner.engine,
            HostState::new(Arc::new(Mutex::new(journal)), &self.inner.limits, None, &[]),
        );
        store.limiter(|s| &mut s.limits);
        self.inner.limits.arm(&mut store);
        let metadata =
            pre.instantiate(&mut store).and_then(|instance| instance.call_describe(&mut store)).map_err(|e| {
                ComponentError::Describe(self.inner.limits.reason(&e).unwrap_or_else(|| e.root_cause().to_string()))
            })?;
        Ok(metadata.into())
    }

    /// What the store knows of component `digest`.
    ///
    /// # Errors
    /// A store error.
    pub fn component_info(&self, digest: &Digest) -> Result<Option<ComponentInfo>, RuntimeError> {
        Ok(self.inner.storage.read()?.component(digest)?)
    }

    /// The component's name from `describe`, else its short id.
    pub(crate) fn component_name(&self, digest: &Digest) -> String {
        match self.summary(digest) {
            Ok(Some(summary)) if !summary.name.is_empty() => summary.name,
            _ => digest.short(),
        }
    }

    /// Whether the component imports no source of nondeterminism (false when
    /// the store does not have it).
    pub(crate) fn is_pure(&self, digest: &Digest) -> Result<bool, RuntimeError> {
        Ok(self.summary(digest)?.is_some_and(|summary| summary.pure))
    }

    /// The component's name and purity, read from the store once.
    fn summary(&self, digest: &Digest) -> Result<Option<Summary>, RuntimeError> {
        let mut summaries = self.inner.summaries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(summary) = summaries.get(digest) {
            return Ok(Some(summary.clone()));
        }
        let Some(info) = self.component_info(digest)? else { return Ok(None) };
        let summary = Summary { pure: info.is_pure(), name: info.metadata.name };
        summaries.insert(*digest, summary.clone());
        Ok(Some(summary))
    }

    fn lock_prepared(&self) -> std::sync::MutexGuard<'_, HashMap<Digest, InvokablePre<HostState>>> {
        self.inner.prepared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The prepared (compiled, linked, type-checked) component `digest`.
    pub(crate) fn prepared(&self, digest: &Digest) -> Result<InvokablePre<HostState>, RuntimeError> {
        if let Some(pre) = self.lock_prepared().get(digest) {
            return Ok(pre.clone());
        }
        let component =
            engine::load_component(&self.inner.engine, &self.inner.engine_info, &self.inner.storage, digest, || {
                self.inner.storage.read()?.blob(digest)
            })?;
        let pre = component::prepare(&self.inner.linker, &component)?;
        self.lock_prepared().insert(*digest, pre.clone());
        Ok(pre)
    }

    /// Resolves a component id, unique hex prefix (12+ digits) or name.
    ///
    /// # Errors
    /// [`RuntimeError::NotFound`] or [`RuntimeError::Ambiguous`].
    pub fn resolve_component(&self, target: &str) -> Result<Digest, RuntimeError> {
        let reader = self.inner.storage.read()?;
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
        let matches = self.inner.storage.read()?.digests_with_prefix(table, &hex)?;
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
        self.invoke_with(component, config, input, Box::new(NoAnswers))
    }

    /// Like [`Runtime::invoke`], with `answerer` answering input requests;
    /// when it declines, the invocation suspends as `awaiting-input`.
    ///
    /// # Errors
    /// See [`Runtime::invoke`].
    pub fn invoke_with(
        &self,
        component: &Digest,
        config: &str,
        input: &str,
        answerer: Box<dyn Answerer>,
    ) -> Result<Invocation, RuntimeError> {
        self.invoke_granted(component, config, input, answerer, &[])
    }

    /// Like [`Runtime::invoke_with`], granting the guest `grants`: each
    /// directory is snapshotted into the store first, and the guest sees a
    /// private copy of the snapshot (see [`crate::Grant`]).
    ///
    /// # Errors
    /// See [`Runtime::invoke`]; also a directory that cannot be snapshotted.
    pub fn invoke_granted(
        &self,
        component: &Digest,
        config: &str,
        input: &str,
        answerer: Box<dyn Answerer>,
        grants: &[crate::grants::Grant],
    ) -> Result<Invocation, RuntimeError> {
        let config = value::canonicalize(config).map_err(|error| RuntimeError::Json { what: "config", error })?;
        let input = value::canonicalize(input).map_err(|error| RuntimeError::Json { what: "input", error })?;
        self.prepared(component)?;
        if let Some(info) = self.component_info(component)? {
            info.check_call(&config, &input).map_err(|(what, message)| RuntimeError::Schema { what, message })?;
        }
        let limit = self.inner.limits.output_bytes.max(256 << 20);
        let grants =
            grants.iter().map(|g| crate::grants::snapshot(self.storage(), g, limit)).collect::<Result<Vec<_>, _>>()?;
        let root = RunSpec::root(*component, config, input, self.inner.limits.clone(), self.tree(answerer));
        let spec = RunSpec { grants, ..root };
        on_big_stack(&spec.limits, || {
            let result = invocation::run(self, &spec)?;
            invocation::seal(self, &spec, result)
        })
    }

    /// Replays invocation `id` from its journal, under its recorded limits.
    /// Same as [`Runtime::replay_with`] with default options.
    ///
    /// # Errors
    /// See [`Runtime::replay_with`].
    pub fn replay(&self, id: &Digest) -> Result<Replay, RuntimeError> {
        self.replay_with(id, &ReplayOptions::default())
    }

    /// Answers the input request invocation `id` awaits with `answer`, then
    /// continues it as a new invocation (parent `id`): the journal is replayed,
    /// the answer handed to the pending request, and later requests go to
    /// `then` (which answers the pending one too when `answer` is `None`). An
    /// `incomplete` invocation (cut off) takes no answer and is simply continued.
    ///
    /// # Errors
    /// [`RuntimeError::BadAnswer`] when the answer does not fit the request's
    /// schema, and other misuse, before anything is written.
    pub fn resume(
        &self,
        id: &Digest,
        answer: Option<Value>,
        then: Box<dyn Answerer>,
    ) -> Result<Invocation, RuntimeError> {
        let original = invocation::load(self, id)?;
        let answerer: Box<dyn Answerer> = match (&original.record.outcome, answer) {
            (Outcome::AwaitingInput { request }, Some(answer)) => {
                let request: InputRequest =
                    serde_json::from_value(invocation::json_blob(&self.storage().read()?, request)?).map_err(|e| {
                        StorageError::Decode { table: "blobs", key: request.to_string(), message: e.to_string() }
                    })?;
                request.check(&answer).map_err(RuntimeError::BadAnswer)?;
                Box::new(FirstThen::new(Answer { value: answer, by: "person".into() }, then))
            }
            // `then` answers the pending request too (a file, the terminal, a model).
            (Outcome::AwaitingInput { .. }, None) => then,
            (Outcome::Incomplete, None) => then,
            (Outcome::Incomplete, Some(_)) => return Err(RuntimeError::NotAwaiting(*id)),
            (other, _) => return Err(RuntimeError::Finished { id: *id, status: other.status() }),
        };
        let tree = self.tree(answerer);
        Ok(self.replay_in_tree(id, &ReplayOptions::default(), tree)?.invocation)
    }

    /// Replays invocation `id` from its journal, under its recorded limits.
    ///
    /// A finished invocation must replay exactly: the same requests, output and
    /// journal; it is then returned unchanged, and recorded children are reused
    /// without being instantiated. An incomplete one goes on live where its
    /// journal ends and is sealed as a new invocation whose parent is `id`; so
    /// does a replay with an override, or one that retries a failed child.
    ///
    /// # Errors
    /// [`RuntimeError::Divergence`] when the guest asks for something else or
    /// ends differently; nothing is written then.
    pub fn replay_with(&self, id: &Digest, options: &ReplayOptions) -> Result<Replay, RuntimeError> {
        let tree = self.tree(Box::new(NoAnswers));
        tree.rerun_pure.store(options.retry_failed, std::sync::atomic::Ordering::Relaxed);
        self.replay_in_tree(id, options, tree)
    }

    pub(crate) fn replay_in_tree(
        &self,
        id: &Digest,
        options: &ReplayOptions,
        tree: Arc<Tree>,
    ) -> Result<Replay, RuntimeError> {
        let original = invocation::load(self, id)?;
        let record = &original.record;
        let mut recorded = invocation::journal_of(self, record)?;
        let finished =
            matches!(record.outcome, Outcome::Completed { .. } | Outcome::Failed { .. } | Outcome::Trapped { .. });
        let mut exact = finished;
        if let Some((index, value)) = &options.override_event {
            let len = recorded.len() as u64;
            let event = recorded.get(*index as usize).ok_or(RuntimeError::NoSuchEvent { index: *index, len })?;
            let (event, blob) =
                event.with_response(value).map_err(|message| RuntimeError::BadOverride { index: *index, message })?;
            if let Some(blob) = blob {
                self.inner.storage.write(|w| w.put_blob(&blob))?;
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
        let reader = self.inner.storage.read()?;
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
        let result = on_big_stack(&spec.limits, || invocation::run(self, &spec))?;
        if !spec.exact {
            let sealed = invocation::seal(self, &spec, result)?;
            return Ok(Replay { invocation: sealed, identical: false });
        }
        let same = match (&result.outcome, &record.outcome) {
            (RunOutcome::Completed(bytes), Outcome::Completed { output }) => Digest::of(bytes) == *output,
            (RunOutcome::Failed(a), Outcome::Failed { error }) => a == error,
            (RunOutcome::Trapped(a), Outcome::Trapped { reason, .. }) => a == reason,
            _ => false,
        };
        if result.persisted {
            self.inner.storage.write(|w| w.remove_run(result.run))?;
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

    /// Finishes a run that was cut off (its process died): replays the journal
    /// it persisted and goes on live, then seals it as a new invocation and
    /// forgets the run.
    ///
    /// # Errors
    /// An unknown run, or a store failure.
    pub fn resume_run(&self, run: u128, then: Box<dyn Answerer>) -> Result<Invocation, RuntimeError> {
        let reader = self.storage().read()?;
        let header: RunHeader = reader
            .runs::<RunHeader>()?
            .into_iter()
            .find_map(|(r, h)| (r == run).then_some(h))
            .ok_or_else(|| RuntimeError::NotFound { kind: "run", target: format!("run:{run:032x}") })?;
        let mut events = Vec::new();
        for chunk in reader.run_events(run)? {
            events.extend(crate::journal::decode_events(&chunk).map_err(|e| StorageError::Decode {
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
            self.tree(then),
        );
        drop(reader);
        self.prepared(&header.component)?;
        let spec =
            RunSpec { recorded: Arc::from(events), parent: header.parent, grants: header.grants.clone(), ..root };
        let sealed = on_big_stack(&spec.limits, || {
            let result = invocation::run(self, &spec)?;
            invocation::seal(self, &spec, result)
        })?;
        self.inner.storage.write(|w| w.remove_run(run))?;
        Ok(sealed)
    }

    /// The run a `run:<hex>` text names (the full id or a prefix of 8+ digits).
    ///
    /// # Errors
    /// [`RuntimeError::NotFound`] or [`RuntimeError::Ambiguous`].
    pub fn resolve_run(&self, target: &str) -> Result<u128, RuntimeError> {
        let hex = target.strip_prefix("run:").unwrap_or(target).to_ascii_lowercase();
        let not_found = || RuntimeError::NotFound { kind: "run", target: target.to_string() };
        if hex.len() < 8 {
            return Err(not_found());
        }
        let runs: Vec<u128> = self
            .storage()
            .read()?
            .runs::<RunHeader>()?
            .into_iter()
            .map(|(r, _)| r)
            .filter(|r| format!("{r:032x}").starts_with(&hex))
            .collect();
        match runs.as_slice() {
            [] => Err(not_found()),
            [run] => Ok(*run),
            _ => Err(RuntimeError::AmbiguousRun(target.to_string())),
        }
    }

    /// A new, incomplete invocation whose journal is that of `id` without its
    /// last `n` events (a child counts as one). Replaying it re-samples from
    /// that point on. `id` itself is not changed.
    ///
    /// # Errors
    /// [`RuntimeError::RewindTooFar`] when the journal holds fewer than `n` events.
    pub fn rewind(&self, id: &Digest, n: u64) -> Result<Invocation, RuntimeError> {
        let original = invocation::load(self, id)?;
        let events = invocation::journal_of(self, &original.record)?;
        let len = events.len() as u64;
        if n > len {
            return Err(RuntimeError::RewindTooFar { n, len });
        }
        invocation::seal_rewound(self, id, &original.record, &events[..(len - n) as usize])
    }

    /// Loads a sealed invocation.
    ///
    /// # Errors
    /// Unknown id, or a corrupt store.
    pub fn load(&self, id: &Digest) -> Result<Invocation, RuntimeError> {
        invocation::load(self, id)
    }
}

/// How to replay: see [`Runtime::replay_with`].
#[derive(Clone, Debug, Default)]
pub struct ReplayOptions {
    /// Run the first failed or trapped child of the root again, live,
    /// instead of reusing its recorded failure.
    pub retry_failed: bool,
    /// Replace the recorded response of root event `.0` with `.1` and go on
    /// live from there.
    pub override_event: Option<(u64, serde_json::Value)>,
}

/// Runs `f` on a thread whose stack holds a full tree of nested invocations:
/// each nested store may use the engine's whole wasm stack.
fn on_big_stack<T: Send>(limits: &Limits, f: impl FnOnce() -> T + Send) -> T {
    let per_level = engine::MAX_WASM_STACK + (512 << 10);
    let size = per_level * (limits.max_depth as usize + 1) + (8 << 20);
    std::thread::scope(|scope| {
        let handle =
            std::thread::Builder::new().name("enact-invocation".into()).stack_size(size).spawn_scoped(scope, f);
        match handle {
            Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(e) => panic!("cannot start an invocation thread with a {size}-byte stack: {e}"),
        }
    })
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
