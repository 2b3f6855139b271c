//! The records of executions: a sealed invocation, how it ended, its index
//! entry and the header of a run in progress. An invocation's id is the
//! sha256 of its canonical record, which names the component, config, input,
//! journal, outcome and parent by their hashes: a replay that reproduces a
//! run exactly reproduces its id.

use serde::{Deserialize, Serialize};

use crate::grant::DirGrant;
use crate::limits::Limits;
use crate::value::{Digest, EXACT_IN_DOUBLE};

/// The engine that made an invocation: recorded so old runs can be matched
/// with the engine that can replay them exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    /// The wasmtime version.
    pub wasmtime: String,
    /// sha256 of the engine's precompile compatibility hash.
    pub compatibility: Digest,
    /// The enact runtime's version (absent from records made before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enact: Option<String>,
}

impl std::fmt::Display for EngineInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.enact {
            Some(enact) => write!(f, "enact {enact} on wasmtime {}", self.wasmtime),
            None => write!(f, "an enact on wasmtime {}", self.wasmtime),
        }
    }
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

impl InvocationRecord {
    /// The record's canonical JSON, the bytes its id is the sha256 of: what
    /// [`canonical_record`](crate::value::canonical_record) gives, written
    /// field by field in key order without building a JSON tree (a record
    /// is sealed for every child). A number beyond 2^53 takes the general path.
    pub fn canonical(&self) -> Vec<u8> {
        let limits = &self.limits;
        let numbers = [
            self.events,
            limits.memory_bytes,
            limits.wall_time_ms,
            limits.journal_events,
            limits.output_bytes,
            limits.log_bytes,
            limits.max_children,
            limits.table_elements,
            limits.fuel.unwrap_or(0),
        ];
        let at_event = match &self.outcome {
            Outcome::Trapped { at_event: Some(at), .. } => *at,
            _ => 0,
        };
        if numbers.iter().chain([&at_event]).any(|n| *n > EXACT_IN_DOUBLE) {
            return crate::value::canonical_record(self);
        }
        let mut out = Canonical(Vec::with_capacity(768));
        out.raw("{\"component\":");
        out.digest(&self.component);
        out.raw(",\"config\":");
        out.digest(&self.config);
        out.raw(",\"engine\":{\"compatibility\":");
        out.digest(&self.engine.compatibility);
        if let Some(enact) = &self.engine.enact {
            out.raw(",\"enact\":");
            out.string(enact);
        }
        out.raw(",\"wasmtime\":");
        out.string(&self.engine.wasmtime);
        out.raw("},\"events\":");
        out.number(self.events);
        if !self.grants.is_empty() {
            out.raw(",\"grants\":[");
            for (i, grant) in self.grants.iter().enumerate() {
                out.raw(if i == 0 { "{\"guest\":" } else { ",{\"guest\":" });
                out.string(&grant.guest);
                out.raw(",\"snapshot\":");
                out.digest(&grant.snapshot);
                out.raw(if grant.writable { ",\"writable\":true}" } else { ",\"writable\":false}" });
            }
            out.raw("]");
        }
        out.raw(",\"input\":");
        out.digest(&self.input);
        out.raw(",\"invokable\":");
        out.digest(&self.invokable);
        out.raw(",\"journal\":");
        out.digest(&self.journal);
        out.raw(",\"limits\":{\"fuel\":");
        match limits.fuel {
            Some(fuel) => out.number(fuel),
            None => out.raw("null"),
        }
        for (key, value) in [
            ("journal_events", limits.journal_events),
            ("log_bytes", limits.log_bytes),
            ("max_children", limits.max_children),
            ("max_depth", u64::from(limits.max_depth)),
            ("memory_bytes", limits.memory_bytes),
            ("output_bytes", limits.output_bytes),
            ("table_elements", limits.table_elements),
            ("wall_time_ms", limits.wall_time_ms),
        ] {
            out.raw(",\"");
            out.raw(key);
            out.raw("\":");
            out.number(value);
        }
        out.raw("},\"logs\":");
        out.optional_digest(self.logs.as_ref());
        out.raw(",\"outcome\":");
        match &self.outcome {
            Outcome::Completed { output } => {
                out.raw("{\"output\":");
                out.digest(output);
                out.raw(",\"status\":\"completed\"}");
            }
            Outcome::Failed { error } => {
                out.raw("{\"error\":{\"code\":");
                out.string(&error.code);
                out.raw(",\"details\":");
                match &error.details {
                    Some(details) => out.string(details),
                    None => out.raw("null"),
                }
                out.raw(",\"message\":");
                out.string(&error.message);
                out.raw("},\"status\":\"failed\"}");
            }
            Outcome::Trapped { reason, at_event } => {
                out.raw("{");
                if let Some(at) = at_event {
                    out.raw("\"at_event\":");
                    out.number(*at);
                    out.raw(",");
                }
                out.raw("\"reason\":");
                out.string(reason);
                out.raw(",\"status\":\"trapped\"}");
            }
            Outcome::AwaitingInput { request } => {
                out.raw("{\"request\":");
                out.digest(request);
                out.raw(",\"status\":\"awaiting-input\"}");
            }
            Outcome::Incomplete => out.raw("{\"status\":\"incomplete\"}"),
        }
        out.raw(",\"parent\":");
        out.optional_digest(self.parent.as_ref());
        out.raw("}");
        out.0
    }
}

