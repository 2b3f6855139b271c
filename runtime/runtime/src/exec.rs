//! Execution: run an invokable, record a new invocation or replay a
//! recorded one, seal the result as a content-addressed record, and run the
//! children a guest asks for. [`Exec`] holds what every run needs; the
//! [`Runtime`](crate::Runtime) facade above takes the per-call options.
//!
//! The journal persists through `run::RunSink` (a [`Sink`](crate::journal::Sink))
//! and the host reaches children through `tree::Invoker` (its
//! [`Children`](crate::host::Children)): both are implemented here, so the
//! layers below never call up. Submodules: `run` (one run of a guest),
//! `seal` (records), `tree` (what a tree shares, and its children).

mod run;
mod seal;
mod tree;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use enact_core::answer::{Answer, Answerer, FirstThen, InputRequest};
use enact_core::chunks::CHUNK_EVENTS;
use enact_core::event::SealedChild;
use enact_core::event::{Divergence, Event};
use enact_core::grant::Grant;
use enact_core::limits::Limits;
use enact_core::llm::Provider;
use enact_core::record::{Invocation, Outcome};
use enact_core::value::{self, Digest};
use enact_store::resolve::{self, ResolveError};
use enact_store::{Storage, StorageError, load};
use serde_json::Value;

use self::run::{RunOutcome, RunSpec, execute};
use self::seal::{seal, seal_rewound};
pub(crate) use self::tree::Tree;
use crate::error::{AddError, InvokeError, ReplayError, ResumeError, RewindError, RunError, TargetError};
use crate::observe::Observer;
use crate::registry::Registry;
use crate::sources::Sources;

/// What every run of a runtime shares: the registry, the store, the live
/// sources and the LLM provider, and the default limits.
pub(crate) struct Exec {
    pub registry: Registry,
    pub storage: Arc<Storage>,
    pub sources: Box<dyn Fn() -> Sources + Send + Sync>,
    pub llm: Option<Arc<dyn Provider>>,
    pub limits: Limits,
    /// Components every store has under these names, added on first use.
    pub builtins: Vec<(&'static str, &'static [u8])>,
    /// The journal a rewind sealed last, for the replay that continues it.
    pub rewound: RewoundJournal,
}

/// The journal of the invocation a rewind sealed last (when it is not
/// large), handed to the replay that usually follows in the same runtime,
/// which then neither reads it back nor verifies bytes this process has
/// just hashed. Taken once.
#[derive(Default)]
pub(crate) struct RewoundJournal(std::sync::Mutex<Option<Kept>>);

/// A journal's digest, its events and its chunks' digests, first to last.
type Kept = (Digest, Vec<Event>, Vec<Digest>);

impl RewoundJournal {
    /// Journals of more events are read back instead of held.
    const MAX_EVENTS: usize = 1 << 16;

    fn keep(&self, journal: Digest, events: Vec<Event>, chunks: Vec<Digest>) {
        let kept = (events.len() <= Self::MAX_EVENTS).then_some((journal, events, chunks));
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = kept;
    }

    /// The events and chunks of journal `journal`, if it is the one kept.
    fn take(&self, journal: &Digest) -> Option<(Vec<Event>, Vec<Digest>)> {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match kept.take() {
            Some((digest, events, chunks)) if digest == *journal => Some((events, chunks)),
            other => {
                *kept = other;
                None
            }
        }
    }
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
    /// Serve the journal to this component (and config, canonical JSON)
    /// instead of the recorded one: how an upgrade is checked.
    pub run_on: Option<(Digest, Option<Vec<u8>>)>,
    /// Serve only the first `k` root events, then go on live from event `k`.
    pub go_live_at: Option<u64>,
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
    /// Adds component `bytes` (whose id is `digest`), compiled once: bytes
    /// the store holds already (compiled for this engine) are not compiled
    /// again; with `name`, binds it (the caller checked the name may be bound).
    pub fn add(
        &self,
        bytes: &[u8],
        digest: &Digest,
        name: Option<&str>,
    ) -> Result<(Digest, enact_core::component::ComponentInfo), AddError> {
        let digest = *digest;
        let compatibility = self.registry.engine_info.compatibility;
        let stored = self.storage.read()?.component::<enact_core::component::ComponentInfo>(&digest)?;
        let compiled = self.registry.artifacts.contains(&digest, &compatibility);
        if let Some(info) = stored.filter(|_| compiled) {
            if let Some(name) = name {
                self.storage.write(|w| w.set_name(name, &digest))?;
            }
            return Ok((digest, info));
        }
        let compiled = self.registry.compile(bytes)?;
        let info = compiled.info.clone();
        self.registry.cache(&digest, &compiled.code);
        self.storage.write(|w| {
            w.put_blob(bytes)?;
            w.put_component(&digest, &info)?;
            if let Some(name) = name {
                w.set_name(name, &digest)?;
            }
            Ok::<_, StorageError>(())
        })?;
        self.registry.keep(compiled);
        Ok((digest, info))
    }

