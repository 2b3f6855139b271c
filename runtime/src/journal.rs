//! The journal: every nondeterministic value a guest receives, in order.
//!
//! A [`Journal`] serves requests either from recorded events (replay) or from
//! live [`Sources`] (recording), and persists live events through a
//! [`RunSink`] before the invocation's outcome is acknowledged. A request that
//! differs from the recorded one at the same index is a [`Divergence`].

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::invocation::ErrorRecord;
use crate::sources::Sources;
use crate::storage::{Storage, StorageError};
use crate::value::Digest;

/// One journaled request and the response the guest got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// `enact:runtime/clock.now`.
    ClockNow {
        /// Seconds since the Unix epoch.
        seconds: u64,
        /// Nanoseconds within the second.
        nanoseconds: u32,
    },
    /// `enact:runtime/random.fill`.
    RandomFill {
        /// The bytes handed out; the request was for `bytes.len()`.
        bytes: Vec<u8>,
    },
    /// `enact:runtime/random.next-u64`.
    RandomU64 {
        /// The number handed out.
        value: u64,
    },
    /// `wasi:clocks/wall-clock.now`.
    WasiWallClock {
        /// Seconds since the Unix epoch.
        seconds: u64,
        /// Nanoseconds within the second.
        nanoseconds: u32,
    },
    /// `wasi:clocks/monotonic-clock.now`.
    WasiMonotonicClock {
        /// Nanoseconds on the monotonic clock.
        nanoseconds: u64,
    },
    /// A `wasi:clocks/monotonic-clock` timer polled (by `ready`, `block` or
    /// `poll`): it is ready when `now >= deadline`. A live poll that is not
    /// ready waits for real; a replay serves the recorded reading at once.
    WasiTimer {
        /// The timer's deadline on the monotonic clock, in nanoseconds.
        deadline: u64,
        /// The monotonic reading it was polled at.
        now: u64,
    },
    /// `wasi:random/random` (secure) bytes, one event per call.
    WasiRandom {
        /// The bytes handed out.
        bytes: Vec<u8>,
    },
    /// `wasi:random/insecure` bytes.
    WasiInsecureRandom {
        /// The bytes handed out.
        bytes: Vec<u8>,
    },
    /// `wasi:random/insecure-seed`.
    WasiInsecureSeed {
        /// The seed handed out.
        seed: (u64, u64),
    },
    /// `enact:runtime/invoke.call`: a child invocation, one event however
    /// many events the child's own journal holds. Boxed: it is much larger
    /// than the other events, of which a journal may hold millions.
    Invoke(Box<ChildCall>),
    /// `enact:runtime/input.request`, answered.
    Input(Box<InputCall>),
    /// `enact:runtime/llm.complete`.
    Llm(Box<LlmCall>),
}

/// An input request and its answer, as the journal records them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputCall {
    /// The request (canonical JSON of an [`InputRequest`](crate::InputRequest)).
    pub request: Digest,
    /// The answer (a JSON value blob).
    pub answer: Digest,
    /// Who answered: `person`, `file`, `llm:<model>`, `override`.
    pub by: String,
}

/// A completion request and what came back, as the journal records them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LlmCall {
    /// The request (canonical JSON of a [`CompletionRequest`](crate::llm::CompletionRequest)).
    pub request: Digest,
    /// The completion (a JSON blob of a [`Completion`](crate::llm::Completion)), or why there is none.
    pub result: Result<Digest, crate::llm::LlmFailure>,
    /// The provider that answered.
    pub provider: String,
}

/// A child invocation as its caller's journal records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildCall {
    /// The target as the guest named it.
    pub target: String,
    /// The config value (canonical JSON).
    pub config: Digest,
    /// The input value (canonical JSON).
    pub input: Digest,
    /// The component the target resolved to, if it resolved.
    pub component: Option<Digest>,
    /// The child invocation, if one ran (none when the target did not
    /// resolve, or when the result was overridden).
    pub child: Option<Digest>,
    /// What the guest got back.
    pub result: ChildResult,
    /// The child is an earlier invocation of a pure component with the
    /// same config and input, reused without running it.
    #[serde(default)]
    pub memoized: bool,
}

