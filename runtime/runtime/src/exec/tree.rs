//! The invocation tree: what its runs share, and the children a guest asks
//! for, run or continued through the host's [`Children`].

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use enact_core::answer::{Answer, Answerer, InputRequest};
use enact_core::event::{ChildCall, ChildResult, Event, Sealed, SealedChild};
use enact_core::limits::Limits;
use enact_core::llm::Provider;
use enact_core::record::{ErrorRecord, Outcome};
use enact_core::value::{Digest, Hashed};
use enact_store::load::Packs;
use enact_store::resolve::ResolveError;
use enact_store::{Reader, StorageError, Writer};

use super::run::{RunOutcome, RunSpec, execute};
use super::seal::{SealWrites, apply_all, memo_key, seal};
use super::{Exec, Rerun};
use crate::error::{ReplayError, RunError, TargetError};
use crate::host::{ChildError, ChildOutcome, Children, Tighter};
use crate::observe::Observer;

/// What every invocation of one tree shares: counters, child seals waiting
/// for the next commit, the sources of answers and completions, and who
/// watches.
pub(crate) struct Tree {
    children: AtomicU64,
    pub(super) pending: Mutex<Vec<SealWrites>>,
    pub answerer: Mutex<Box<dyn Answerer>>,
    pub llm: Option<Arc<dyn Provider>>,
    pub observer: Arc<dyn Observer>,
    /// Run pure children even when the store knows their result (a retry).
    pub rerun_pure: AtomicBool,
    /// Blobs the tree's children queued already: a tree's children mostly
    /// repeat their config, input and output (a die has six faces).
    queued: Mutex<HashSet<Digest>>,
    /// The invokable of each (component, config) a child ran.
    invokables: Mutex<HashMap<(Digest, Digest), Digest>>,
    /// What each target its children named resolved to: a tree sees one
    /// binding of a name, the first.
    targets: Mutex<HashMap<String, Digest>>,
    /// The config each named invokable a child called runs with (`None`: a component's name).
    named: Mutex<HashMap<String, Option<Digest>>>,
    /// How long each child the tree ran took, in µs: stored beside the root.
    timings: Mutex<Vec<(Digest, u64)>>,
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
            queued: Mutex::default(),
            invokables: Mutex::default(),
            targets: Mutex::default(),
            named: Mutex::default(),
            timings: Mutex::default(),
        })
    }

    /// Child `id` took `took_us` to run.
    pub(super) fn timed(&self, id: Digest, took_us: u64) {
        self.timings.lock().unwrap_or_else(|p| p.into_inner()).push((id, took_us));
    }

    /// The children's timings so far, taken.
    pub(super) fn take_timings(&self) -> Vec<(Digest, u64)> {
        std::mem::take(&mut *self.timings.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The component `target` resolved to for an earlier child of the tree.
    fn resolved(&self, target: &str) -> Option<Digest> {
        self.targets.lock().unwrap_or_else(|p| p.into_inner()).get(target).copied()
    }

    /// Remembers that `target` resolved to `component`.
    fn resolves(&self, target: &str, component: Digest) {
        let mut targets = self.targets.lock().unwrap_or_else(|p| p.into_inner());
        if !targets.contains_key(target) {
            targets.insert(target.to_string(), component);
        }
    }

    /// Whether no child of the tree queued blob `digest` before (it is now).
    pub fn first_queued(&self, digest: Digest) -> bool {
        self.queued.lock().unwrap_or_else(|p| p.into_inner()).insert(digest)
    }

    /// The invokable of `component` with `config`, made by `make` the first time.
    pub fn invokable(&self, component: Digest, config: Digest, make: impl FnOnce() -> Digest) -> Digest {
        let mut invokables = self.invokables.lock().unwrap_or_else(|p| p.into_inner());
        *invokables.entry((component, config)).or_insert_with(make)
    }

    /// Queues `bytes` for the tree's next commit, once per tree.
    pub fn keep_blob(&self, bytes: &[u8]) {
        let digest = Digest::of(bytes);
        if self.first_queued(digest) {
            self.pending.lock().unwrap_or_else(|p| p.into_inner()).push(SealWrites::one_blob(digest, bytes.to_vec()));
        }
    }

    /// A blob a pending child seal holds.
    pub fn pending_blob(&self, digest: &Digest) -> Option<Vec<u8>> {
        let pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.iter().find_map(|writes| writes.blob(digest)).map(<[u8]>::to_vec)
    }

    /// Applies and clears the pending child seals in `w`'s transaction.
    pub fn drain_pending(&self, w: &mut Writer) -> Result<(), StorageError> {
        let writes = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        apply_all(writes, w)
    }
}

/// Runs a child invocation for `invoke.call` and returns the parent's event,
/// with the child's output when it completed.
///
/// # Errors
/// A depth or children limit (a trap in the caller), or a host failure.
fn run_child(
    invoker: &Invoker,
    target: String,
    config: Hashed,
    input: Hashed,
    tighter: &Tighter,
) -> Result<ChildOutcome, ChildError> {
    let ex = &invoker.exec;
    let limits = &tighter.apply(&invoker.limits);
    if invoker.depth + 1 > limits.max_depth {
        return Err(ChildError::Limit(format!("child depth limit of {} exceeded", limits.max_depth)));
    }
    if invoker.tree.children.fetch_add(1, Ordering::Relaxed) >= limits.max_children {
        return Err(ChildError::Limit(format!("limit of {} child invocations exceeded", limits.max_children)));
    }
    let fault = |e: RunError| ChildError::Fault(Box::new(e));
    let call = ChildCall {
        config: config.digest,
        input: input.digest,
        target,
        component: None,
        child: None,
        result: ChildResult::Incomplete,
        memoized: false,
        sealed: None,
    };
    let resolved = match invoker.tree.resolved(&call.target) {
        Some(component) => Ok(component),
        None => {
            let resolved = ex.resolve_component(&call.target);
            if let Ok(component) = &resolved {
                invoker.tree.resolves(&call.target, *component);
            }
            resolved
        }
    };
    let component = match resolved {
        Ok(component) => component,
        Err(TargetError::Resolve(e @ (ResolveError::NotFound { .. } | ResolveError::Ambiguous { .. }))) => {
            let error = ErrorRecord { code: "unknown-target".into(), message: e.to_string(), details: None };
            let call = ChildCall { result: ChildResult::Failed(error), ..call };
            return Ok(ChildOutcome { event: Event::Invoke(Box::new(call)), output: None, awaiting: None });
        }
        Err(TargetError::Resolve(ResolveError::Storage(e))) => return Err(fault(e.into())),
        Err(e) => return Err(fault(RunError::Host(Box::new(e)))),
    };
    // A named invokable runs with its own config; its caller gives none.
    let named = named_config(invoker, &call.target).map_err(|e| fault(e.into()))?;
    let config = match named {
        None => config,
        Some(named) if config.bytes == b"{}" => {
            // The call names the config its caller gave, which the store keeps as any blob a journal names.
            invoker.tree.keep_blob(&config.bytes);
            Hashed { bytes: invoker.blob(&named).map_err(|e| fault(e.into()))?, digest: named }
        }
        Some(_) => {
            let error = ErrorRecord {
                code: "invalid-config".into(),
                message: format!("`{}` names an invokable with a config of its own: call it with none", call.target),
                details: None,
            };
            let call = ChildCall { component: Some(component), result: ChildResult::Failed(error), ..call };
            return Ok(ChildOutcome { event: Event::Invoke(Box::new(call)), output: None, awaiting: None });
        }
    };
    let pure = ex.registry.is_pure(&component).map_err(|e| fault(e.into()))?;
    // A child under tighter limits may end otherwise than the one remembered.
    let reuse = pure && !invoker.tree.rerun_pure.load(Ordering::Relaxed) && *tighter == Tighter::default();
    let earlier =
        if reuse { memoized(ex, &memo_key(&component, &config.digest, &call.input)).map_err(fault)? } else { None };
    if let Some(sealed) = earlier {
        let output = match &sealed.record.outcome {
            Outcome::Completed { output } => Some(invoker.blob(output).map_err(|e| fault(e.into()))?),
            _ => None,
        };
        let call = ChildCall {
            component: Some(component),
            child: Some(sealed.id),
            result: child_result(sealed.record.outcome.clone()),
            memoized: true,
            sealed: Some(Sealed::Inline(Arc::new(sealed))),
            ..call
        };
        return Ok(ChildOutcome { event: Event::Invoke(Box::new(call)), output, awaiting: None });
    }
    let spec = RunSpec {
        component,
        config,
        input,
        limits: limits.clone(),
        recorded: Arc::from(Vec::new()),
        recorded_chunks: Arc::from(Vec::new()),
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
    let (child, sealed) = seal(ex, &spec, result).map_err(fault)?;
    let call = ChildCall {
        component: Some(component),
        child: Some(child.id),
        result: child_result(child.record.outcome),
        sealed: sealed.map(|sealed| Sealed::Inline(Arc::new(sealed))),
        ..call
    };
    Ok(ChildOutcome { event: Event::Invoke(Box::new(call)), output, awaiting })
}

/// The config of the invokable `target` names, if it names one (not a
/// component): read once per tree.
fn named_config(invoker: &Invoker, target: &str) -> Result<Option<Digest>, StorageError> {
    if let Some(known) = invoker.tree.named.lock().unwrap_or_else(|p| p.into_inner()).get(target) {
        return Ok(*known);
    }
    let config = invoker.exec.storage.read()?.invokable_name(target)?.map(|(_, config)| config);
    invoker.tree.named.lock().unwrap_or_else(|p| p.into_inner()).insert(target.to_string(), config);
    Ok(config)
}

/// The earlier invocation a pure component gave for `key`, if the store has one.
fn memoized(ex: &Exec, key: &Digest) -> Result<Option<SealedChild>, RunError> {
    let reader = ex.storage.read()?;
    let Some(bytes) = reader.memo(key)? else { return Ok(None) };
    let undecodable = |message: String| StorageError::Decode { table: "memo", key: key.to_string(), message };
    Ok(Some(SealedChild::decode_bytes(&bytes).map_err(|e| undecodable(e.to_string()))?))
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
    let Some(sealed) = &recorded.sealed else {
        unreachable!("only recorded children that ran are continued, and each is sealed in its call");
    };
    let sealed = match sealed {
        Sealed::Inline(child) => child.clone(),
        Sealed::Packed { .. } => Packs::new(invoker.reader()?).get(sealed)?,
    };
    let original = sealed.invocation(None);
    let journal = sealed.journal.clone();
    let depth = invoker.depth + 1;
    let (continued, sealed) =
        match invoker.exec.replay_loaded(original, journal, Vec::new(), &Rerun::default(), invoker.tree.clone(), depth)
        {
            Ok(replayed) => replayed,
            Err(ReplayError::Run(e)) => return Err(e),
            Err(e) => return Err(RunError::Host(Box::new(e))),
        };
    let continued = continued.invocation;
    // Sealed just now: waiting for the tree's next commit, or written.
    let sealed_blob = |digest: &Digest| -> Result<Vec<u8>, StorageError> {
        match invoker.tree.pending_blob(digest) {
            Some(bytes) => Ok(bytes),
            None => invoker.exec.storage.read()?.blob(digest),
        }
    };
    let (output, awaiting) = match &continued.record.outcome {
        Outcome::Completed { output } => (Some(sealed_blob(output)?), None),
        Outcome::AwaitingInput { request } => (None, Some(sealed_blob(request)?)),
        _ => (None, None),
    };
    let call = ChildCall {
        child: Some(continued.id),
        result: child_result(continued.record.outcome),
        sealed: sealed.map(|sealed| Sealed::Inline(Arc::new(sealed))).or(recorded.sealed.clone()),
        ..recorded
    };
    Ok(ChildOutcome { event: Event::Invoke(Box::new(call)), output, awaiting })
}

/// What a running invocation reaches beyond its journal: the host's
/// [`Children`].
pub(super) struct Invoker {
    pub exec: Arc<Exec>,
    pub depth: u32,
    pub tree: Arc<Tree>,
    pub limits: Limits,
    /// One snapshot for reading recorded blobs during a replay.
    pub reader: OnceLock<Reader>,
    /// Blobs already read (and verified) in this replay: children often
    /// repeat an output (a die has six).
    pub outputs: Mutex<HashMap<Digest, Vec<u8>>>,
}

impl Invoker {
    /// The replay's snapshot, taken the first time it is needed.
    fn reader(&self) -> Result<&Reader, StorageError> {
        if self.reader.get().is_none() {
            let reader = self.exec.storage.read()?;
            let _ = self.reader.set(reader);
        }
        Ok(self.reader.get().expect("set above"))
    }
}

impl Children for Invoker {
    fn run_limited(
        &self,
        target: String,
        config: Hashed,
        input: Hashed,
        tighter: &Tighter,
    ) -> Result<ChildOutcome, ChildError> {
        run_child(self, target, config, input, tighter)
    }

    fn resume(&self, recorded: ChildCall) -> Result<ChildOutcome, ChildError> {
        continue_child(self, recorded).map_err(|e| ChildError::Fault(Box::new(e)))
    }

    fn blob(&self, digest: &Digest) -> Result<Vec<u8>, StorageError> {
        let mut outputs = self.outputs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bytes) = outputs.get(digest) {
            return Ok(bytes.clone());
        }
        let bytes = self.reader()?.blob(digest)?;
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

    fn levels_below(&self) -> u32 {
        self.limits.max_depth.saturating_sub(self.depth)
    }
}
