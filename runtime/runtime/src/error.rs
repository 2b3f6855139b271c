//! The errors of the runtime's operations, one type per operation, each
//! keeping its sources. None of them is the guest's failure: a guest that
//! fails or traps is an outcome, sealed in the invocation.

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

/// Why a run could not be carried out: a failure of the host, or a replay
/// that asked for something other than its journal holds.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The component could not be loaded and prepared.
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// A granted directory could not be snapshotted or copied.
    #[error(transparent)]
    Grant(#[from] GrantError),
    /// A replay diverged from its journal (the root's, or a continued child's).
    #[error(transparent)]
    Divergence(#[from] Divergence),
    /// The journal could not be persisted.
    #[error(transparent)]
    Journal(JournalError),
    /// A thread to run the invocation on could not be started.
    #[error("cannot start a thread for the invocation: {0}")]
    Thread(#[source] std::io::Error),
    /// Another failure of the host, kept with its source.
    #[error("{0}")]
    Host(Fault),
}

impl RunError {
    /// The run's error for a host fault that stopped a guest.
    pub(crate) fn from_fault(fault: Fault) -> RunError {
        let fault = match fault.downcast::<RunError>() {
            Ok(error) => return *error,
            Err(fault) => fault,
        };
        match fault.downcast::<StorageError>() {
            Ok(error) => RunError::Storage(*error),
            Err(fault) => RunError::Host(fault),
        }
    }
}

/// Why a component could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The name it was to get cannot be bound.
    #[error(transparent)]
    Name(#[from] NameError),
    /// The bytes are not an invokable component.
    #[error(transparent)]
    Component(#[from] ComponentError),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why a target names no component.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// No component, or several, match.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// A builtin component could not be added on first use.
    #[error("cannot add the builtin component `{name}`: {source}")]
    Builtin {
        /// Its name.
        name: String,
        /// Why.
        source: Box<AddError>,
    },
}

/// Why a name could not be bound.
#[derive(Debug, thiserror::Error)]
pub enum NameError {
    /// An invalid name.
    #[error("`{0}` is not a valid name: use letters, digits, `-`, `_` and `.`, starting with a letter")]
    Invalid(String),
    /// A word that means something else where invocations are named.
    #[error("`{0}` is reserved: it names the latest invocation")]
    Reserved(String),
    /// A name made of hex digits alone, which would read as an id prefix.
    #[error("`{0}` looks like an id prefix: a name needs a letter beyond a-f")]
    LooksLikeAnId(String),
    /// The name points at another component already.
    #[error("`{name}` names `{current}` already")]
    Taken {
        /// The name.
        name: String,
        /// What it names.
        current: Digest,
    },
    /// No component has this id.
    #[error("no component `{0}` is stored")]
    NoComponent(Digest),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why an invocation could not be started or finished.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// Config or input is not JSON.
    #[error("{what} is not valid JSON: {error}")]
    Json {
        /// `config` or `input`.
        what: &'static str,
        /// The parse error.
        #[source]
        error: InvalidJson,
    },
    /// Config or input that does not fit the component's schema.
    #[error("{what} does not fit the component's schema: {message}")]
    Schema {
        /// `config` or `input`.
        what: &'static str,
        /// What does not fit.
        message: String,
    },
    /// The run could not be carried out.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// Why a replay could not be carried out, or diverged.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
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
    /// A config to replay with that is not JSON.
    #[error("the config to replay with is not JSON: {0}")]
    BadConfig(String),
    /// The run could not be carried out, or diverged.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// Why an invocation could not be resumed.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    /// An answer that does not fit the pending request.
    #[error("{0}")]
    BadAnswer(String),
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
    /// A cut-off run that is not there.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The run could not be carried out, or diverged.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// Why an invocation could not be rewound.
#[derive(Debug, thiserror::Error)]
pub enum RewindError {
    /// A rewind past the start of the journal.
    #[error("cannot rewind {n} events: the journal holds {len}")]
    TooFar {
        /// Events asked to drop.
        n: u64,
        /// Events in the journal.
        len: u64,
    },
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why a runtime could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The store could not be opened.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// wasmtime could not be configured.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Why a session could not go on.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// An answer that does not fit the pending request, or no request pending.
    #[error("{0}")]
    BadAnswer(String),
    /// The invocation's thread could not be started.
    #[error("cannot start a thread for the invocation: {0}")]
    Thread(#[source] std::io::Error),
    /// The invocation's thread ended without a result (it panicked).
    #[error("the invocation thread ended without a result")]
    Ended,
    /// The invocation failed to run.
    #[error(transparent)]
    Invoke(#[from] InvokeError),
}

/// The operations that run a guest fail with their run's errors too.
macro_rules! through_run {
    ($($op:ident),*) => {$(
        impl From<StorageError> for $op {
            fn from(e: StorageError) -> Self {
                $op::Run(e.into())
            }
        }
        impl From<PrepareError> for $op {
            fn from(e: PrepareError) -> Self {
                $op::Run(e.into())
            }
        }
        impl From<GrantError> for $op {
            fn from(e: GrantError) -> Self {
                $op::Run(e.into())
            }
        }
        impl From<Divergence> for $op {
            fn from(e: Divergence) -> Self {
                $op::Run(e.into())
            }
        }
    )*};
}
through_run!(InvokeError, ReplayError, ResumeError);