/// What a child invocation handed back to its caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChildResult {
    /// Its output (a JSON value blob).
    Completed(Digest),
    /// It failed, or could not start.
    Failed(ErrorRecord),
    /// It trapped; the caller sees an error with code `trapped`.
    Trapped(String),
    /// It did not finish (it was cut off or awaits input); so neither did
    /// the caller. Replaying the caller continues the child.
    Incomplete,
}

/// What a guest asked for: an [`Event`] without its response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// `clock.now`.
    ClockNow,
    /// `random.fill` of `len` bytes.
    RandomFill(u32),
    /// `random.next-u64`.
    RandomU64,
    /// WASI wall clock.
    WasiWallClock,
    /// WASI monotonic clock.
    WasiMonotonicClock,
    /// A poll of a WASI timer with this deadline.
    WasiTimer {
        /// The deadline, in monotonic nanoseconds.
        deadline: u64,
    },
    /// WASI secure random bytes.
    WasiRandom(usize),
    /// WASI insecure random bytes.
    WasiInsecureRandom(usize),
    /// The WASI insecure seed.
    WasiInsecureSeed,
    /// An input request (its canonical JSON).
    Input {
        /// The request.
        request: Digest,
    },
    /// A completion request (its canonical JSON).
    Llm {
        /// The request.
        request: Digest,
    },
    /// A child invocation.
    Invoke {
        /// The target as the guest named it.
        target: String,
        /// The config value.
        config: Digest,
        /// The input value.
        input: Digest,
    },
}

impl Event {
    /// The request this event answered.
    pub fn request(&self) -> Request {
        match self {
            Event::ClockNow { .. } => Request::ClockNow,
            Event::RandomFill { bytes } => Request::RandomFill(bytes.len() as u32),
            Event::RandomU64 { .. } => Request::RandomU64,
            Event::WasiWallClock { .. } => Request::WasiWallClock,
            Event::WasiMonotonicClock { .. } => Request::WasiMonotonicClock,
            Event::WasiTimer { deadline, .. } => Request::WasiTimer { deadline: *deadline },
            Event::WasiRandom { bytes } => Request::WasiRandom(bytes.len()),
            Event::WasiInsecureRandom { bytes } => Request::WasiInsecureRandom(bytes.len()),
            Event::WasiInsecureSeed { .. } => Request::WasiInsecureSeed,
            Event::Invoke(call) => {
                Request::Invoke { target: call.target.clone(), config: call.config, input: call.input }
            }
            Event::Input(call) => Request::Input { request: call.request },
            Event::Llm(call) => Request::Llm { request: call.request },
        }
    }

    /// A child invocation that failed or trapped.
    pub fn is_failed_child(&self) -> bool {
        matches!(
            self,
            Event::Invoke(call) if matches!(call.result, ChildResult::Failed(_) | ChildResult::Trapped(_))
        )
    }

