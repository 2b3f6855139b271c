//! What people say of executions, kept beside them and never in them: an
//! [`Annotation`] of a run or one of its events, and an [`Expectation`] that
//! a run's output is the right one.

use serde::{Deserialize, Serialize};

use crate::value::Digest;

/// Feedback on an invocation, or on one event of its journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    /// The event it is about; `None` for the whole invocation.
    pub event: Option<u64>,
    /// A short word: `good`, `wrong-tool`, `hallucination`.
    pub label: String,
    /// A number, for ranking and datasets.
    pub score: Option<f64>,
    /// Free text.
    pub note: Option<String>,
    /// When it was made, in milliseconds since the Unix epoch.
    pub created_ms: u64,
}

/// An invocation whose output is expected of the component now named as
/// its component was: `enact expect run` replays it on that component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectation {
    /// The invocation.
    pub invocation: Digest,
    /// The name of its component when the expectation was saved.
    pub target: String,
    /// The expected output.
    pub output: Digest,
    /// When it was saved, in milliseconds since the Unix epoch.
    pub created_ms: u64,
}
