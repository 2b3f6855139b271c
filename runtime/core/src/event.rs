//! Journal events: each nondeterministic request a guest made and the
//! response it got, and the [`Divergence`] of a replay that asked otherwise.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::grant::DirGrant;
use crate::limits::Limits;
use crate::record::{EngineInfo, ErrorRecord, Invocation, InvocationRecord, LogLine, Outcome};
use crate::value::{DecodeError, Digest, canonical_record, decode_json};

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
    /// Consecutive `wasi:random` reads of one kind (CPython asks for its
    /// start-up entropy in ten calls), as one event: read `k` got
    /// `lens[k]` bytes, the next ones of `bytes`. A replay serves each read
    /// its part, and a read of another length, or any other request before
    /// the last part, is a divergence. (Added last: journals written before
    /// it decode as they were. Boxed, like the calls above, so that an event
    /// stays small.)
    WasiRandomReads(Box<RandomReads>),
    /// `enact:runtime/step.mark`: a step of a state machine ended with a
    /// state. Replay checks the guest marks the same step with the same
    /// state; a fork hands it another state to go on with.
    Step(Box<StepMark>),
}

// A journal may hold millions of events, cloned on replay: keep each small.
const _: () = assert!(std::mem::size_of::<Event>() <= 32);

/// Consecutive WASI random reads of one kind: see [`Event::WasiRandomReads`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RandomReads {
    /// `wasi:random/random` (secure) or `wasi:random/insecure`.
    pub secure: bool,
    /// The length of each read, in order.
    pub lens: Vec<u32>,
    /// All the bytes handed out, in order.
    pub bytes: Vec<u8>,
}

/// A step mark as the journal records it: see [`Event::Step`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepMark {
    /// The step's name.
    pub name: String,
    /// The state after the step, as the guest gave it (JSON text).
    #[serde(with = "serde_bytes")]
    pub state: Vec<u8>,
    /// The state the guest goes on with instead (JSON text): set by a fork
    /// that edited the state; `None` otherwise.
    pub replaced: Option<serde_bytes::ByteBuf>,
    /// When the step ended, in microseconds since the Unix epoch: for
    /// people (how long a step took); never handed to the guest.
    pub at_us: u64,
}

impl StepMark {
    /// The state the guest went on with: the fork's, else the one it marked.
    pub fn state_after(&self) -> &[u8] {
        self.replaced.as_deref().unwrap_or(&self.state)
    }
}

/// An input request and its answer, as the journal records them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputCall {
    /// The request (canonical JSON of an [`InputRequest`](crate::answer::InputRequest)).
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
    /// The child itself (present whenever `child` is).
    #[serde(default)]
    pub sealed: Option<Sealed>,
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

/// Where a child's [`SealedChild`] is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sealed {
    /// In the event: a run's journal until its root is sealed, and the
    /// journal of a child (which lives in its caller's).
    Inline(Arc<SealedChild>),
    /// Entry `index` of the pack blob `pack`, where a sealed root's journal
    /// keeps its children (see [`pack_children`]); a fork's journal names
    /// the packs of the journal it went on from, sharing their children.
    Packed {
        /// The pack's digest.
        pack: Digest,
        /// The child's place in it.
        index: u32,
    },
}

/// A child invocation as its caller's journal keeps it: its id and record,
/// and the two parts of it that live with it.
///
/// A child is not a separate object of the store: its caller's journal
/// holds it, so a whole tree is written once, with its root, in a few
/// sequential writes (the root's journal and one pack of its children). It
/// is still content-addressed: its id is the sha256 of its record's
/// canonical JSON, which names its journal and logs by the digests of their
/// encodings, as any record does. What the record names besides (config,
/// input, output, answers) are blobs of the store.
///
/// It is encoded in binary (postcard): the id, then the record's fields
/// with digests as 32 bytes, then the journal and logs. The canonical JSON
/// is made once, to hash it, and not kept: reading a child hashes nothing,
/// and [`SealedChild::check`] makes it again to check the id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedChild {
    /// The sha256 of the record's canonical JSON.
    pub id: Digest,
    /// The record.
    pub record: InvocationRecord,
    /// The journal; the record names it by [`chunks::digest`](crate::chunks::digest).
    pub journal: Vec<Event>,
    /// The log lines as canonical JSON, which the record names, if any.
    pub logs: Option<Vec<u8>>,
}

