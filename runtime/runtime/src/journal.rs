//! The journal of one running invocation: every nondeterministic value a
//! guest receives, in order.
//!
//! A [`Journal`] serves requests either from recorded events (replay) or from
//! live [`Sources`] (recording), and persists live events through a [`Sink`]
//! before the invocation's outcome is acknowledged. A request that differs
//! from the recorded one at the same index is a [`Divergence`].

use std::sync::Arc;

use enact_core::event::{Divergence, Event, RandomReads, Request};
use enact_store::StorageError;

use crate::observe::Observer;
use crate::sources::Sources;

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

/// Consecutive WASI random reads are one event up to this many bytes.
const COALESCED_BYTES: usize = 64 * 1024;

/// Where a run's live events are persisted while it runs: implemented by
/// the execution layer, which knows the store and the invocation tree.
pub trait Sink: Send {
    /// Durably writes `events`, the next chunk of the run's journal (the
    /// first chunk starts at event 0), with `blobs` they or an effect about
    /// to happen name. Called with no events to make only `blobs` durable.
    ///
    /// # Errors
    /// The store failed.
    fn append(&mut self, events: &[Event], blobs: &[Vec<u8>]) -> Result<(), StorageError>;

    /// Whether any chunk (and so the run's header) was written.
    fn wrote_any(&self) -> bool;

    /// Whether a chunk with events was written: the next one continues it.
    fn has_chunks(&self) -> bool;
}

/// The journal of one invocation: a recorded prefix to replay, then live events.
pub struct Journal {
    recorded: Arc<[Event]>,
    cursor: usize,
    /// Replaying coalesced random reads: the next read of the recorded
    /// event at `cursor - 1`, and where its bytes start.
    part: Option<(usize, usize)>,
    live: Vec<Event>,
    persisted: usize,
    /// Blobs live events name, written with the next chunk.
    blobs: Vec<Vec<u8>>,
    sink: Option<Box<dyn Sink>>,
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
    observer: Arc<dyn Observer>,
    depth: u32,
}

