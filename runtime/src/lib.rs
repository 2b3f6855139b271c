//! enact: a runtime for generative software.
//!
//! Every invokable is a WebAssembly component, named by the sha256 of its
//! bytes. Every nondeterministic value a component receives (time, random
//! numbers, and later LLM completions, human input and the results of other
//! components) passes through a [`Journal`] and is persisted in the
//! [`Storage`] before the run's outcome is acknowledged. So every execution is
//! data that can be shown, replayed exactly, and shared by hash.
//!
//! How data flows:
//!
//! ```text
//! bytes ──Runtime::add──▶ component (blob + compiled artifact, engine)
//! Runtime::invoke ──▶ invocation::run ──▶ wasmtime Store<HostState>
//!                          │                    │ host/* imports, WASI clocks+random
//!                          ▼                    ▼
//!                    Journal ◀── Sources (live)   or recorded events (replay)
//!                          │ RunSink: chunks of events, durable while running
//!                          ▼
//!                    invocation::seal ──▶ InvocationRecord blob, id = its sha256
//! ```
//!
//! Principal types: [`Runtime`] (the entry point), [`Storage`] (the redb file),
//! [`Journal`] and [`Event`], [`InvocationRecord`] and [`Outcome`], [`Digest`].
//!
//! Modules, one concept each: `value` (canonical JSON, digests), `storage`
//! (tables in `storage/tables.rs`), `engine` (wasmtime settings, compiled
//! artifacts), `component` (adding, checking, describing), `journal`,
//! `sources` (live clock and entropy), `host/*` (one per WIT interface, and
//! WASI), `invocation` (run, seal, children), `runtime` (the operations),
//! `sandbox` (limits), `grants` (directory capabilities), `answers` (who
//! answers input requests), [`llm`] (providers), `session` (driving an
//! invocation from Rust), `bundle` (export and import), `verify`, [`cli`].

mod answers;
mod bundle;
mod component;
mod engine;
mod grants;
mod host;
mod invocation;
mod journal;
mod references;
mod runtime;
mod sandbox;
mod session;
mod sources;
mod storage;
mod time;
mod value;
mod verify;

pub mod cli;
pub mod llm;

pub use answers::{
    Answer, Answerer, FileAnswers, FirstThen, InputRequest, LlmAnswers, NoAnswers, Terminal, parse_answer,
};
pub use bundle::{BundleError, BundleSummary};
pub use component::{ComponentError, ComponentInfo, Description, check_header};
pub use engine::{EngineError, EngineInfo, WASMTIME_VERSION};
pub use grants::{DirGrant, Grant, GrantError};
pub use host::LogLine;
pub use invocation::{
    ErrorRecord, Invocation, InvocationEntry, InvocationRecord, Outcome, RunHeader, journal_of, logs_of,
};
pub use journal::{
    ChildCall, ChildResult, Divergence, Event, FLUSH_EVERY, InputCall, Journal, JournalError, LlmCall, Request,
    decode_events, encode_events,
};
pub use references::{Kind as ReferenceKind, Reference, walk as references_of};
pub use runtime::{Replay, ReplayOptions, Runtime, RuntimeError, default_home, store_path};
pub use sandbox::{Limits, human_bytes};
pub use session::{Session, Step};
pub use sources::{Clock, Sources};
pub use storage::{DigestTable, Reader, Storage, StorageError, Writer};
pub use time::rfc3339;
pub use value::{Digest, InvalidJson, ParseDigestError, canonical_bytes, canonical_record, canonicalize};
pub use verify::VerifyReport;