    /// This event with its response replaced by `value`, for a what-if
    /// replay; the request stays the same. For a child invocation `value` is
    /// the child's output, and the second element holds its canonical bytes,
    /// to be stored as a blob.
    ///
    /// # Errors
    /// A message saying what `value` should have been.
    pub fn with_response(&self, value: &serde_json::Value) -> Result<(Event, Option<Vec<u8>>), String> {
        let u64_of = |what: &str| value.as_u64().ok_or_else(|| format!("expected {what}, got `{value}`"));
        let bytes_of = |len: usize| {
            let hex = value.as_str().ok_or_else(|| format!("expected {len} bytes as a hex string, got `{value}`"))?;
            match crate::value::parse_hex(hex) {
                Some(bytes) if bytes.len() == len => Ok(bytes),
                _ => Err(format!("expected {len} bytes as a hex string, got `{value}`")),
            }
        };
        let time = || -> Result<(u64, u32), String> {
            if let Some(seconds) = value.as_u64() {
                return Ok((seconds, 0));
            }
            let seconds = value["seconds"].as_u64();
            let nanoseconds = value["nanoseconds"].as_u64().unwrap_or(0);
            match (seconds, u32::try_from(nanoseconds)) {
                (Some(s), Ok(n)) if n < 1_000_000_000 => Ok((s, n)),
                _ => Err(format!("expected seconds, or {{\"seconds\", \"nanoseconds\"}}, got `{value}`")),
            }
        };
        let event = match self {
            Event::ClockNow { .. } => {
                let (seconds, nanoseconds) = time()?;
                Event::ClockNow { seconds, nanoseconds }
            }
            Event::WasiWallClock { .. } => {
                let (seconds, nanoseconds) = time()?;
                Event::WasiWallClock { seconds, nanoseconds }
            }
            Event::RandomU64 { .. } => Event::RandomU64 { value: u64_of("an unsigned 64-bit integer")? },
            Event::WasiMonotonicClock { .. } => {
                Event::WasiMonotonicClock { nanoseconds: u64_of("nanoseconds as an integer")? }
            }
            Event::WasiTimer { deadline, .. } => {
                Event::WasiTimer { deadline: *deadline, now: u64_of("the reading in nanoseconds as an integer")? }
            }
            Event::RandomFill { bytes } => Event::RandomFill { bytes: bytes_of(bytes.len())? },
            Event::WasiRandom { bytes } => Event::WasiRandom { bytes: bytes_of(bytes.len())? },
            Event::WasiInsecureRandom { bytes } => Event::WasiInsecureRandom { bytes: bytes_of(bytes.len())? },
            Event::WasiInsecureSeed { .. } => {
                let pair = value.as_array().filter(|a| a.len() == 2);
                let seed = pair
                    .and_then(|a| Some((a[0].as_u64()?, a[1].as_u64()?)))
                    .ok_or_else(|| format!("expected two unsigned integers, got `{value}`"))?;
                Event::WasiInsecureSeed { seed }
            }
            Event::Input(call) => {
                let answer = crate::value::canonical_bytes(value);
                let event = Event::Input(Box::new(InputCall {
                    request: call.request,
                    answer: Digest::of(&answer),
                    by: "override".into(),
                }));
                return Ok((event, Some(answer)));
            }
            Event::Llm(call) => {
                let text = value
                    .as_str()
                    .ok_or_else(|| format!("expected the completion's text as a string, got `{value}`"))?;
                let completion = crate::llm::Completion {
                    text: text.to_string(),
                    finish_reason: "stop".into(),
                    usage: crate::llm::Usage::default(),
                    model: "override".into(),
                };
                let bytes = crate::value::canonical_record(&completion);
                let event = Event::Llm(Box::new(LlmCall {
                    request: call.request,
                    result: Ok(Digest::of(&bytes)),
                    provider: "override".into(),
                }));
                return Ok((event, Some(bytes)));
            }
            Event::Invoke(call) => {
                let output = crate::value::canonical_bytes(value);
                let event = Event::Invoke(Box::new(ChildCall {
                    child: None,
                    result: ChildResult::Completed(Digest::of(&output)),
                    ..(**call).clone()
                }));
                return Ok((event, Some(output)));
            }
        };
        Ok((event, None))
    }

    /// The response, for people: `7`, `2026-11-23T19:49:38.123Z`, `0x1f2e…`.
    pub fn response_text(&self) -> String {
        match self {
            Event::ClockNow { seconds, nanoseconds } | Event::WasiWallClock { seconds, nanoseconds } => {
                crate::time::rfc3339(*seconds, *nanoseconds)
            }
            Event::RandomU64 { value } => value.to_string(),
            Event::WasiInsecureSeed { seed } => format!("({}, {})", seed.0, seed.1),
            Event::Input(call) => format!("answer {} by {}", call.answer.short(), call.by),
            Event::Llm(call) => match &call.result {
                Ok(completion) => format!("completion {} from {}", completion.short(), call.provider),
                Err(failure) => format!("{failure} ({})", call.provider),
            },
            Event::Invoke(call) => {
                let child = call.child.map(|c| c.short()).unwrap_or_else(|| "no child".into());
                match &call.result {
                    ChildResult::Completed(output) => format!("{child} completed: {}", output.short()),
                    ChildResult::Failed(e) => format!("{child} failed: {e}"),
                    ChildResult::Trapped(r) => format!("{child} trapped: {r}"),
                    ChildResult::Incomplete => format!("{child} incomplete"),
                }
            }
            Event::WasiMonotonicClock { nanoseconds } => format!("{nanoseconds}ns"),
            Event::WasiTimer { deadline, now } if now >= deadline => format!("ready at {now}ns"),
            Event::WasiTimer { deadline, now } => format!("not ready at {now}ns ({}ns to go)", deadline - now),
            Event::RandomFill { bytes } | Event::WasiRandom { bytes } | Event::WasiInsecureRandom { bytes } => {
                let hex: String = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
                if bytes.len() > 16 { format!("0x{hex}…") } else { format!("0x{hex}") }
            }
        }
    }

