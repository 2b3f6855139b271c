//! The records of executions: a sealed invocation, how it ended, its index
//! entry and the header of a run in progress. An invocation's id is the
//! sha256 of its canonical record, which names the component, config, input,
//! journal, outcome and parent by their hashes: a replay that reproduces a
//! run exactly reproduces its id.

use serde::{Deserialize, Serialize};

use crate::grant::DirGrant;
use crate::limits::Limits;
use crate::value::Digest;

/// The engine that made an invocation: recorded so old runs can be matched
/// with the engine that can replay them exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    /// The wasmtime version.
    pub wasmtime: String,
    /// sha256 of the engine's precompile compatibility hash.
    pub compatibility: Digest,
}

/// One captured log line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Journal events served before the line was written (`None` for stdout
    /// and stderr, which are read when the call ends).
    pub at: Option<u64>,
    /// `trace` … `error`, or `stdout` / `stderr`.
    pub level: String,
    /// The text.
    pub message: String,
}

impl LogLine {
    /// The lines a guest wrote to `stream`.
    pub fn from_stream(stream: &str, bytes: &[u8]) -> Vec<LogLine> {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(|line| LogLine { at: None, level: stream.to_string(), message: line.to_string() })
            .collect()
    }
}

/// The sealed, content-addressed record of one invocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvocationRecord {
    /// The component that ran.
    pub component: Digest,
    /// The invokable: sha256 of the canonical `{component, config}`.
    pub invokable: Digest,
    /// The config value.
    pub config: Digest,
    /// The input value.
    pub input: Digest,
    /// The journal blob (encoded events).
    pub journal: Digest,
    /// Events in the journal.
    pub events: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// Captured log lines (a JSON blob), if any.
    pub logs: Option<Digest>,
    /// The invocation this one was derived from (a fork), if any.
    pub parent: Option<Digest>,
    /// The engine that ran it.
    pub engine: EngineInfo,
    /// The limits it ran under.
    pub limits: Limits,
    /// Directories granted to it, as snapshots.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<DirGrant>,
}

/// How an invocation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    /// `call` returned output (a JSON value blob).
    Completed {
        /// The output value.
        output: Digest,
    },
    /// `call` returned an error.
    Failed {
        /// The guest's error.
        error: ErrorRecord,
    },
    /// The guest trapped or hit a limit.
    Trapped {
        /// Why.
        reason: String,
        /// For the wall-time limit, whose point no replay can find by
        /// running: the events served before it struck. A replay serves
        /// them and stops there with the same reason.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_event: Option<u64>,
    },
    /// Suspended at an input request nobody answered yet.
    AwaitingInput {
        /// The pending request (canonical JSON of an [`InputRequest`](crate::answer::InputRequest)).
        request: Digest,
    },
    /// Not finished: rewound, or cut off.
    Incomplete,
}

impl Outcome {
    /// `completed`, `failed`, `trapped` or `incomplete`.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Completed { .. } => "completed",
            Outcome::Failed { .. } => "failed",
            Outcome::Trapped { .. } => "trapped",
            Outcome::AwaitingInput { .. } => "awaiting-input",
            Outcome::Incomplete => "incomplete",
        }
    }
}

/// The error a guest returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRecord {
    /// Machine-readable kind.
    pub code: String,
    /// For people.
    pub message: String,
    /// JSON details, as text.
    pub details: Option<String>,
}

impl std::fmt::Display for ErrorRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The index entry of a sealed invocation, for listings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InvocationEntry {
    /// The outcome's status.
    pub status: String,
    /// The component.
    pub component: Digest,
    /// The component's name, from `describe`.
    pub name: String,
    /// When it was sealed, in milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// The invocation it was derived from.
    pub parent: Option<Digest>,
    /// 0 for a root invocation, more for children.
    #[serde(default)]
    pub depth: u32,
}

/// The header of a run in progress.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunHeader {
    /// The component.
    pub component: Digest,
    /// The config value.
    pub config: Digest,
    /// The input value.
    pub input: Digest,
    /// The invocation it continues, if it is a replay.
    pub parent: Option<Digest>,
    /// When it started, in milliseconds since the Unix epoch.
    pub started_ms: u64,
    /// The limits it runs under.
    pub limits: Limits,
    /// Directories granted to it.
    #[serde(default)]
    pub grants: Vec<DirGrant>,
}

/// A sealed invocation and its decoded parts.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// Its id.
    pub id: Digest,
    /// Its record.
    pub record: InvocationRecord,
    /// The output, when completed.
    pub output: Option<serde_json::Value>,
}
