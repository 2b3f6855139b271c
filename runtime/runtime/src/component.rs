//! Adding a component: check that it is a component of the
//! `enact:runtime/invokable` world (then ask it to describe itself) or a
//! plain WASI program of `wasi:cli/command`, and store it.

use enact_core::component::{Description, World};
use enact_core::value::Digest;
use enact_store::StorageError;
use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker};

use crate::host::{HostState, Metadata};

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

/// Why a component cannot be added or run.
#[derive(Debug, thiserror::Error)]
pub enum ComponentError {
    /// Not WebAssembly at all.
    #[error("not a WebAssembly binary: it does not start with `\\0asm`")]
    NotWasm,
    /// A core module.
    #[error(
        "this is a core WebAssembly module, not a component: it is no WASI preview 1 program (it exports no `_start`) and carries no WIT world (no `component-type` section)"
    )]
    CoreModule,
    /// Malformed or invalid.
    #[error("invalid component: {0}")]
    Invalid(String),
    /// A required export is missing.
    #[error("component does not export `{0}`")]
    MissingExport(&'static str),
    /// An export has the wrong type, or an import cannot be provided.
    #[error("component does not fit the enact:runtime/invokable world: {0}")]
    WrongWorld(String),
    /// `describe` trapped or failed.
    #[error("component's `describe` failed: {0}")]
    Describe(String),
    /// `describe` asked for a nondeterministic value.
    #[error("component's `describe` asked for `{0}`: a description must follow from the component's bytes alone")]
    ImpureDescribe(String),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Whether `bytes` are a core WebAssembly module (version 1, layer 0).
pub fn is_core_module(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[..4] == b"\0asm" && bytes[4..8] == [1, 0, 0, 0]
}

/// A core module as a component, made with the official preview 1 adapter of
/// this wasmtime; the same module always makes the same component. Two kinds
/// are taken:
/// - a WASI preview 1 program (it exports `_start`) becomes a component of
///   `wasi:cli/command`, with the command adapter;
/// - a module built against a WIT world with bindings that embed the world's
///   type (a `component-type` custom section, as wit-bindgen's bindings for
///   C, Zig or Go do) becomes a component of that world, its preview 1
///   imports served by the reactor adapter.
///
/// # Errors
/// [`ComponentError::CoreModule`] for a module of neither kind,
/// [`ComponentError::Invalid`] when the adapter refuses it.
pub fn adapt_preview1(bytes: &[u8]) -> Result<Vec<u8>, ComponentError> {
    use wasi_preview1_component_adapter_provider::{
        WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
        WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
    };
    let module = CoreModule::read(bytes);
    let adapter = if module.exports.iter().any(|name| name == "_start") {
        WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER
    } else if module.embeds_world {
        WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER
    } else {
        return Err(ComponentError::CoreModule);
    };
    let encoder = wit_component::ComponentEncoder::default()
        .module(bytes)
        .and_then(|e| e.adapter(WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, adapter));
    let mut encoder =
        encoder.map_err(|e| ComponentError::Invalid(format!("cannot adapt the preview 1 module: {e:#}")))?;
    encoder.encode().map_err(|e| ComponentError::Invalid(format!("cannot adapt the preview 1 module: {e:#}")))
}

/// What [`adapt_preview1`] reads of a core module.
struct CoreModule {
    exports: Vec<String>,
    /// Whether it carries a WIT world's type for the component encoder.
    embeds_world: bool,
}

impl CoreModule {
    fn read(bytes: &[u8]) -> Self {
        let mut module = CoreModule { exports: Vec::new(), embeds_world: false };
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            match payload {
                Ok(wasmparser::Payload::ExportSection(exports)) => {
                    module.exports.extend(exports.into_iter().flatten().map(|e| e.name.to_string()));
                }
                Ok(wasmparser::Payload::CustomSection(section)) if section.name().starts_with("component-type") => {
                    module.embeds_world = true;
                }
                _ => {}
            }
        }
        module
    }
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

/// A component ready to instantiate, of its world.
#[derive(Clone)]
pub enum Pre {
    /// An enact invokable.
    Invokable(crate::host::InvokablePre<HostState>),
    /// A plain WASI program.
    Command(wasmtime_wasi::p2::bindings::sync::CommandPre<HostState>),
}

/// Checks the exports by name (for a clear message), and returns the
/// component's world and its imports.
///
/// # Errors
/// [`ComponentError::MissingExport`] when `call` or `describe` is absent
/// from a component that is no WASI program either.
pub fn check_world(engine: &Engine, component: &Component) -> Result<(World, Vec<String>), ComponentError> {
    let ty = component.component_type();
    let imports = ty.imports(engine).map(|(name, _)| name.to_string()).collect();
    let has = |wanted: &str| ty.exports(engine).any(|(name, _)| name == wanted);
    if !has("call") && !has("describe") && ty.exports(engine).any(|(name, _)| name.starts_with("wasi:cli/run@")) {
        return Ok((World::Command, imports));
    }
    for required in ["call", "describe"] {
        let found = ty
            .exports(engine)
            .any(|(name, item)| name == required && matches!(item.ty, ComponentItem::ComponentFunc(_)));
        if !found {
            return Err(ComponentError::MissingExport(required));
        }
    }
    Ok((World::Invokable, imports))
}

/// Type-checks `component` against `linker` and the world's exports.
///
/// # Errors
/// [`ComponentError::WrongWorld`] naming the import or export that does not fit.
pub fn prepare(linker: &Linker<HostState>, component: &Component, world: World) -> Result<Pre, ComponentError> {
    let wrong = |e: wasmtime::Error| ComponentError::WrongWorld(format!("{e:#}"));
    let pre = linker.instantiate_pre(component).map_err(wrong)?;
    Ok(match world {
        World::Invokable => Pre::Invokable(crate::host::InvokablePre::new(pre).map_err(wrong)?),
        World::Command => Pre::Command(wasmtime_wasi::p2::bindings::sync::CommandPre::new(pre).map_err(wrong)?),
    })
}

/// What a WASI program says of itself, for it says nothing: its config,
/// input and output, as the command world runs it.
pub fn program_description() -> Description {
    Description {
        name: "program".into(),
        doc: "a plain WASI program: config {args, env}, input its stdin, output {exit, stdout, stderr}".into(),
        config_schema: Some(
            r#"{"type":"object","properties":{"args":{"type":"array","items":{"type":"string"}},"env":{"type":"object","additionalProperties":{"type":"string"}}},"additionalProperties":false}"#.into(),
        ),
        input_schema: Some(r#"{"type":["string","null"]}"#.into()),
        output_schema: Some(
            r#"{"type":"object","properties":{"exit":{"type":"integer"},"stdout":{"type":"string"},"stderr":{"type":"string"}}}"#.into(),
        ),
    }
}

/// The digest of a component's bytes: its id.
pub fn component_id(bytes: &[u8]) -> Digest {
    Digest::of(bytes)
}