    /// The event as JSON, for `--json` output.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "request": self.request().to_string(),
            "response": match self {
                Event::ClockNow { seconds, nanoseconds } | Event::WasiWallClock { seconds, nanoseconds } =>
                    serde_json::json!({ "seconds": seconds, "nanoseconds": nanoseconds }),
                Event::RandomU64 { value } => serde_json::json!(value),
                Event::WasiInsecureSeed { seed } => serde_json::json!([seed.0, seed.1]),
                Event::Input(call) => serde_json::json!(call),
                Event::Llm(call) => serde_json::json!(call),
                Event::Invoke(call) => serde_json::json!({
                    "component": call.component,
                    "child": call.child,
                    "result": call.result,
                }),
                Event::WasiMonotonicClock { nanoseconds } => serde_json::json!(nanoseconds),
                Event::WasiTimer { deadline, now } => serde_json::json!({ "now": now, "ready": now >= deadline }),
                Event::RandomFill { bytes } | Event::WasiRandom { bytes } | Event::WasiInsecureRandom { bytes } =>
                    serde_json::json!(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()),
            },
        })
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::ClockNow => write!(f, "clock.now"),
            Request::RandomFill(len) => write!(f, "random.fill({len})"),
            Request::RandomU64 => write!(f, "random.next-u64"),
            Request::WasiWallClock => write!(f, "wasi:clocks/wall-clock.now"),
            Request::WasiMonotonicClock => write!(f, "wasi:clocks/monotonic-clock.now"),
            Request::WasiTimer { deadline } => write!(f, "wasi:io/poll timer until {deadline}ns"),
            Request::WasiRandom(len) => write!(f, "wasi:random/random({len})"),
            Request::WasiInsecureRandom(len) => write!(f, "wasi:random/insecure({len})"),
            Request::WasiInsecureSeed => write!(f, "wasi:random/insecure-seed"),
            Request::Input { request } => write!(f, "input.request({})", request.short()),
            Request::Llm { request } => write!(f, "llm.complete({})", request.short()),
            Request::Invoke { target, config, input } => {
                write!(f, "invoke.call(`{target}`, config {}, input {})", config.short(), input.short())
            }
        }
    }
}

/// A replay asked for something other than what the journal recorded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Divergence {
    /// The request at `index` differs from the recorded one.
    #[error("replay diverged at event {index}: the journal recorded `{recorded}` but the guest asked for `{actual}`")]
    Request {
        /// The event index, from 0.
        index: u64,
        /// The recorded request.
        recorded: String,
        /// The request the guest made.
        actual: String,
    },
    /// The guest finished before it consumed the recorded journal.
    #[error("replay diverged: the guest finished after {used} events but the journal holds {recorded}")]
    Unused {
        /// Events the replay consumed.
        used: u64,
        /// Events in the journal.
        recorded: u64,
    },
    /// The replayed output differs from the recorded one.
    #[error("replay diverged: the output `{actual}` differs from the recorded `{recorded}`")]
    Output {
        /// The recorded output or outcome.
        recorded: String,
        /// What the replay produced.
        actual: String,
    },
}

/// Why the journal stopped serving requests.
#[derive(Clone, Debug, thiserror::Error)]
pub enum JournalError {
    /// A replay diverged.
    #[error(transparent)]
    Divergence(#[from] Divergence),
    /// Live events could not be persisted.
    #[error("cannot persist the journal: {0}")]
    Storage(String),
    /// The journal reached its length limit.
    #[error("journal limit of {0} events exceeded")]
    TooLong(u64),
    /// A replay reached the point where the recorded run was stopped by a
    /// limit that is not a function of the journal (wall time).
    #[error("{0}")]
    Stopped(String),
}

/// Live events are persisted in chunks of this many (and when the run ends).
pub const FLUSH_EVERY: usize = 16 * 1024;

/// Writes a run's header (see [`RunSink::new`]).
type HeaderWrite = Box<dyn FnOnce(&mut crate::storage::Writer) -> Result<(), StorageError> + Send>;

/// Where the live events of a run are persisted while it runs.
///
/// The run's header (and the values it names) is written with the first
/// chunk, so a short invocation costs one commit: its seal.
pub struct RunSink {
    storage: Arc<Storage>,
    run: u128,
    next_chunk: u64,
    header: Option<HeaderWrite>,
    tree: Arc<crate::invocation::Tree>,
}

impl RunSink {
    /// A sink for run `run`; `header` writes the run's header in the same
    /// transaction as its first chunk, and every chunk commits the tree's
    /// pending child seals with it (children before the events naming them).
    pub(crate) fn new(
        storage: Arc<Storage>,
        run: u128,
        header: impl FnOnce(&mut crate::storage::Writer) -> Result<(), StorageError> + Send + 'static,
        tree: Arc<crate::invocation::Tree>,
    ) -> RunSink {
        RunSink { storage, run, next_chunk: 0, header: Some(Box::new(header)), tree }
    }

