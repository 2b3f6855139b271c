//! [`Runtime`]: the facade. It is built once ([`Runtime::builder`]: the
//! store, the live sources, the LLM provider, the default limits) and cloned
//! freely; every operation takes its own options ([`Call`],
//! [`ReplayOptions`]). Nothing below this module uses it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use enact_core::answer::{Answerer, NoAnswers};
use enact_core::component::ComponentInfo;
use enact_core::event::Event;
use enact_core::grant::Grant;
use enact_core::limits::Limits;
use enact_core::llm::Provider;
use enact_core::record::{EngineInfo, Invocation, InvocationRecord, LogLine};
use enact_core::value::Digest;
use enact_store::bundle::{self, BundleError, BundleSummary, Imported};
use enact_store::gc::{self, Collected, RemoveError, Removed};
use enact_store::resolve::ResolveError;
use enact_store::verify::VerifyReport;
use enact_store::{Storage, StorageError, load, resolve};
use serde_json::Value;

use crate::artifacts::{Artifacts, artifacts_path};
use crate::engine::EngineError;
use crate::error::{
    AddError, InvokeError, NameError, OpenError, ReplayError, ResumeError, RewindError, RunError, TargetError,
};
use crate::exec::{Exec, Replay, Rerun, Root};
use crate::observe::{Observer, Unobserved};
use crate::registry::Registry;
use crate::sources::Sources;

/// The store file inside an enact home directory.
pub fn store_path(home: &Path) -> PathBuf {
    home.join("enact.redb")
}

/// The runtime: compiles, links, runs, records and replays components.
/// Cloning is cheap: clones share the engine, the store and the caches.
#[derive(Clone)]
pub struct Runtime {
    exec: Arc<Exec>,
}

/// How a [`Runtime`] is made: see [`Runtime::builder`].
pub struct Builder {
    storage: Arc<Storage>,
    artifacts: Option<PathBuf>,
    sources: Box<dyn Fn() -> Sources + Send + Sync>,
    llm: Option<Arc<dyn Provider>>,
    limits: Limits,
    builtins: Vec<(&'static str, &'static [u8])>,
}

impl Builder {
    /// Makes component `bytes` available under `name` in every store: it is
    /// added (and compiled) the first time `name` is resolved and the store
    /// has no component of that name. The command line's source runners
    /// (`python`, `javascript`) are such components.
    pub fn builtin(mut self, name: &'static str, bytes: &'static [u8]) -> Builder {
        self.builtins.push((name, bytes));
        self
    }

    /// Uses `sources` for live nondeterminism instead of the real clock and
    /// entropy: each run calls it once.
    pub fn sources(mut self, sources: impl Fn() -> Sources + Send + Sync + 'static) -> Builder {
        self.sources = Box::new(sources);
        self
    }

    /// Uses `provider` for live LLM completions (none by default: a guest's
    /// request then gets `unavailable`).
    pub fn llm(mut self, provider: Arc<dyn Provider>) -> Builder {
        self.llm = Some(provider);
        self
    }

    /// Keeps compiled code in `dir` (default: `artifacts` beside the store file).
    pub fn artifacts(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.artifacts = Some(dir.into());
        self
    }

    /// Runs new invocations under `limits` unless a [`Call`] says otherwise.
    pub fn limits(mut self, limits: Limits) -> Builder {
        self.limits = limits;
        self
    }

    /// Builds the engine and the runtime.
    ///
    /// # Errors
    /// wasmtime cannot be configured.
    pub fn build(self) -> Result<Runtime, EngineError> {
        let dir = self
            .artifacts
            .unwrap_or_else(|| artifacts_path(self.storage.path().parent().unwrap_or_else(|| Path::new("."))));
        let registry = Registry::new(self.storage.clone(), Artifacts::new(dir))?;
        let exec = Exec {
            registry,
            storage: self.storage,
            sources: self.sources,
            llm: self.llm,
            limits: self.limits,
            builtins: self.builtins,
            rewound: Default::default(),
        };
        Ok(Runtime { exec: Arc::new(exec) })
    }
}

/// One invocation: what to run and its own options.
pub struct Call {
    component: Digest,
    config: String,
    input: String,
    answerer: Box<dyn Answerer>,
    grants: Vec<Grant>,
    limits: Option<Limits>,
    observer: Arc<dyn Observer>,
}