/// Canonical JSON written piece by piece.
struct Canonical(Vec<u8>);

impl Canonical {
    fn raw(&mut self, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
    }

    /// A string, escaped as canonical JSON escapes it (as serde_json's compact writer does).
    fn string(&mut self, text: &str) {
        serde_json::to_writer(&mut self.0, text).expect("writing to a Vec cannot fail");
    }

    fn digest(&mut self, digest: &Digest) {
        self.raw("\"sha256:");
        self.0.extend_from_slice(&digest.hex_bytes());
        self.raw("\"");
    }

    fn optional_digest(&mut self, digest: Option<&Digest>) {
        match digest {
            Some(digest) => self.digest(digest),
            None => self.raw("null"),
        }
    }

    /// An integer no larger than 2^53 (written without `fmt`, which cost a
    /// tenth of a child's seal).
    fn number(&mut self, n: u64) {
        self.0.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::value::canonical_record;

    /// A record of no particular invocation, ending in `outcome`.
    pub(crate) fn record(outcome: Outcome) -> InvocationRecord {
        InvocationRecord {
            component: Digest::of(b"component"),
            invokable: Digest::of(b"invokable"),
            config: Digest::of(b"config"),
            input: Digest::of(b"input"),
            journal: Digest::of(b"journal"),
            events: 1000,
            outcome,
            logs: None,
            parent: None,
            engine: EngineInfo {
                wasmtime: "48.0.2".into(),
                compatibility: Digest::of(b"engine"),
                enact: Some("0.1.0".into()),
            },
            limits: Limits::default(),
            grants: Vec::new(),
        }
    }

    /// Every kind of outcome, with text that needs escaping and optional parts present and absent.
    pub(crate) fn outcomes() -> Vec<Outcome> {
        let error = ErrorRecord { code: "bad \"input\"".into(), message: "ü\nnewline\u{1}".into(), details: None };
        vec![
            Outcome::Completed { output: Digest::of(b"output") },
            Outcome::Failed { error: error.clone() },
            Outcome::Failed { error: ErrorRecord { details: Some("{\"x\":1}".into()), ..error } },
            Outcome::Trapped { reason: "wall-time limit of 1 s exceeded".into(), at_event: Some(7) },
            Outcome::Trapped { reason: "unreachable".into(), at_event: None },
            Outcome::AwaitingInput { request: Digest::of(b"request") },
            Outcome::Incomplete,
        ]
    }

    #[test]
    fn a_record_written_field_by_field_is_its_canonical_json() {
        for outcome in outcomes() {
            let plain = record(outcome);
            let mut full = plain.clone();
            full.logs = Some(Digest::of(b"logs"));
            full.parent = Some(Digest::of(b"parent"));
            full.limits.fuel = Some(5_000_000);
            full.grants = vec![
                DirGrant { guest: "/data".into(), snapshot: Digest::of(b"snapshot"), writable: true },
                DirGrant { guest: "/ro \"quoted\"".into(), snapshot: Digest::of(b"other"), writable: false },
            ];
            let mut huge = plain.clone();
            huge.limits.fuel = Some(u64::MAX);
            let mut older = plain.clone();
            older.engine.enact = None;
            for record in [plain, full, huge, older] {
                assert_eq!(
                    String::from_utf8(record.canonical()).expect("UTF-8"),
                    String::from_utf8(canonical_record(&record)).expect("UTF-8"),
                );
            }
        }
    }
}