    /// Durably writes `events` as the next chunk, with `blobs` they name.
    fn append(&mut self, events: &[Event], blobs: &[Vec<u8>]) -> Result<(), StorageError> {
        if events.is_empty() && blobs.is_empty() {
            return Ok(());
        }
        let header = self.header.take();
        let seq = self.next_chunk;
        self.storage.write(|w| {
            self.tree.drain_pending(w)?;
            w.put_blobs(blobs.iter().map(Vec::as_slice))?;
            if let Some(header) = header {
                header(w)?;
            }
            if !events.is_empty() {
                w.put_run_events(self.run, seq, &encode_events(events))?;
            }
            Ok::<(), StorageError>(())
        })?;
        if !events.is_empty() {
            self.next_chunk += 1;
        }
        Ok(())
    }
}

/// The journal of one invocation: a recorded prefix to replay, then live events.
pub struct Journal {
    recorded: Arc<[Event]>,
    cursor: usize,
    live: Vec<Event>,
    persisted: usize,
    sink: Option<RunSink>,
    sources: Sources,
    max_events: u64,
    exact: bool,
    /// Replaying a run stopped by the wall-time limit: the trap reason,
    /// given again when the guest asks past the recorded events.
    stop: Option<String>,
    /// When the recorded prefix was used up (or the journal made, if it
    /// had none): live time limits count from here.
    live_since: Option<std::time::Instant>,
    fault: Option<JournalError>,
}

impl Journal {
    /// A journal that first replays `recorded`, then samples `sources` live.
    pub fn new(recorded: Arc<[Event]>, sources: Sources, max_events: u64) -> Journal {
        let recorded_empty = recorded.is_empty();
        Journal {
            recorded,
            cursor: 0,
            live: Vec::new(),
            persisted: 0,
            sink: None,
            sources,
            max_events,
            exact: false,
            stop: None,
            live_since: recorded_empty.then(std::time::Instant::now),
            fault: None,
        }
    }

    /// Treat any request past the recorded events as a divergence: for
    /// replaying an invocation that finished.
    pub fn forbid_live(&mut self) {
        self.exact = true;
    }

    /// Replaying a run that the wall-time limit stopped after its recorded
    /// events: a request past them (or the guest returning) ends the
    /// replay with the same `reason`, at the same point.
    pub fn stop_at_end(&mut self, reason: String) {
        self.exact = true;
        self.stop = Some(reason);
    }

    /// The reason a replay of a time-stopped run stops with, once every
    /// recorded event was served.
    pub fn stopped(&self) -> Option<&str> {
        self.stop.as_deref().filter(|_| self.unused() == 0)
    }

    /// Whether the next request will be served from recorded events.
    pub fn replaying(&self) -> bool {
        self.cursor < self.recorded.len()
    }

    /// How long the journal has been serving live, if it has: the recorded
    /// prefix is served at replay speed and does not count against time limits.
    pub fn live_for(&self) -> Option<std::time::Duration> {
        self.live_since.map(|since| since.elapsed())
    }

    /// How long to wait for real until the live monotonic clock reaches `deadline`.
    pub fn wait_until(&mut self, deadline: u64) -> std::time::Duration {
        self.sources.wait_until(deadline)
    }

    /// Persist live events through `sink` while the invocation runs.
    pub fn persist_to(&mut self, sink: RunSink) {
        self.sink = Some(sink);
    }

    /// Serves `request`: the recorded event at the cursor, or a live sample
    /// from the sources. `request` must be one the sources can answer (not
    /// [`Request::Invoke`]).
    ///
    /// # Errors
    /// Once this fails it keeps failing: the invocation must stop.
    pub fn serve(&mut self, request: Request) -> Result<Event, JournalError> {
        if let Some(event) = self.next_recorded(&request)? {
            return Ok(event);
        }
        let event = self.sources.sample(&request).expect("callers serve only source-backed requests");
        self.record_live(event.clone())?;
        Ok(event)
    }