impl Call {
    /// Invokes `component` with config `{}` and input `null`, no answerer
    /// (an input request suspends), no grants, the runtime's limits, and no
    /// observer.
    pub fn new(component: Digest) -> Call {
        Call {
            component,
            config: "{}".into(),
            input: "null".into(),
            answerer: Box::new(NoAnswers),
            grants: Vec::new(),
            limits: None,
            observer: Arc::new(Unobserved),
        }
    }

    /// The config, as JSON text.
    pub fn config(mut self, config: &str) -> Call {
        self.config = config.to_string();
        self
    }

    /// The input, as JSON text.
    pub fn input(mut self, input: &str) -> Call {
        self.input = input.to_string();
        self
    }

    /// Who answers input requests; when it declines, the invocation
    /// suspends as `awaiting-input`.
    pub fn answerer(mut self, answerer: Box<dyn Answerer>) -> Call {
        self.answerer = answerer;
        self
    }

    /// Grants the guest `grants`: each directory is snapshotted into the
    /// store first, and the guest sees a private copy of the snapshot.
    pub fn grants(mut self, grants: Vec<Grant>) -> Call {
        self.grants = grants;
        self
    }

    /// Runs under `limits` instead of the runtime's.
    pub fn limits(mut self, limits: Limits) -> Call {
        self.limits = Some(limits);
        self
    }

    /// Tells `observer` what happens as the invocation runs.
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Call {
        self.observer = observer;
        self
    }

    /// Checks that config and input are JSON, before anything runs.
    pub(crate) fn check_json(&self) -> Result<(), InvokeError> {
        enact_core::value::canonicalize(&self.config).map_err(|error| InvokeError::Json { what: "config", error })?;
        enact_core::value::canonicalize(&self.input).map_err(|error| InvokeError::Json { what: "input", error })?;
        Ok(())
    }
}

/// How to replay, resume or continue: see [`Runtime::replay_with`].
pub struct ReplayOptions {
    /// Run the first failed or trapped child of the root again, live,
    /// instead of reusing its recorded failure.
    pub retry_failed: bool,
    /// Replace the recorded response of root event `.0` with `.1` and go on
    /// live from there.
    pub override_event: Option<(u64, Value)>,
    /// Serve the recorded journal to this component, with this config
    /// (JSON text) or the recorded one: a finished invocation that
    /// replays identically on it behaves the same there. For checking an
    /// upgrade; with an override or a retry, the new run is sealed as ever.
    pub run_on: Option<(Digest, Option<String>)>,
    /// Serve only the first `k` recorded root events, then go on live,
    /// re-sampling event `k` and all after it: a fork at `k` with no
    /// rewound copy in the store (see [`Runtime::rewind`] for one).
    pub go_live_at: Option<u64>,
    /// Who answers input requests once the replay goes live.
    pub answerer: Box<dyn Answerer>,
    /// Who watches.
    pub observer: Arc<dyn Observer>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            retry_failed: false,
            override_event: None,
            run_on: None,
            go_live_at: None,
            answerer: Box::new(NoAnswers),
            observer: Arc::new(Unobserved),
        }
    }
}

impl Runtime {
    /// A runtime over `storage` with the real clock and entropy, no LLM
    /// provider and the default limits, until told otherwise.
    pub fn builder(storage: Arc<Storage>) -> Builder {
        Builder {
            storage,
            artifacts: None,
            sources: Box::new(Sources::system),
            llm: None,
            limits: Limits::default(),
            builtins: Vec::new(),
        }
    }

    /// A runtime with the defaults over an open store.
    ///
    /// # Errors
    /// wasmtime cannot be configured.
    pub fn new(storage: Arc<Storage>) -> Result<Runtime, EngineError> {
        Runtime::builder(storage).build()
    }

    /// Opens the store in `home`, and a runtime with the defaults over it.
    ///
    /// # Errors
    /// The store cannot be opened, or wasmtime cannot be configured.
    pub fn open(home: &Path) -> Result<Runtime, OpenError> {
        Ok(Runtime::new(Arc::new(Storage::open(&store_path(home))?))?)
    }

    /// The store.
    pub fn storage(&self) -> &Storage {
        &self.exec.storage
    }

    /// The engine's version and compatibility hash.
    pub fn engine_info(&self) -> &EngineInfo {
        &self.exec.registry.engine_info
    }

    /// The limits new invocations run under by default.
    pub fn limits(&self) -> &Limits {
        &self.exec.limits
    }

