//! The one place that configures wasmtime, and loading compiled code.
//!
//! Settings serve exact replay: NaNs are canonicalized, relaxed SIMD is
//! deterministic, threads and shared memory are off (wasmtime's `threads`
//! feature is not compiled in), and time limits use epoch
//! interruption (a timeout is an outcome, never a different result).

use std::hash::Hasher;
use std::time::Duration;

pub use enact_core::record::EngineInfo;
use enact_core::value::Digest;
use enact_store::StorageError;

use crate::artifacts::Artifacts;
use sha2::{Digest as _, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

/// The wasmtime version this runtime links, recorded in every invocation.
pub const WASMTIME_VERSION: &str = "48.0.8";

/// The native stack one store's wasm may use.
pub const MAX_WASM_STACK: usize = 1 << 20;

/// The native stack a thread needs to run `levels` nested invocations:
/// each nested store may use the engine's whole wasm stack, and its host
/// calls some more.
pub(crate) fn stack_for(levels: u32) -> usize {
    (MAX_WASM_STACK + (512 << 10)) * levels as usize + (8 << 20)
}

/// How often the epoch advances; wall-time limits are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// An error compiling or loading a component.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// wasmtime could not be configured.
    #[error("cannot configure wasmtime: {0:#}")]
    Config(wasmtime::Error),
    /// The bytes are not a valid component.
    #[error("invalid component: {0:#}")]
    Compile(wasmtime::Error),
    /// A cached artifact could not be loaded.
    #[error("cannot load compiled code of `{component}`: {message}")]
    Artifact {
        /// The component.
        component: Digest,
        /// What wasmtime said.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Builds the engine: deterministic settings, epoch interruption, and a ticker
/// thread that advances the epoch for as long as the engine lives.
///
/// # Errors
/// [`EngineError::Config`] when wasmtime rejects the configuration.
pub fn new_engine() -> Result<Engine, EngineError> {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .cranelift_nan_canonicalization(true)
        .relaxed_simd_deterministic(true)
        .epoch_interruption(true)
        // Fuel counts instructions: a deterministic budget, optional per invocation.
        .consume_fuel(true)
        .max_wasm_stack(MAX_WASM_STACK);
    config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pooling()));
    let engine = match Engine::new(&config) {
        Ok(engine) => engine,
        Err(e) => {
            // The pool reserves address space up front; where that is not
            // allowed (a `ulimit -v`, say), allocate on demand instead.
            tracing::warn!("pooling allocator unavailable, allocating on demand: {e:#}");
            config.allocation_strategy(wasmtime::InstanceAllocationStrategy::OnDemand);
            Engine::new(&config).map_err(EngineError::Config)?
        }
    };
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("enact-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map_err(|e| EngineError::Config(wasmtime::Error::msg(e.to_string())))?;
    Ok(engine)
}

/// The instance pool: slots are reused with copy-on-write memory images, so
/// instantiating a component costs microseconds. Sized for hundreds of
/// concurrent invocations, including large (Python, JavaScript) components.
fn pooling() -> wasmtime::PoolingAllocationConfig {
    let mut pool = wasmtime::PoolingAllocationConfig::default();
    pool.total_component_instances(1000)
        .total_core_instances(2000)
        .total_memories(1000)
        .total_tables(1000)
        // Stacks are for async execution, which enact does not use: each slot
        // costs mappings to make at start-up and to tear down at exit.
        .total_stacks(1)
        .max_memories_per_module(4)
        .max_tables_per_module(4)
        .table_elements(200_000)
        .max_core_instance_size(4 << 20)
        .max_component_instance_size(4 << 20)
        .max_memory_size(MAX_MEMORY)
        // A slot's dirty pages are reset with memset and stay resident (the
        // PAGEMAP_SCAN ioctl finds them, on Linux 6.7+), instead of an
        // madvise per instance and a page fault per page on the next use.
        .pagemap_scan(wasmtime::Enabled::Auto)
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT);
    pool
}

/// How much of each memory and table slot stays resident between instances.
const KEEP_RESIDENT: usize = 2 << 20;

/// The largest linear memory any invocation may be granted.
pub const MAX_MEMORY: usize = 4 << 30;

/// What identifies `engine` for compiled code and for the record.
pub fn engine_info(engine: &Engine) -> EngineInfo {
    struct Sha(Sha256);
    impl Hasher for Sha {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
    }
    let mut hasher = Sha(Sha256::new());
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
    hasher.0.update(WASMTIME_VERSION.as_bytes());
    EngineInfo {
        wasmtime: WASMTIME_VERSION.to_string(),
        compatibility: Digest(hasher.0.finalize().into()),
        enact: Some(env!("CARGO_PKG_VERSION").to_string()),
    }
}

/// Maps the code compiled earlier for `digest` from the cache, or compiles
/// `bytes` (the component `digest`) and caches the code for next time.
///
/// # Errors
/// [`EngineError::Compile`] for bytes that are not a valid component.
pub fn load_component(
    engine: &Engine,
    info: &EngineInfo,
    artifacts: &Artifacts,
    digest: &Digest,
    bytes: impl FnOnce() -> Result<Vec<u8>, StorageError>,
) -> Result<Component, EngineError> {
    if let Some(path) = artifacts.find(digest, &info.compatibility) {
        // SAFETY: the file was written by `Artifacts::put` with code from
        // `Engine::precompile_component` of an engine with this
        // compatibility hash (it names the file), it is unchanged since (its
        // stamp), and it is never modified in place while mapped.
        #[allow(unsafe_code, reason = "mapping code this runtime compiled itself")]
        let loaded = unsafe { Component::deserialize_file(engine, &path) };
        match loaded {
            Ok(component) => {
                tracing::debug!(%digest, "loaded compiled component");
                return Ok(component);
            }
            Err(e) => tracing::warn!(%digest, "recompiling: cached code did not load: {e:#}"),
        }
    }
    tracing::debug!(%digest, "compiling component");
    let code = engine.precompile_component(&bytes()?).map_err(EngineError::Compile)?;
    let mapped = match artifacts.put(digest, &info.compatibility, &code) {
        // SAFETY: the file was just written with code from
        // `precompile_component` on this engine.
        #[allow(unsafe_code, reason = "mapping code this runtime compiled itself")]
        Ok(path) => unsafe { Component::deserialize_file(engine, &path) },
        Err(e) => {
            tracing::warn!(%digest, "cannot keep compiled code: {e}");
            // SAFETY: `code` was just produced by `precompile_component` on this engine.
            #[allow(unsafe_code, reason = "loading code this runtime compiled itself")]
            unsafe {
                Component::deserialize(engine, &code)
            }
        }
    };
    mapped.map_err(|e| EngineError::Artifact { component: *digest, message: format!("{e:#}") })
}