    /// The recorded event answering `request`, or `None` when the journal has
    /// run out and the caller must produce the event live ([`Journal::record_live`]).
    ///
    /// # Errors
    /// A divergence, the length limit, or an earlier fault.
    pub fn next_recorded(&mut self, request: &Request) -> Result<Option<Event>, JournalError> {
        if let Some(fault) = &self.fault {
            return Err(fault.clone());
        }
        let index = self.len();
        if index as u64 >= self.max_events {
            return Err(self.fail(JournalError::TooLong(self.max_events)));
        }
        if let Some(event) = self.recorded.get(self.cursor) {
            if event.request() != *request {
                let divergence = Divergence::Request {
                    index: index as u64,
                    recorded: event.request().to_string(),
                    actual: request.to_string(),
                };
                return Err(self.fail(divergence.into()));
            }
            self.cursor += 1;
            if let Event::WasiMonotonicClock { nanoseconds } | Event::WasiTimer { now: nanoseconds, .. } = event {
                // Live readings after the replay must not go backwards.
                self.sources.raise_monotonic_floor(*nanoseconds);
            }
            if self.cursor == self.recorded.len() {
                self.live_since = Some(std::time::Instant::now());
            }
            return Ok(Some(event.clone()));
        }
        if let Some(reason) = &self.stop {
            let stopped = JournalError::Stopped(reason.clone());
            return Err(self.fail(stopped));
        }
        if self.exact {
            let divergence = Divergence::Request {
                index: index as u64,
                recorded: "the end of the journal".to_string(),
                actual: request.to_string(),
            };
            return Err(self.fail(divergence.into()));
        }
        Ok(None)
    }

    /// Appends a live event, persisting a chunk when enough have gathered.
    ///
    /// # Errors
    /// The chunk could not be persisted.
    pub fn record_live(&mut self, event: Event) -> Result<(), JournalError> {
        self.live.push(event);
        if self.live.len() - self.persisted >= FLUSH_EVERY
            && let Err(e) = self.flush()
        {
            return Err(self.fail(JournalError::Storage(e.to_string())));
        }
        Ok(())
    }

    fn fail(&mut self, error: JournalError) -> JournalError {
        self.fault = Some(error.clone());
        error
    }

    /// Persists the live events not yet persisted.
    ///
    /// # Errors
    /// A storage error.
    pub fn flush(&mut self) -> Result<(), StorageError> {
        self.persist_now(Vec::new())
    }

    /// Durably persists the live events not yet persisted, with `blobs`
    /// they (or an effect about to happen) name. For values that must be
    /// durable before anything outside sees them: a person's answer, an LLM
    /// request before it is sent and its response before the guest sees it.
    ///
    /// # Errors
    /// A storage error.
    pub fn persist_now(&mut self, blobs: Vec<Vec<u8>>) -> Result<(), StorageError> {
        if let Some(sink) = &mut self.sink {
            if sink.next_chunk == 0 && !self.live.is_empty() {
                // The first chunk starts at event 0, with the replayed prefix,
                // so a run's chunks always hold its whole journal.
                let mut first = self.recorded[..self.cursor].to_vec();
                first.extend_from_slice(&self.live[self.persisted..]);
                sink.append(&first, &blobs)?;
            } else {
                sink.append(&self.live[self.persisted..], &blobs)?;
            }
        }
        self.persisted = self.live.len();
        Ok(())
    }

    /// Whether the run's header (and so possibly chunks) was written to the store.
    pub fn persisted_any(&self) -> bool {
        self.sink.as_ref().is_some_and(|s| s.header.is_none())
    }

    /// Why the journal stopped serving, if it did.
    pub fn take_fault(&mut self) -> Option<JournalError> {
        self.fault.take()
    }

    /// Events served so far, recorded and live.
    pub fn len(&self) -> usize {
        self.cursor + self.live.len()
    }

    /// No event was served.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Ends the replay at the event just served: it is given back, and every
    /// recorded event from it on is dropped, so the journal goes live there.
    /// For a recorded child that did not finish: the caller continues it.
    pub fn end_replay_before_last(&mut self) {
        self.cursor -= 1;
        self.recorded = Arc::from(&self.recorded[..self.cursor]);
        self.exact = false;
        self.live_since = Some(std::time::Instant::now());
    }