impl SealedChild {
    /// Seals `record` with its `journal` and `logs`, filling in the digests
    /// the record names them by.
    pub fn seal(mut record: InvocationRecord, journal: Vec<Event>, logs: &[LogLine]) -> SealedChild {
        record.journal = crate::chunks::digest(&journal);
        let logs = (!logs.is_empty()).then(|| canonical_record(&logs));
        record.logs = logs.as_ref().map(|bytes| Digest::of(bytes));
        let id = Digest::of(&record.canonical());
        SealedChild { id, record, journal, logs }
    }

    /// The compact encoding the memo table keeps.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("a sealed child encodes")
    }

    /// Decodes what [`SealedChild::encode`] wrote.
    ///
    /// # Errors
    /// The bytes are not a sealed child.
    pub fn decode_bytes(bytes: &[u8]) -> Result<SealedChild, postcard::Error> {
        postcard::from_bytes(bytes)
    }

    /// The decoded log lines.
    ///
    /// # Errors
    /// They are not log lines.
    pub fn log_lines(&self) -> Result<Vec<LogLine>, DecodeError> {
        match &self.logs {
            Some(bytes) => decode_json(&Digest::of(bytes), "log lines", bytes),
            None => Ok(Vec::new()),
        }
    }

    /// The child as an [`Invocation`], with `output` (its decoded output, when it completed).
    pub fn invocation(&self, output: Option<serde_json::Value>) -> Invocation {
        Invocation { id: self.id, record: self.record.clone(), output }
    }

    /// Checks that the id is the record's, that the journal and logs are
    /// those the record names, and so of the children its journal holds.
    ///
    /// # Errors
    /// What does not match, for people.
    pub fn check(&self) -> Result<(), String> {
        if Digest::of(&self.record.canonical()) != self.id {
            return Err(format!("child {} does not have the id its record hashes to", self.id.short()));
        }
        if crate::chunks::digest(&self.journal) != self.record.journal {
            return Err(format!("the journal of child {} is not the one its record names", self.id.short()));
        }
        if self.logs.as_deref().map(Digest::of) != self.record.logs {
            return Err(format!("the logs of child {} are not the ones its record names", self.id.short()));
        }
        for event in &self.journal {
            if let Event::Invoke(call) = event
                && let Some(Sealed::Inline(child)) = &call.sealed
            {
                child.check()?;
            }
        }
        Ok(())
    }
}

/// A [`SealedChild`] as it is encoded: the record's fields flat, each
/// digest 32 bytes, no field names. Borrowed to encode, owned when decoded.
#[derive(Serialize, Deserialize)]
struct Encoded<'a> {
    id: Digest,
    component: Digest,
    invokable: Digest,
    config: Digest,
    input: Digest,
    journal_digest: Digest,
    events: u64,
    outcome: EncodedOutcome<'a>,
    logs_digest: Option<Digest>,
    parent: Option<Digest>,
    wasmtime: Cow<'a, str>,
    compatibility: Digest,
    enact: Option<Cow<'a, str>>,
    limits: Cow<'a, Limits>,
    grants: Cow<'a, [DirGrant]>,
    journal: Cow<'a, [Event]>,
    logs: Option<Cow<'a, serde_bytes::Bytes>>,
}