    /// The live LLM provider, if any.
    pub fn llm(&self) -> Option<&Arc<dyn Provider>> {
        self.exec.llm.as_ref()
    }

    /// Component instances created so far by this runtime (and its clones):
    /// a replay that reuses recorded children does not add to it.
    pub fn instantiations(&self) -> u64 {
        self.exec.registry.instantiations()
    }

    /// Adds a component, compiled once: bytes the store holds already
    /// (compiled for this engine) are not compiled again. With `name`, binds
    /// it as [`Runtime::name`] does without `force`, checked before anything
    /// is written.
    ///
    /// # Errors
    /// When the bytes are not an invokable component (or its `describe`
    /// reads a live source), or the name cannot be bound; then nothing is
    /// written.
    pub fn add(&self, bytes: &[u8], name: Option<&str>) -> Result<(Digest, ComponentInfo), AddError> {
        // A WASI preview 1 program is stored as the component it adapts to.
        let adapted;
        let bytes = if crate::component::is_core_module(bytes) {
            adapted = crate::component::adapt_preview1(bytes)?;
            &adapted[..]
        } else {
            bytes
        };
        let digest = crate::component::component_id(bytes);
        if let Some(name) = name {
            self.name_check(name, &digest, false)?;
        }
        self.exec.add(bytes, &digest, name)
    }

    /// Points `name` at component `digest`. A name that points at another
    /// component moves only with `force`; returns what it named before.
    ///
    /// # Errors
    /// An invalid or id-like name, a name taken without `force`, or a
    /// component the store does not hold.
    pub fn name(&self, name: &str, digest: &Digest, force: bool) -> Result<Option<Digest>, NameError> {
        let previous = self.name_check(name, digest, force)?;
        if self.storage().read()?.component::<ComponentInfo>(digest)?.is_none() {
            return Err(NameError::NoComponent(*digest));
        }
        if let Some((current, _)) = self.storage().read()?.invokable_name(name)?.filter(|_| !force) {
            return Err(NameError::Taken { name: name.to_string(), current });
        }
        self.storage().write(|w| {
            w.remove_invokable_name(name)?;
            w.set_name(name, digest)
        })?;
        Ok(previous)
    }

    /// Removes `name`; returns what it named, if anything.
    ///
    /// # Errors
    /// A store error.
    pub fn unname(&self, name: &str) -> Result<Option<Digest>, StorageError> {
        let invokable = self.storage().read()?.invokable_name(name)?.map(|(component, _)| component);
        self.storage().write(|w| {
            let component = w.remove_name(name)?;
            w.remove_invokable_name(name)?;
            Ok(component.or(invokable))
        })
    }

    /// The component and config (JSON) invokable name `name` points at.
    ///
    /// # Errors
    /// A store error.
    pub fn named_invokable(&self, name: &str) -> Result<Option<(Digest, Value)>, StorageError> {
        let reader = self.storage().read()?;
        match reader.invokable_name(name)? {
            Some((component, config)) => Ok(Some((component, load::json(&reader, &config)?))),
            None => Ok(None),
        }
    }

    /// Points `name` at `component` run with `config` (JSON): an invokable,
    /// such as source on a runner, that any caller reaches by the name and
    /// calls with no config. A name of a component, or of another invokable,
    /// moves only with `force`.
    ///
    /// # Errors
    /// An invalid name, one taken without `force`, invalid JSON, a store error.
    pub fn name_invokable(&self, name: &str, component: &Digest, config: &str, force: bool) -> Result<(), NameError> {
        // A component's name (the runner's own, say) is not given away without `force`.
        if let Some(current) = self.name_check(name, component, force)?.filter(|_| !force) {
            return Err(NameError::Taken { name: name.to_string(), current });
        }
        let config = enact_core::value::canonicalize(config).map_err(|e| NameError::Invalid(format!("{name}: {e}")))?;
        let digest = Digest::of(&config);
        let current = self.storage().read()?.invokable_name(name)?;
        if let Some((_, current)) = current.filter(|(c, k)| (*c, *k) != (*component, digest) && !force) {
            return Err(NameError::Taken { name: name.to_string(), current });
        }
        self.storage().write(|w| {
            w.put_blob(&config)?;
            // One name, one meaning: no component keeps it.
            w.remove_name(name)?;
            w.set_invokable_name(name, component, &digest)
        })?;
        Ok(())
    }