    /// Recorded events the replay has not consumed.
    pub fn unused(&self) -> usize {
        self.recorded.len() - self.cursor
    }

    /// Whether any event was sampled live.
    pub fn went_live(&self) -> bool {
        !self.live.is_empty()
    }

    /// The whole journal as served: the consumed recorded prefix, then live events.
    pub fn events(&self) -> Vec<Event> {
        let mut all = Vec::with_capacity(self.len());
        all.extend_from_slice(&self.recorded[..self.cursor]);
        all.extend_from_slice(&self.live);
        all
    }
}

/// The stored form of a list of events.
pub fn encode_events(events: &[Event]) -> Vec<u8> {
    postcard::to_stdvec(events).expect("events always encode")
}

/// Decodes what [`encode_events`] wrote.
///
/// # Errors
/// The bytes are not an encoded list of events.
pub fn decode_events(bytes: &[u8]) -> Result<Vec<Event>, postcard::Error> {
    postcard::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(events: Vec<Event>) -> Arc<[Event]> {
        events.into()
    }

    #[test]
    fn records_live_then_replays_identically() {
        let mut live = Journal::new(recorded(vec![]), Sources::seeded(7), 100);
        let a = live.serve(Request::RandomU64).unwrap();
        let b = live.serve(Request::ClockNow).unwrap();
        let events = live.events();
        assert_eq!(events, vec![a.clone(), b.clone()]);

        let mut replay = Journal::new(events.clone().into(), Sources::seeded(8), 100);
        assert_eq!(replay.serve(Request::RandomU64).unwrap(), a);
        assert_eq!(replay.serve(Request::ClockNow).unwrap(), b);
        assert!(!replay.went_live());
        assert_eq!(replay.events(), events);
    }

    #[test]
    fn a_different_request_is_a_divergence_naming_the_index() {
        let events = vec![Event::RandomU64 { value: 1 }, Event::RandomU64 { value: 2 }];
        let mut replay = Journal::new(recorded(events), Sources::seeded(1), 100);
        replay.serve(Request::RandomU64).unwrap();
        let err = replay.serve(Request::RandomFill(4)).unwrap_err().to_string();
        assert_eq!(
            err,
            "replay diverged at event 1: the journal recorded `random.next-u64` but the guest asked for `random.fill(4)`"
        );
        // a fault is sticky
        assert!(replay.serve(Request::RandomU64).is_err());
    }

    #[test]
    fn replay_goes_live_where_the_journal_ends() {
        let events = vec![Event::RandomU64 { value: 1 }];
        let mut replay = Journal::new(recorded(events), Sources::seeded(1), 100);
        assert_eq!(replay.serve(Request::RandomU64).unwrap(), Event::RandomU64 { value: 1 });
        replay.serve(Request::RandomU64).unwrap();
        assert!(replay.went_live());
        assert_eq!(replay.len(), 2);
    }

    #[test]
    fn the_monotonic_clock_never_goes_back_when_a_replay_goes_live() {
        let far = u64::MAX / 2;
        let events = vec![Event::WasiMonotonicClock { nanoseconds: far }];
        let mut j = Journal::new(recorded(events), Sources::seeded(1), 100);
        j.serve(Request::WasiMonotonicClock).unwrap();
        let Event::WasiMonotonicClock { nanoseconds } = j.serve(Request::WasiMonotonicClock).unwrap() else {
            panic!("a clock reading");
        };
        assert!(nanoseconds >= far);
    }

    #[test]
    fn the_length_limit_stops_the_journal() {
        let mut j = Journal::new(recorded(vec![]), Sources::seeded(1), 2);
        j.serve(Request::RandomU64).unwrap();
        j.serve(Request::RandomU64).unwrap();
        let err = j.serve(Request::RandomU64).unwrap_err().to_string();
        assert_eq!(err, "journal limit of 2 events exceeded");
    }

    #[test]
    fn events_round_trip_through_their_encoding() {
        let events = vec![
            Event::ClockNow { seconds: 1, nanoseconds: 2 },
            Event::RandomFill { bytes: vec![1, 2, 3] },
            Event::WasiMonotonicClock { nanoseconds: 9 },
        ];
        assert_eq!(decode_events(&encode_events(&events)).unwrap(), events);
    }
}