impl Journal {
    /// A journal that first replays `recorded`, then samples `sources` live.
    pub fn new(recorded: Arc<[Event]>, sources: Sources, max_events: u64) -> Journal {
        let recorded_empty = recorded.is_empty();
        Journal {
            recorded,
            cursor: 0,
            part: None,
            live: Vec::new(),
            persisted: 0,
            blobs: Vec::new(),
            sink: None,
            sources,
            max_events,
            exact: false,
            stop: None,
            live_since: recorded_empty.then(std::time::Instant::now),
            fault: None,
            observer: Arc::new(crate::observe::Unobserved),
            depth: 0,
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

    /// Tells `observer` of every event served, as those of an invocation at `depth`.
    pub fn observe(&mut self, observer: Arc<dyn Observer>, depth: u32) {
        self.observer = observer;
        self.depth = depth;
    }

    /// Persist live events through `sink` while the invocation runs.
    pub fn persist_to(&mut self, sink: Box<dyn Sink>) {
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

    /// Serves a WASI random read of `len` bytes. Consecutive live reads of
    /// one kind share one [`Event::WasiRandomReads`]; a replay serves each
    /// read its part of the recorded bytes.
    ///
    /// # Errors
    /// As [`Journal::serve`].
    pub fn serve_random(&mut self, secure: bool, len: usize) -> Result<Vec<u8>, JournalError> {
        if let Some(bytes) = self.next_recorded_part(secure, len)? {
            return Ok(bytes);
        }
        let single = if secure { Request::WasiRandom(len) } else { Request::WasiInsecureRandom(len) };
        match self.recorded.get(self.cursor) {
            Some(Event::WasiRandomReads { .. }) => {
                let reads = Request::WasiRandomReads { secure, lens: vec![len as u32] };
                self.next_recorded(&reads)?;
                // It matched: serve its first part.
                self.part = Some((0, 0));
                return Ok(self.next_recorded_part(secure, len)?.expect("the first part of the matched event"));
            }
            // Journals written before reads were coalesced: one event each.
            Some(Event::WasiRandom { .. } | Event::WasiInsecureRandom { .. }) => {
                return match self.serve(single)? {
                    Event::WasiRandom { bytes } | Event::WasiInsecureRandom { bytes } => Ok(bytes),
                    other => unreachable!("the journal serves what was requested, not {other:?}"),
                };
            }
            _ => {}
        }
        if self.next_recorded(&single)?.is_some() {
            unreachable!("a recorded event that is not a random read diverges first");
        }
        let Some(Event::WasiRandom { bytes } | Event::WasiInsecureRandom { bytes }) = self.sources.sample(&single)
        else {
            unreachable!("the sources answer random reads")
        };
        let unpersisted = self.live.len() > self.persisted;
        if let Some(Event::WasiRandomReads(reads)) = self.live.last_mut()
            && unpersisted
            && reads.secure == secure
            && reads.bytes.len() + bytes.len() <= COALESCED_BYTES
        {
            reads.lens.push(len as u32);
            reads.bytes.extend_from_slice(&bytes);
            return Ok(bytes);
        }
        let reads = RandomReads { secure, lens: vec![len as u32], bytes: bytes.clone() };
        self.record_live(Event::WasiRandomReads(Box::new(reads)))?;
        Ok(bytes)
    }

    /// The next part of a recorded coalesced read, if one is being served.
    fn next_recorded_part(&mut self, secure: bool, len: usize) -> Result<Option<Vec<u8>>, JournalError> {
        let Some((read, start)) = self.part else { return Ok(None) };
        let Event::WasiRandomReads(reads) = &self.recorded[self.cursor - 1] else {
            unreachable!("a part is of a coalesced read")
        };
        let RandomReads { secure: kind, lens, bytes } = &**reads;
        if *kind != secure || lens[read] as usize != len {
            let actual = if secure { Request::WasiRandom(len) } else { Request::WasiInsecureRandom(len) };
            return Err(self.diverged_in_part(actual.to_string()));
        }
        let part = bytes[start..start + len].to_vec();
        self.part = (read + 1 < lens.len()).then_some((read + 1, start + len));
        Ok(Some(part))
    }

    /// The guest asked for `actual` where a coalesced read had parts left.
    fn diverged_in_part(&mut self, actual: String) -> JournalError {
        let (read, _) = self.part.expect("a part is being served");
        let Event::WasiRandomReads(reads) = &self.recorded[self.cursor - 1] else {
            unreachable!("a part is of a coalesced read")
        };
        let RandomReads { secure, lens, .. } = &**reads;
        let single = if *secure {
            Request::WasiRandom(lens[read] as usize)
        } else {
            Request::WasiInsecureRandom(lens[read] as usize)
        };
        let divergence = Divergence::Request {
            index: (self.cursor - 1) as u64,
            recorded: format!("{single}, read {} of {}", read + 1, lens.len()),
            actual,
        };
        self.fail(divergence.into())
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
        if self.part.is_some() {
            return Err(self.diverged_in_part(request.to_string()));
        }
        let index = self.len();
        if index as u64 >= self.max_events {
            return Err(self.fail(JournalError::TooLong(self.max_events)));
        }
        if let Some(event) = self.recorded.get(self.cursor) {
            let matches = match (event, request) {
                // A coalesced read is matched by its first read's kind and length.
                (Event::WasiRandomReads(reads), Request::WasiRandomReads { secure: asked, lens: first }) => {
                    reads.secure == *asked && reads.lens.first() == first.first()
                }
                // Compared in place: a state may be large, and is marked at every step.
                (Event::Step(mark), Request::Step { name, state }) => mark.name == *name && mark.state == *state,
                _ => event.request() == *request,
            };
            if !matches {
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
            self.observer.event(self.depth, index as u64, event, true);
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
        self.observer.event(self.depth, self.len() as u64, &event, false);
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

    /// Keeps `blobs`, which an event about to be recorded names, to be
    /// written with the next chunk (or [`Journal::persist_now`]).
    pub fn keep_blobs(&mut self, blobs: Vec<Vec<u8>>) {
        self.blobs.extend(blobs);
    }

    /// The kept blobs no chunk has written yet: the seal writes them.
    pub fn take_blobs(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.blobs)
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
    pub fn persist_now(&mut self, mut blobs: Vec<Vec<u8>>) -> Result<(), StorageError> {
        blobs.append(&mut self.blobs);
        if let Some(sink) = &mut self.sink {
            if !sink.has_chunks() && !self.live.is_empty() {
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
        self.sink.as_ref().is_some_and(|s| s.wrote_any())
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

    /// Recorded events the replay has not consumed (a coalesced read with
    /// parts left counts as one).
    pub fn unused(&self) -> usize {
        self.recorded.len() - self.cursor + usize::from(self.part.is_some())
    }

    /// Whether any event was sampled live.
    pub fn went_live(&self) -> bool {
        !self.live.is_empty()
    }

    /// The whole journal as served (the consumed recorded prefix, then live
    /// events), the live ones moved out: the journal is done. A large tree's
    /// children (held inline in its events) then live once, and go as soon
    /// as the seal has packed them.
    pub fn take_events(&mut self) -> Vec<Event> {
        let live = std::mem::take(&mut self.live);
        if self.cursor == 0 {
            return live;
        }
        let mut all = Vec::with_capacity(self.cursor + live.len());
        all.extend_from_slice(&self.recorded[..self.cursor]);
        all.extend(live);
        all
    }
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
        let events = live.take_events();
        assert_eq!(events, vec![a.clone(), b.clone()]);

        let mut replay = Journal::new(events.clone().into(), Sources::seeded(8), 100);
        assert_eq!(replay.serve(Request::RandomU64).unwrap(), a);
        assert_eq!(replay.serve(Request::ClockNow).unwrap(), b);
        assert!(!replay.went_live());
        assert_eq!(replay.take_events(), events);
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
    fn consecutive_random_reads_are_one_event_and_replay_read_by_read() {
        let mut live = Journal::new(recorded(vec![]), Sources::seeded(3), 100);
        let reads: Vec<Vec<u8>> = [4, 8, 4].iter().map(|&n| live.serve_random(true, n).unwrap()).collect();
        live.serve(Request::ClockNow).unwrap();
        let after = live.serve_random(true, 2).unwrap();
        let insecure = live.serve_random(false, 2).unwrap();
        let events = live.take_events();
        assert_eq!(events.len(), 4, "{events:?}");
        let coalesced = RandomReads { secure: true, lens: vec![4, 8, 4], bytes: reads.concat() };
        assert_eq!(events[0], Event::WasiRandomReads(Box::new(coalesced)));

        let mut replay = Journal::new(events.clone().into(), Sources::seeded(9), 100);
        for (n, read) in [4, 8, 4].iter().zip(&reads) {
            assert_eq!(&replay.serve_random(true, *n).unwrap(), read);
        }
        replay.serve(Request::ClockNow).unwrap();
        assert_eq!(replay.serve_random(true, 2).unwrap(), after);
        assert_eq!(replay.serve_random(false, 2).unwrap(), insecure);
        assert!(!replay.went_live());
        assert_eq!(replay.take_events(), events);

        // Another length, or another request before the last read, diverges.
        let mut other = Journal::new(events.clone().into(), Sources::seeded(9), 100);
        other.serve_random(true, 4).unwrap();
        let err = other.serve_random(true, 16).unwrap_err().to_string();
        assert!(err.contains("event 0: the journal recorded `wasi:random/random(8), read 2 of 3`"), "{err}");
        let mut early = Journal::new(events.into(), Sources::seeded(9), 100);
        early.serve_random(true, 4).unwrap();
        let err = early.serve(Request::ClockNow).unwrap_err().to_string();
        assert!(err.contains("read 2 of 3` but the guest asked for `clock.now`"), "{err}");
    }

    #[test]
    fn a_journal_of_one_event_per_random_read_still_replays() {
        let events = vec![Event::WasiRandom { bytes: vec![1, 2] }, Event::WasiRandom { bytes: vec![3] }];
        let mut replay = Journal::new(recorded(events), Sources::seeded(1), 100);
        assert_eq!(replay.serve_random(true, 2).unwrap(), vec![1, 2]);
        assert_eq!(replay.serve_random(true, 1).unwrap(), vec![3]);
        assert!(!replay.went_live());
    }

    #[test]
    fn the_length_limit_stops_the_journal() {
        let mut j = Journal::new(recorded(vec![]), Sources::seeded(1), 2);
        j.serve(Request::RandomU64).unwrap();
        j.serve(Request::RandomU64).unwrap();
        let err = j.serve(Request::RandomU64).unwrap_err().to_string();
        assert_eq!(err, "journal limit of 2 events exceeded");
    }
}
