//! The component registry: the engine, the linker, and every component the
//! runtime has prepared (compiled, linked, type-checked), with what follows
//! from their bytes (name, purity), cached.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use enact_core::component::{ComponentInfo, Description};
use enact_core::limits::Limits;
use enact_core::value::Digest;
use enact_store::{Storage, StorageError};
use wasmtime::Engine;
use wasmtime::component::Linker;

use crate::artifacts::Artifacts;
use crate::component::{self, ComponentError, Pre};
use crate::engine::{self, EngineError, EngineInfo};
use crate::host::{self, AskedWhileDescribing, HostState, InvokablePre};
use crate::journal::Journal;
use crate::sandbox::Sandbox;
use crate::sources::Sources;
use enact_core::component::World;

/// The engine and the prepared components.
pub(crate) struct Registry {
    pub engine: Engine,
    pub engine_info: EngineInfo,
    pub artifacts: Artifacts,
    linker: Linker<HostState>,
    storage: Arc<Storage>,
    prepared: Mutex<HashMap<Digest, Pre>>,
    summaries: Mutex<HashMap<Digest, Summary>>,
    instantiations: AtomicU64,
}

/// What the registry remembers of a component: all follows from its bytes,
/// so a cached summary never goes stale.
#[derive(Clone)]
struct Summary {
    name: String,
    pure: bool,
    schemas: bool,
}

impl Registry {
    /// A new engine and linker over `storage`.
    pub fn new(storage: Arc<Storage>, artifacts: Artifacts) -> Result<Registry, EngineError> {
        let engine = engine::new_engine()?;
        let linker = host::linker(&engine).map_err(EngineError::Config)?;
        Ok(Registry {
            engine_info: engine::engine_info(&engine),
            artifacts,
            engine,
            linker,
            storage,
            prepared: Mutex::new(HashMap::new()),
            summaries: Mutex::new(HashMap::new()),
            instantiations: AtomicU64::new(0),
        })
    }

    /// Compiles `bytes`, checks it is an invokable component, asks it to
    /// describe itself, and returns what to store; nothing is written.
    pub fn compile(&self, bytes: &[u8]) -> Result<Compiled, ComponentError> {
        component::check_header(bytes)?;
        let digest = component::component_id(bytes);
        tracing::debug!(%digest, "compiling component");
        let code = self.engine.precompile_component(bytes).map_err(|e| ComponentError::Invalid(format!("{e:#}")))?;
        // SAFETY: `code` was just produced by `precompile_component` on this engine.
        #[allow(unsafe_code, reason = "loading code this runtime compiled itself")]
        let loaded = unsafe { wasmtime::component::Component::deserialize(&self.engine, &code) };
        let compiled = loaded.map_err(|e| ComponentError::Invalid(format!("{e:#}")))?;
        let (world, imports) = component::check_world(&self.engine, &compiled)?;
        let pre = component::prepare(&self.linker, &compiled, world)?;
        let metadata = match &pre {
            Pre::Invokable(pre) => self.describe(pre)?,
            Pre::Command(_) => component::program_description(),
        };
        let info = ComponentInfo { size: bytes.len() as u64, metadata, imports, world };
        Ok(Compiled { digest, code, info, pre })
    }

    /// Writes compiled code to the cache; a cache that cannot be written
    /// costs a compile in the next process, nothing else.
    pub fn cache(&self, digest: &Digest, code: &[u8]) {
        if let Err(e) = self.artifacts.put(digest, &self.engine_info.compatibility, code) {
            tracing::warn!(%digest, "cannot keep compiled code: {e}");
        }
    }

    /// Keeps a compiled component prepared, once it is stored.
    pub fn keep(&self, compiled: Compiled) {
        self.lock_prepared().insert(compiled.digest, compiled.pre);
    }