    /// Whether `name` may point at `digest` (see [`Runtime::name`]); what it
    /// names now.
    ///
    /// # Errors
    /// See [`Runtime::name`].
    pub fn name_check(&self, name: &str, digest: &Digest, force: bool) -> Result<Option<Digest>, NameError> {
        if name == "last" {
            return Err(NameError::Reserved(name.to_string()));
        }
        if !enact_core::component::is_valid_name(name) {
            return Err(NameError::Invalid(name.to_string()));
        }
        if enact_core::component::looks_like_id(name) {
            return Err(NameError::LooksLikeAnId(name.to_string()));
        }
        let current = self.storage().read()?.name(name)?;
        match current {
            Some(current) if current != *digest && !force => Err(NameError::Taken { name: name.to_string(), current }),
            _ => Ok(current),
        }
    }

    /// What the store knows of component `digest`.
    ///
    /// # Errors
    /// A store error.
    pub fn component_info(&self, digest: &Digest) -> Result<Option<ComponentInfo>, StorageError> {
        self.exec.registry.info(digest)
    }

    /// The component's name from `describe`, else its short id.
    pub fn component_name(&self, digest: &Digest) -> String {
        self.exec.registry.name(digest)
    }

    /// Resolves a component name, id, or unique hex prefix of an id.
    ///
    /// # Errors
    /// Nothing or several match.
    pub fn resolve_component(&self, target: &str) -> Result<Digest, TargetError> {
        self.exec.resolve_component(target)
    }

    /// Resolves an invocation: its id or a unique prefix, `last`, or a component's name (its latest).
    ///
    /// # Errors
    /// Nothing or several match.
    pub fn resolve_invocation(&self, target: &str) -> Result<Digest, ResolveError> {
        resolve::invocation(&self.storage().read()?, target)
    }

    /// The cut-off run a `run:<hex>` text names (the full id or a prefix of 8+ digits).
    ///
    /// # Errors
    /// Nothing or several match.
    pub fn resolve_run(&self, target: &str) -> Result<u128, ResolveError> {
        resolve::run(&self.storage().read()?, target)
    }

    /// Invokes `call`, recording every nondeterministic value, and seals the
    /// invocation.
    ///
    /// # Errors
    /// Invalid JSON or input that does not fit the schemas (nothing is
    /// written), or a store, engine or host failure. A guest that fails or
    /// traps is not an error: see the outcome.
    pub fn invoke(&self, call: Call) -> Result<Invocation, InvokeError> {
        let tree = self.exec.tree(call.answerer, call.observer);
        let root = Root {
            component: call.component,
            config: call.config,
            input: call.input,
            limits: call.limits.unwrap_or_else(|| self.exec.limits.clone()),
            grants: call.grants,
        };
        self.exec.invoke(root, tree)
    }