    /// Resolves a component name, id or unique prefix; a builtin's name the
    /// store does not know adds the builtin first.
    pub fn resolve_component(&self, target: &str) -> Result<Digest, TargetError> {
        let reader = self.storage.read().map_err(ResolveError::from)?;
        let found = resolve::component(&reader, target);
        drop(reader);
        match found {
            Err(ResolveError::NotFound { kind, target: t }) => {
                let Some((name, bytes)) = self.builtins.iter().find(|(name, _)| *name == target) else {
                    return Err(ResolveError::NotFound { kind, target: t }.into());
                };
                let digest = crate::component::component_id(bytes);
                tracing::info!("adding the builtin component `{name}`");
                let added = self.add(bytes, &digest, Some(name));
                added
                    .map(|(digest, _)| digest)
                    .map_err(|e| TargetError::Builtin { name: name.to_string(), source: Box::new(e) })
            }
            other => Ok(other?),
        }
    }

    /// The tree of a new run.
    pub fn tree(&self, answerer: Box<dyn Answerer>, observer: Arc<dyn Observer>) -> Arc<Tree> {
        Tree::new(answerer, self.llm.clone(), observer)
    }

    /// Invokes `root`, recording every nondeterministic value, and seals it.
    pub fn invoke(self: &Arc<Self>, root: Root, tree: Arc<Tree>) -> Result<Invocation, InvokeError> {
        let config = value::canonicalize(&root.config).map_err(|error| InvokeError::Json { what: "config", error })?;
        let input = value::canonicalize(&root.input).map_err(|error| InvokeError::Json { what: "input", error })?;
        self.registry.prepared(&root.component)?;
        if self.registry.declares_schemas(&root.component)?
            && let Some(info) = self.registry.info(&root.component)?
        {
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
            Ok(seal(self, &spec, result)?.0)
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
        let reader = self.storage.read()?;
        let original = load::invocation(&reader, id)?;
        let (recorded, chunks) = match self.rewound.take(&original.record.journal) {
            Some(kept) => kept,
            None => load::journal_with_chunks(&reader, &original.record)?,
        };
        drop(reader);
        Ok(self.replay_loaded(original, recorded, chunks, options, tree, 0)?.0)
    }

    /// [`Exec::replay`] of `original`, whose journal is `recorded` (stored
    /// as `chunks`, first to last, or none for a child's), as an invocation
    /// at `depth`: a child (depth > 0) that is sealed anew comes back
    /// sealed, for its caller's journal.
    pub fn replay_loaded(
        self: &Arc<Self>,
        original: Invocation,
        mut recorded: Vec<Event>,
        mut chunks: Vec<Digest>,
        options: &Rerun,
        tree: Arc<Tree>,
        depth: u32,
    ) -> Result<(Replay, Option<SealedChild>), ReplayError> {
        tree.rerun_pure.store(options.retry_failed, Ordering::Relaxed);
        let id = &original.id;
        let reader = self.storage.read()?;
        let record = &original.record;
        let finished =
            matches!(record.outcome, Outcome::Completed { .. } | Outcome::Failed { .. } | Outcome::Trapped { .. });
        let mut exact = finished;
        if let Some((index, value)) = &options.override_event {
            let len = recorded.len() as u64;
            let event = recorded.get(*index as usize).ok_or(ReplayError::NoSuchEvent { index: *index, len })?;
            let (event, blob) =
                event.with_response(value).map_err(|message| ReplayError::BadOverride { index: *index, message })?;
            if let Event::Input(call) = &event {
                // An answer overridden must fit the request as any answer does.
                let request: InputRequest =
                    value::decode_json(&call.request, "an input request", &reader.blob(&call.request)?)
                        .map_err(StorageError::from)?;
                let answer: Value = serde_json::from_slice(blob.as_deref().unwrap_or_default()).unwrap_or_default();
                request.check(&answer).map_err(|message| ReplayError::BadOverride { index: *index, message })?;
            }
            if let Some(blob) = blob {
                self.storage.write(|w| w.put_blob(&blob))?;
            }
            recorded.truncate(*index as usize);
            chunks.truncate(recorded.len() / CHUNK_EVENTS);
            recorded.push(event);
            exact = false;
        } else if let Some(k) = options.go_live_at {
            let len = recorded.len() as u64;
            if k > len {
                return Err(ReplayError::NoSuchEvent { index: k, len });
            }
            recorded.truncate(k as usize);
            exact = false;
        } else if options.retry_failed
            && let Some(first_failed) = recorded.iter().position(Event::is_failed_child)
        {
            recorded.truncate(first_failed);
            exact = false;
        }
        // Only full chunks are the same in a journal that goes on.
        chunks.truncate(recorded.len() / CHUNK_EVENTS);
        let (component, config) = match &options.run_on {
            Some((component, config)) => (
                *component,
                match config {
                    Some(config) => config.clone(),
                    None => reader.blob(&record.config)?,
                },
            ),
            None => (record.component, reader.blob(&record.config)?),
        };
        let root = RunSpec::root(component, config, reader.blob(&record.input)?, record.limits.clone(), tree);
        drop(reader);
        let stop = match &record.outcome {
            Outcome::Trapped { reason, at_event: Some(_) } if exact => Some(reason.clone()),
            _ => None,
        };
        let spec = RunSpec {
            recorded: Arc::from(recorded),
            recorded_chunks: Arc::from(chunks),
            exact,
            parent: Some(*id),
            depth,
            grants: record.grants.clone(),
            stop,
            ..root
        };
        let result = on_big_stack(&spec.limits, || execute(self, &spec))?;
        if !spec.exact {
            let (sealed, child) = seal(self, &spec, result)?;
            return Ok((Replay { invocation: sealed, identical: false }, child));
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
        Ok((Replay { invocation: original, identical: true }, None))
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
        let (header, events) = load::run(&reader, run)?
            .ok_or_else(|| ResolveError::NotFound { kind: "run", target: format!("run:{run:032x}") })?;
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
            Ok(seal(self, &spec, result)?.0)
        })?;
        self.storage.write(|w| w.remove_run(run))?;
        Ok(sealed)
    }