#[derive(Serialize, Deserialize)]
enum EncodedOutcome<'a> {
    Completed(Digest),
    Failed(Cow<'a, ErrorRecord>),
    Trapped(Cow<'a, str>, Option<u64>),
    AwaitingInput(Digest),
    Incomplete,
}

impl Serialize for SealedChild {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = &self.record;
        let outcome = match &r.outcome {
            Outcome::Completed { output } => EncodedOutcome::Completed(*output),
            Outcome::Failed { error } => EncodedOutcome::Failed(Cow::Borrowed(error)),
            Outcome::Trapped { reason, at_event } => EncodedOutcome::Trapped(Cow::Borrowed(reason), *at_event),
            Outcome::AwaitingInput { request } => EncodedOutcome::AwaitingInput(*request),
            Outcome::Incomplete => EncodedOutcome::Incomplete,
        };
        Encoded {
            id: self.id,
            component: r.component,
            invokable: r.invokable,
            config: r.config,
            input: r.input,
            journal_digest: r.journal,
            events: r.events,
            outcome,
            logs_digest: r.logs,
            parent: r.parent,
            wasmtime: Cow::Borrowed(&r.engine.wasmtime),
            compatibility: r.engine.compatibility,
            enact: r.engine.enact.as_deref().map(Cow::Borrowed),
            limits: Cow::Borrowed(&r.limits),
            grants: Cow::Borrowed(&r.grants),
            journal: Cow::Borrowed(&self.journal),
            logs: self.logs.as_deref().map(|bytes| Cow::Borrowed(serde_bytes::Bytes::new(bytes))),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for SealedChild {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let e = Encoded::deserialize(d)?;
        let outcome = match e.outcome {
            EncodedOutcome::Completed(output) => Outcome::Completed { output },
            EncodedOutcome::Failed(error) => Outcome::Failed { error: error.into_owned() },
            EncodedOutcome::Trapped(reason, at_event) => Outcome::Trapped { reason: reason.into_owned(), at_event },
            EncodedOutcome::AwaitingInput(request) => Outcome::AwaitingInput { request },
            EncodedOutcome::Incomplete => Outcome::Incomplete,
        };
        let record = InvocationRecord {
            component: e.component,
            invokable: e.invokable,
            config: e.config,
            input: e.input,
            journal: e.journal_digest,
            events: e.events,
            outcome,
            logs: e.logs_digest,
            parent: e.parent,
            engine: EngineInfo {
                wasmtime: e.wasmtime.into_owned(),
                compatibility: e.compatibility,
                enact: e.enact.map(Cow::into_owned),
            },
            limits: e.limits.into_owned(),
            grants: e.grants.into_owned(),
        };
        Ok(SealedChild {
            id: e.id,
            record,
            journal: e.journal.into_owned(),
            logs: e.logs.map(|bytes| bytes.into_owned().into_vec()),
        })
    }
}

/// Moves the children held inline in `events` (not those of their own
/// journals, which they carry) into one pack, which the events then name;
/// returns the pack's digest and bytes, if there was any such child.
pub fn pack_children(events: &mut [Event]) -> Option<(Digest, Vec<u8>)> {
    let mut inline: Vec<&mut Option<Sealed>> = events
        .iter_mut()
        .filter_map(|event| match event {
            Event::Invoke(call) if matches!(call.sealed, Some(Sealed::Inline(_))) => Some(&mut call.sealed),
            _ => None,
        })
        .collect();
    if inline.is_empty() {
        return None;
    }
    let children: Vec<&SealedChild> = inline
        .iter()
        .map(|sealed| match sealed {
            Some(Sealed::Inline(child)) => &**child,
            _ => unreachable!("only inline children were taken"),
        })
        .collect();
    // Sized first: a large tree's pack is written once, with no copy made by growing it.
    let size = postcard::experimental::serialized_size(&children).expect("children encode");
    let bytes = postcard::to_extend(&children, Vec::with_capacity(size)).expect("children encode");
    let pack = Digest::of(&bytes);
    for (index, sealed) in inline.iter_mut().enumerate() {
        **sealed = Some(Sealed::Packed { pack, index: index as u32 });
    }
    Some((pack, bytes))
}

/// Decodes a pack of children that [`pack_children`] made.
///
/// # Errors
/// The bytes are not a pack.
pub fn decode_pack(digest: &Digest, bytes: &[u8]) -> Result<Vec<Arc<SealedChild>>, DecodeError> {
    postcard::from_bytes(bytes).map_err(|e| DecodeError::new(digest, "a pack of children", e))
}

/// The packs `events` name, each once, in order.
pub fn packs_named(events: &[Event]) -> Vec<Digest> {
    let mut packs: Vec<Digest> = Vec::new();
    for event in events {
        if let Event::Invoke(call) = event
            && let Some(Sealed::Packed { pack, .. }) = &call.sealed
            && !packs.contains(pack)
        {
            packs.push(*pack);
        }
    }
    packs
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
    /// Consecutive WASI random reads of these lengths.
    WasiRandomReads {
        /// Secure or insecure.
        secure: bool,
        /// The lengths, in order.
        lens: Vec<u32>,
    },
    /// A step mark: the step's name and the state after it (JSON text).
    Step {
        /// The step.
        name: String,
        /// The state.
        state: Vec<u8>,
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
            Event::WasiRandomReads(reads) => {
                Request::WasiRandomReads { secure: reads.secure, lens: reads.lens.clone() }
            }
            Event::Step(mark) => Request::Step { name: mark.name.clone(), state: mark.state.clone() },
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
            // As `show` prints them, with `0x`, in full.
            match crate::value::parse_hex(hex.strip_prefix("0x").unwrap_or(hex)) {
                Some(bytes) if bytes.len() == len => Ok(bytes),
                _ => Err(format!("expected {len} bytes as a hex string, got `{value}`")),
            }
        };
        let time = || -> Result<(u64, u32), String> {
            if let Some(seconds) = value.as_u64() {
                return Ok((seconds, 0));
            }
            // As `show` prints it: RFC 3339 in UTC.
            if let Some(instant) = value.as_str().and_then(crate::time::parse_rfc3339) {
                return Ok(instant);
            }
            let seconds = value["seconds"].as_u64();
            let nanoseconds = value["nanoseconds"].as_u64().unwrap_or(0);
            match (seconds, u32::try_from(nanoseconds)) {
                (Some(s), Ok(n)) if n < 1_000_000_000 => Ok((s, n)),
                _ => Err(format!(
                    "expected an RFC 3339 time, seconds, or {{\"seconds\", \"nanoseconds\"}}, got `{value}`"
                )),
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
            Event::WasiRandomReads(reads) => Event::WasiRandomReads(Box::new(RandomReads {
                bytes: bytes_of(reads.bytes.len())?,
                ..(**reads).clone()
            })),
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
                    tool_calls: Vec::new(),
                };
                let bytes = crate::value::canonical_record(&completion);
                let event = Event::Llm(Box::new(LlmCall {
                    request: call.request,
                    result: Ok(Digest::of(&bytes)),
                    provider: "override".into(),
                }));
                return Ok((event, Some(bytes)));
            }
            Event::Step(mark) => {
                if !value.is_object() {
                    return Err(format!("expected the state to go on with as a JSON object, got `{value}`"));
                }
                let state = serde_json::to_vec(value).expect("a JSON value serializes");
                let replaced = Some(serde_bytes::ByteBuf::from(state));
                Event::Step(Box::new(StepMark { replaced, ..(**mark).clone() }))
            }
            Event::Invoke(call) => {
                let output = crate::value::canonical_bytes(value);
                let event = Event::Invoke(Box::new(ChildCall {
                    child: None,
                    sealed: None,
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
                hex_start(bytes)
            }
            Event::WasiRandomReads(reads) => hex_start(&reads.bytes),
            Event::Step(mark) => match &mark.replaced {
                None => String::from_utf8_lossy(&mark.state).into_owned(),
                Some(state) => format!("going on with {}", String::from_utf8_lossy(state)),
            },
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
                    serde_json::json!(hex(bytes)),
                Event::WasiRandomReads(reads) => serde_json::json!(hex(&reads.bytes)),
                Event::Step(mark) => serde_json::json!({
                    "step": mark.name,
                    "state": json_or_text(&mark.state),
                    "replaced": mark.replaced.as_ref().map(|s| json_or_text(s)),
                }),
            },
        })
    }
}

/// `bytes` as the JSON value they hold, or as a string when they hold none.
fn json_or_text(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned().into())
}