    /// Replays invocation `id` from its journal, under its recorded limits.
    /// Same as [`Runtime::replay_with`] with default options.
    ///
    /// # Errors
    /// See [`Runtime::replay_with`].
    pub fn replay(&self, id: &Digest) -> Result<Replay, ReplayError> {
        self.replay_with(id, ReplayOptions::default())
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
    /// a divergence ([`ReplayError::Run`]) when the guest asks for something else or
    /// ends differently; nothing is written then.
    pub fn replay_with(&self, id: &Digest, options: ReplayOptions) -> Result<Replay, ReplayError> {
        let run_on = match options.run_on {
            Some((component, config)) => {
                self.exec.registry.prepared(&component).map_err(RunError::from)?;
                let config = match config {
                    Some(config) => Some(
                        enact_core::value::canonicalize(&config)
                            .map_err(|error| ReplayError::BadConfig(error.to_string()))?,
                    ),
                    None => None,
                };
                Some((component, config))
            }
            None => None,
        };
        let rerun = Rerun {
            retry_failed: options.retry_failed,
            override_event: options.override_event,
            run_on,
            go_live_at: options.go_live_at,
        };
        let tree = self.exec.tree(options.answerer, options.observer);
        self.exec.replay(id, &rerun, tree)
    }

    /// Answers the input request invocation `id` awaits with `answer`, then
    /// continues it as a new invocation (parent `id`): the journal is replayed,
    /// the answer handed to the pending request, and later requests go to
    /// `options.answerer` (which answers the pending one too when `answer` is
    /// `None`). An `incomplete` invocation (cut off) takes no answer and is
    /// simply continued.
    ///
    /// # Errors
    /// [`ResumeError::BadAnswer`] when the answer does not fit the request's
    /// schema, and other misuse, before anything is written.
    pub fn resume(
        &self,
        id: &Digest,
        answer: Option<Value>,
        options: ReplayOptions,
    ) -> Result<Invocation, ResumeError> {
        let answerer = self.exec.resume_answerer(id, answer, options.answerer)?;
        let tree = self.exec.tree(answerer, options.observer);
        match self.exec.replay(id, &Rerun::default(), tree) {
            Ok(replay) => Ok(replay.invocation),
            Err(ReplayError::Run(e)) => Err(ResumeError::Run(e)),
            Err(e) => unreachable!("a resume overrides no event: {e}"),
        }
    }

    /// Finishes a run that was cut off (its process died): replays the journal
    /// it persisted and goes on live, then seals it as a new invocation and
    /// forgets the run.
    ///
    /// # Errors
    /// An unknown run, or a store failure.
    pub fn resume_run(&self, run: u128, options: ReplayOptions) -> Result<Invocation, ResumeError> {
        let tree = self.exec.tree(options.answerer, options.observer);
        self.exec.resume_run(run, tree)
    }

    /// A new, incomplete invocation whose journal is that of `id` without its
    /// last `n` events (a child counts as one). Replaying it re-samples from
    /// that point on. `id` itself is not changed.
    ///
    /// # Errors
    /// [`RewindError::TooFar`] when the journal holds fewer than `n` events.
    pub fn rewind(&self, id: &Digest, n: u64) -> Result<Invocation, RewindError> {
        self.exec.rewind(id, n)
    }

    /// Loads a sealed invocation.
    ///
    /// # Errors
    /// Unknown id, or a corrupt store.
    pub fn load(&self, id: &Digest) -> Result<Invocation, StorageError> {
        load::invocation(&self.storage().read()?, id)
    }

    /// The journal of a sealed invocation.
    ///
    /// # Errors
    /// A missing or corrupt blob.
    pub fn journal_of(&self, record: &InvocationRecord) -> Result<Vec<Event>, StorageError> {
        load::journal(&self.storage().read()?, record)
    }

    /// The captured log lines of a sealed invocation.
    ///
    /// # Errors
    /// A missing or corrupt blob.
    pub fn logs_of(&self, record: &InvocationRecord) -> Result<Vec<LogLine>, StorageError> {
        load::logs(&self.storage().read()?, record)
    }

    /// A bundle of `targets` and everything they reference: see [`bundle::export`].
    ///
    /// # Errors
    /// A target that names nothing, or a damaged store.
    pub fn export(&self, targets: &[String]) -> Result<(Vec<u8>, BundleSummary), BundleError> {
        bundle::export(self.storage(), targets)
    }

    /// Takes in a bundle, verified whole first: see [`bundle::import`].
    ///
    /// # Errors
    /// A malformed, tampered or incomplete bundle; nothing is written then.
    pub fn import(&self, bytes: &[u8]) -> Result<Imported, BundleError> {
        bundle::import(self.storage(), bytes)
    }

    /// Takes invocations out of the store's index with the trees they own:
    /// see [`gc::remove`]. Their objects stay until [`Runtime::collect_garbage`].
    ///
    /// # Errors
    /// A kept invocation refers to one of `ids`; nothing is removed then.
    pub fn remove(&self, ids: &[Digest]) -> Result<Removed, RemoveError> {
        gc::remove(self.storage(), ids)
    }

    /// Forgets cut-off runs: their headers and persisted events.
    ///
    /// # Errors
    /// A database error.
    pub fn remove_runs(&self, runs: &[u128]) -> Result<(), StorageError> {
        self.storage().write(|w| runs.iter().try_for_each(|run| w.remove_run(*run)))
    }

    /// Deletes what nothing kept needs: see [`gc::collect`].
    ///
    /// # Errors
    /// A database error, or a kept record that does not decode.
    pub fn collect_garbage(&self) -> Result<Collected, StorageError> {
        gc::collect(self.storage())
    }

    /// Checks the whole store.
    ///
    /// # Errors
    /// The store cannot be read at all.
    pub fn verify(&self) -> Result<VerifyReport, StorageError> {
        enact_store::verify::verify(self.storage())
    }

    /// The cache of compiled code this runtime maps components from.
    pub fn artifacts(&self) -> &Artifacts {
        &self.exec.registry.artifacts
    }
}
