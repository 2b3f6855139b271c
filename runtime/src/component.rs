//! Adding a component: check that it is a component of the
//! `enact:runtime/invokable` world, ask it to describe itself, and store it.

use serde::{Deserialize, Serialize};
use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker};

use crate::host::{HostState, Metadata};
use crate::storage::StorageError;
use crate::value::Digest;

/// What the store keeps about an added component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentInfo {
    /// Size in bytes.
    pub size: u64,
    /// What `describe` returned.
    pub metadata: Description,
    /// The interfaces it imports, e.g. `enact:runtime/random@0.1.0`.
    pub imports: Vec<String>,
}

/// The metadata a component gives of itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description {
    /// A short name, e.g. `dice`.
    pub name: String,
    /// What it does.
    pub doc: String,
    /// JSON Schema of the config.
    pub config_schema: Option<String>,
    /// JSON Schema of the input.
    pub input_schema: Option<String>,
    /// JSON Schema of the output.
    pub output_schema: Option<String>,
}

impl From<Metadata> for Description {
    fn from(m: Metadata) -> Self {
        Description {
            name: m.name,
            doc: m.doc,
            config_schema: m.config_schema,
            input_schema: m.input_schema,
            output_schema: m.output_schema,
        }
    }
}

/// The imports through which nondeterminism can reach a guest.
const NONDETERMINISTIC: [&str; 7] = [
    "enact:runtime/clock",
    "enact:runtime/random",
    "enact:runtime/llm",
    "enact:runtime/input",
    "enact:runtime/invoke",
    "wasi:clocks/",
    "wasi:random/",
];

impl ComponentInfo {
    /// The imports that are sources of nondeterminism, without versions.
    pub fn sources(&self) -> Vec<String> {
        let mut sources: Vec<String> = self
            .imports
            .iter()
            .filter(|i| NONDETERMINISTIC.iter().any(|n| i.starts_with(n)))
            .map(|i| i.split('@').next().unwrap_or(i).to_string())
            .collect();
        sources.dedup();
        sources
    }

    /// Checks canonical `config` and `input` against the schemas the component
    /// declared: `Err(("config" or "input", why))`.
    pub fn check_call(&self, config: &[u8], input: &[u8]) -> Result<(), (&'static str, String)> {
        for (what, schema, bytes) in
            [("config", &self.metadata.config_schema, config), ("input", &self.metadata.input_schema, input)]
        {
            let Some(schema) = schema.as_deref().and_then(|s| serde_json::from_str(s).ok()) else { continue };
            let value = serde_json::from_slice(bytes).map_err(|e| (what, e.to_string()))?;
            crate::answers::check_schema(&schema, &value).map_err(|e| (what, e))?;
        }
        Ok(())
    }

    /// Imports no source of nondeterminism: the same input always gives
    /// the same output, so a result seen before can be reused.
    pub fn is_pure(&self) -> bool {
        self.sources().is_empty()
    }
}

/// Why a component cannot be added or run.
#[derive(Debug, thiserror::Error)]
pub enum ComponentError {
    /// Not WebAssembly at all.
    #[error("not a WebAssembly binary: it does not start with `\\0asm`")]
    NotWasm,
    /// A core module.
    #[error(
        "this is a core WebAssembly module, not a component; hint: turn it into one with `wasm-tools component new`, or build for `wasm32-wasip2`"
    )]
    CoreModule,
    /// Malformed or invalid.
    #[error("invalid component: {0}")]
    Invalid(String),
    /// A required export is missing.
    #[error("component does not export `{0}`; hint: build it for the enact:runtime/invokable world")]
    MissingExport(&'static str),
    /// An export has the wrong type, or an import cannot be provided.
    #[error(
        "component does not fit the enact:runtime/invokable world: {0}; hint: build it against enact's `wit/` directory"
    )]
    WrongWorld(String),
    /// `describe` trapped or failed.
    #[error("component's `describe` failed: {0}")]
    Describe(String),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Checks the binary header: WebAssembly, and a component rather than a module.
///
/// # Errors
/// [`ComponentError::NotWasm`] or [`ComponentError::CoreModule`].
pub fn check_header(bytes: &[u8]) -> Result<(), ComponentError> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(ComponentError::NotWasm);
    }
    // version 1, layer 0 is a core module; layer 1 is a component
    if bytes[4..8] == [1, 0, 0, 0] {
        return Err(ComponentError::CoreModule);
    }
    if bytes[6..8] != [1, 0] {
        return Err(ComponentError::Invalid(format!("unknown binary layer {:?}", &bytes[4..8])));
    }
    Ok(())
}

/// Checks the exports by name (for a clear message) and lists the imports.
///
/// # Errors
/// [`ComponentError::MissingExport`] when `call` or `describe` is absent.
pub fn check_world(engine: &Engine, component: &Component) -> Result<Vec<String>, ComponentError> {
    let ty = component.component_type();
    for required in ["call", "describe"] {
        let found = ty
            .exports(engine)
            .any(|(name, item)| name == required && matches!(item.ty, ComponentItem::ComponentFunc(_)));
        if !found {
            return Err(ComponentError::MissingExport(required));
        }
    }
    Ok(ty.imports(engine).map(|(name, _)| name.to_string()).collect())
}

/// Type-checks `component` against `linker` and the world's exports.
///
/// # Errors
/// [`ComponentError::WrongWorld`] naming the import or export that does not fit.
pub fn prepare(
    linker: &Linker<HostState>,
    component: &Component,
) -> Result<crate::host::InvokablePre<HostState>, ComponentError> {
    let pre = linker.instantiate_pre(component).map_err(|e| ComponentError::WrongWorld(format!("{e:#}")))?;
    crate::host::InvokablePre::new(pre).map_err(|e| ComponentError::WrongWorld(format!("{e:#}")))
}

/// The digest of a component's bytes: its id.
pub fn component_id(bytes: &[u8]) -> Digest {
    Digest::of(bytes)
}