/// `bytes` in hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `0x` and the first 16 bytes in hex, with `…` when there are more.
fn hex_start(bytes: &[u8]) -> String {
    let start = hex(&bytes[..bytes.len().min(16)]);
    if bytes.len() > 16 { format!("0x{start}…") } else { format!("0x{start}") }
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
            Request::WasiRandomReads { secure, lens } => {
                let interface = if *secure { "random" } else { "insecure" };
                let total: u64 = lens.iter().map(|&l| u64::from(l)).sum();
                match lens.as_slice() {
                    [len] => write!(f, "wasi:random/{interface}({len})"),
                    _ => write!(f, "wasi:random/{interface} ×{} reads ({total} bytes)", lens.len()),
                }
            }
            Request::Step { name, state } => {
                let state = String::from_utf8_lossy(state);
                match state.char_indices().nth(200) {
                    Some((end, _)) => write!(f, "step.mark(`{name}`, {}…)", &state[..end]),
                    None => write!(f, "step.mark(`{name}`, {state})"),
                }
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
        /// What the guest returned (canonical JSON), when it completed.
        output: Option<Vec<u8>>,
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

#[cfg(test)]
mod sealed_tests {
    use super::*;
    use crate::record::tests::outcomes;

    /// A record with every optional part the binary encoding carries.
    fn record(outcome: Outcome) -> InvocationRecord {
        let plain = crate::record::tests::record(outcome);
        InvocationRecord {
            parent: Some(Digest::of(b"parent")),
            engine: EngineInfo { enact: None, ..plain.engine.clone() },
            limits: Limits { fuel: Some(9), ..plain.limits.clone() },
            grants: vec![DirGrant { guest: "/data".into(), snapshot: Digest::of(b"snapshot"), writable: true }],
            ..plain
        }
    }

    /// A child whose journal holds a child of its own, inline.
    fn parent_of(grandchild: SealedChild) -> SealedChild {
        let call = ChildCall {
            target: "roll-die".into(),
            component: Some(grandchild.record.component),
            config: grandchild.record.config,
            input: grandchild.record.input,
            child: Some(grandchild.id),
            result: ChildResult::Incomplete,
            memoized: false,
            sealed: Some(Sealed::Inline(Arc::new(grandchild))),
        };
        let journal = vec![Event::RandomU64 { value: 4 }, Event::Invoke(Box::new(call))];
        let logs = [LogLine { at: Some(1), level: "info".into(), message: "rolled".into() }];
        SealedChild::seal(record(Outcome::Completed { output: Digest::of(b"4") }), journal, &logs)
    }

    #[test]
    fn a_sealed_child_is_named_by_its_canonical_record_and_decodes_as_it_was() {
        for outcome in outcomes() {
            let child = parent_of(SealedChild::seal(record(outcome), vec![Event::RandomU64 { value: 1 }], &[]));
            assert_eq!(child.id, Digest::of(&child.record.canonical()));
            let decoded = SealedChild::decode_bytes(&child.encode()).expect("decodes");
            assert_eq!(decoded, child);
            decoded.check().expect("what it says of itself holds");
            // Binary: under half the bytes of the record's canonical JSON.
            let alone = SealedChild { journal: Vec::new(), logs: None, ..child.clone() };
            assert!(alone.encode().len() * 2 < alone.record.canonical().len(), "{}", alone.encode().len());
        }
    }

    #[test]
    fn a_pack_names_its_children_and_a_child_that_lies_about_its_id_is_caught() {
        let child = || parent_of(SealedChild::seal(record(Outcome::Incomplete), Vec::new(), &[]));
        let mut events = vec![
            Event::Invoke(Box::new(ChildCall {
                target: "a".into(),
                component: None,
                config: Digest::of(b"config"),
                input: Digest::of(b"input"),
                child: None,
                result: ChildResult::Incomplete,
                memoized: false,
                sealed: Some(Sealed::Inline(Arc::new(child()))),
            })),
            Event::RandomU64 { value: 2 },
        ];
        let (digest, bytes) = pack_children(&mut events).expect("a pack");
        assert_eq!(digest, Digest::of(&bytes));
        assert_eq!(packs_named(&events), vec![digest]);
        let children = decode_pack(&digest, &bytes).expect("decodes");
        assert_eq!(*children[0], child());
        children[0].check().expect("sound");

        // Another record under the same id, at either depth.
        let mut lying = child();
        lying.record.events += 1;
        assert!(lying.check().unwrap_err().contains("does not have the id its record hashes to"));
        let mut deep = SealedChild::seal(record(Outcome::Incomplete), Vec::new(), &[]);
        deep.record.input = Digest::of(b"other input");
        let outer = parent_of(deep);
        assert!(outer.check().unwrap_err().contains("does not have the id"), "a grandchild is checked too");
        let mut other_journal = child();
        other_journal.journal.pop();
        assert!(other_journal.check().unwrap_err().contains("is not the one its record names"));
    }
}