    /// A new, incomplete invocation whose journal is that of `id` without
    /// its last `n` events (a child counts as one).
    pub fn rewind(&self, id: &Digest, n: u64) -> Result<Invocation, RewindError> {
        let reader = self.storage.read()?;
        let original = load::invocation(&reader, id)?;
        let (mut events, mut chunks) = load::journal_with_chunks(&reader, &original.record)?;
        drop(reader);
        let len = events.len() as u64;
        if n > len {
            return Err(RewindError::TooFar { n, len });
        }
        events.truncate((len - n) as usize);
        chunks.truncate(events.len() / CHUNK_EVENTS);
        let (rewound, events, chunks) = seal_rewound(self, id, &original.record, events, chunks)?;
        self.rewound.keep(rewound.record.journal, events, chunks);
        Ok(rewound)
    }
}

/// Runs `f` on a thread whose stack holds a full tree of nested invocations:
/// each nested store may use the engine's whole wasm stack.
fn on_big_stack<T: Send>(limits: &Limits, f: impl FnOnce() -> Result<T, RunError> + Send) -> Result<T, RunError> {
    let size = crate::engine::stack_for(limits.max_depth + 1);
    std::thread::scope(|scope| {
        let handle =
            std::thread::Builder::new().name("enact-invocation".into()).stack_size(size).spawn_scoped(scope, f);
        match handle {
            Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(e) => Err(RunError::Thread(e)),
        }
    })
}