    /// Calls `describe` in a throwaway sandbox with nothing persisted and no
    /// live source, so that a description follows from the component's bytes:
    /// enact's own imports are refused, and WASI's clocks and random (which
    /// a language runtime reads as it starts) come from fixed sources.
    fn describe(&self, pre: &InvokablePre<HostState>) -> Result<Description, ComponentError> {
        let limits = Limits::default();
        let journal = Journal::new(Arc::from(Vec::new()), Sources::seeded(0), limits.journal_events);
        let journal = Arc::new(Mutex::new(journal));
        let mut store = wasmtime::Store::new(&self.engine, HostState::new(journal, &limits, None, &[], None));
        store.limiter(|s| &mut s.limits);
        limits.arm(&mut store);
        let described = pre.instantiate(&mut store).and_then(|instance| instance.call_describe(&mut store));
        if let Some(fault) = store.data_mut().take_fault() {
            return Err(match fault.downcast::<AskedWhileDescribing>() {
                Ok(asked) => ComponentError::ImpureDescribe(asked.0),
                Err(fault) => ComponentError::Describe(fault.to_string()),
            });
        }
        let metadata = described
            .map_err(|e| ComponentError::Describe(limits.reason(&e).unwrap_or_else(|| e.root_cause().to_string())))?;
        Ok(metadata.into())
    }

    /// What the store knows of component `digest`.
    pub fn info(&self, digest: &Digest) -> Result<Option<ComponentInfo>, StorageError> {
        self.storage.read()?.component(digest)
    }

    /// The component's name from `describe`, else its short id.
    pub fn name(&self, digest: &Digest) -> String {
        match self.summary(digest) {
            Ok(Some(summary)) if !summary.name.is_empty() => summary.name,
            _ => digest.short(),
        }
    }

    /// Whether the component imports no source of nondeterminism (false when
    /// the store does not have it).
    pub fn is_pure(&self, digest: &Digest) -> Result<bool, StorageError> {
        Ok(self.summary(digest)?.is_some_and(|summary| summary.pure))
    }

    /// Whether the component declares a schema for its config or input (false
    /// when the store does not have it): a call to it is checked then.
    pub fn declares_schemas(&self, digest: &Digest) -> Result<bool, StorageError> {
        Ok(self.summary(digest)?.is_some_and(|summary| summary.schemas))
    }

    /// The component's name, purity and whether it declares schemas, read from the store once.
    fn summary(&self, digest: &Digest) -> Result<Option<Summary>, StorageError> {
        let mut summaries = self.summaries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(summary) = summaries.get(digest) {
            return Ok(Some(summary.clone()));
        }
        let Some(info) = self.info(digest)? else { return Ok(None) };
        let schemas = info.metadata.config_schema.is_some() || info.metadata.input_schema.is_some();
        let summary = Summary { pure: info.is_pure(), name: info.metadata.name, schemas };
        summaries.insert(*digest, summary.clone());
        Ok(Some(summary))
    }

    fn lock_prepared(&self) -> MutexGuard<'_, HashMap<Digest, Pre>> {
        self.prepared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The prepared (compiled, linked, type-checked) component `digest`,
    /// loading its compiled code from the store (or compiling it) once.
    pub fn prepared(&self, digest: &Digest) -> Result<Pre, PrepareError> {
        if let Some(pre) = self.lock_prepared().get(digest) {
            return Ok(pre.clone());
        }
        let component = engine::load_component(&self.engine, &self.engine_info, &self.artifacts, digest, || {
            self.storage.read()?.blob(digest)
        })?;
        let world = self.info(digest).ok().flatten().map_or(World::Invokable, |info| info.world);
        let pre = component::prepare(&self.linker, &component, world)?;
        self.lock_prepared().insert(*digest, pre.clone());
        Ok(pre)
    }

    /// Counts one more instance.
    pub fn count_instantiation(&self) {
        self.instantiations.fetch_add(1, Ordering::Relaxed);
    }

    /// Instances created so far.
    pub fn instantiations(&self) -> u64 {
        self.instantiations.load(Ordering::Relaxed)
    }
}

/// A compiled component, checked and described, not yet stored.
pub(crate) struct Compiled {
    pub digest: Digest,
    pub code: Vec<u8>,
    pub info: ComponentInfo,
    pre: Pre,
}

/// Why a stored component cannot be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// wasmtime could not compile or load it.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// It does not fit the world.
    #[error(transparent)]
    Component(#[from] ComponentError),
}
