//! The errors of the runtime's operations.

use enact_core::event::Divergence;
use enact_core::value::{Digest, InvalidJson};
use enact_store::StorageError;
use enact_store::resolve::ResolveError;

use crate::component::ComponentError;
use crate::engine::EngineError;
use crate::grants::GrantError;
use crate::host::Fault;
use crate::journal::JournalError;
use crate::registry::PrepareError;

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
    /// A name, id or prefix that matches nothing, or more than one thing.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The journal could not be kept.
    #[error(transparent)]
    Journal(JournalError),
    /// A directory that cannot be granted.
    #[error(transparent)]
    Grant(#[from] GrantError),
    /// Config or input that does not fit the component's schema.
    #[error("{what} does not fit the component's schema: {message}")]
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
    #[error("{0}")]
    BadAnswer(String),
    /// A resume of an invocation awaiting input, without an answer.
    #[error("invocation `{0}` awaits input")]
    AnswerNeeded(Digest),
    /// An answer for an invocation that awaits none.
    #[error("invocation `{0}` is incomplete but awaits no input")]
    NotAwaiting(Digest),
    /// A resume of an invocation that finished.
    #[error("invocation `{id}` is {status}: there is nothing to resume")]
    Finished {
        /// The invocation.
        id: Digest,
        /// Its status.
        status: &'static str,
    },
    /// A thread to run an invocation on could not be started.
    #[error("cannot start a thread for the invocation: {0}")]
    Thread(String),
    /// A limit of the invocation tree (depth, children) was exceeded.
    #[error("{0}")]
    Limit(String),
    /// An invalid name.
    #[error("`{0}` is not a valid name: use letters, digits, `-`, `_` and `.`, starting with a letter")]
    BadName(String),
    /// Another failure of the host, kept with its source.
    #[error("{0}")]
    Host(Fault),
}

impl RuntimeError {
    /// The operation's error for a host fault that stopped a guest.
    pub(crate) fn from_fault(fault: Fault) -> RuntimeError {
        let fault = match fault.downcast::<RuntimeError>() {
            Ok(error) => return *error,
            Err(fault) => fault,
        };
        match fault.downcast::<StorageError>() {
            Ok(error) => RuntimeError::Storage(*error),
            Err(fault) => RuntimeError::Host(fault),
        }
    }
}

impl From<PrepareError> for RuntimeError {
    fn from(e: PrepareError) -> Self {
        match e {
            PrepareError::Engine(e) => RuntimeError::Engine(e),
            PrepareError::Component(e) => RuntimeError::Component(e),
        }
    }
}
