//! enact-runtime: runs WebAssembly components with every nondeterministic
//! value journaled.
//!
//! Its modules form layers, each using only those listed before it:
//!
//! ```text
//! artifacts   compiled code cached as files of this machine, mapped
//! engine      wasmtime settings, loading compiled code
//! sandbox     limits as wasmtime applies them
//! sources     the live clock and entropy
//! observe     the Observer of a run
//! journal     Journal: recorded events, then live ones, persisted through a Sink
//! host        one module per WIT interface and journaled WASI; reaches the
//!             rest of the tree through Children
//! component   checking a component against the world
//! grants      granted directories: snapshots and private copies
//! registry    the engine, the linker and the prepared components
//! error       the errors, one per operation
//! exec        running, sealing, replaying; implements Sink and Children
//! runtime     the Runtime facade, built once, with per-call options
//! session     driving an invocation from Rust
//! ```
//!
//! How data flows through one invocation:
//!
//! ```text
//! Runtime::invoke(Call) ──▶ exec::run ──▶ wasmtime Store<HostState>
//!                              │               │ host/* imports, WASI clocks, random, timers
//!                              ▼               ▼
//!                        Journal ◀── Sources (live)   or recorded events (replay)
//!                              │ Sink (exec::RunSink): chunks of events, durable while running
//!                              ▼
//!                        exec::seal ──▶ InvocationRecord blob, id = its sha256
//! ```

mod artifacts;
mod component;
mod engine;
mod error;
mod exec;
mod grants;
mod host;
mod journal;
mod observe;
mod registry;
mod runtime;
mod sandbox;
mod session;
mod sources;

pub use artifacts::{Artifacts, artifacts_path};
pub use component::{ComponentError, check_header, component_id};
pub use engine::{EngineError, MAX_MEMORY, WASMTIME_VERSION, new_engine};
pub use error::{
    AddError, InvokeError, NameError, OpenError, ReplayError, ResumeError, RewindError, RunError, SessionError,
    TargetError,
};
pub use exec::Replay;
pub use grants::GrantError;
pub use journal::{FLUSH_EVERY, Journal, JournalError, Sink};
pub use observe::{Observer, Unobserved};
pub use registry::PrepareError;
pub use runtime::{Builder, Call, ReplayOptions, Runtime, store_path};
pub use session::{Session, Step};
pub use sources::{Clock, MONOTONIC_START, Sources};
