//! `enact:runtime/invoke`: child invocations. Each call is a child with its
//! own journal; the caller's journal records it as one event. On replay a
//! recorded child is reused without instantiating it. `call-all` runs its
//! live children on threads of their own, at once, and records them in the
//! order they were given.

use enact_core::event::{ChildResult, Event, Request};
use enact_core::record::ErrorRecord;
use enact_core::value::{self, Hashed};
use enact_store::StorageError;

use super::enact::runtime::invoke::{CallRequest, ChildLimits, Host};
use super::enact::runtime::types::Error;
use super::{ChildError, ChildOutcome, HostState, Tighter, trap};

fn guest_error(code: &str, message: String) -> Error {
    Error { code: code.to_string(), message, details: None }
}

impl From<ErrorRecord> for Error {
    fn from(e: ErrorRecord) -> Self {
        Error { code: e.code, message: e.message, details: e.details }
    }
}

/// A call whose JSON was canonicalized: what the journal names.
struct Prepared {
    target: String,
    config: Hashed,
    input: Hashed,
}

impl Prepared {
    fn request(&self) -> Request {
        Request::Invoke { target: self.target.clone(), config: self.config.digest, input: self.input.digest }
    }
}

/// The canonical form of the JSON text a guest passed last as a child's
/// config, and as its input: a guest that calls with the same text again
/// (a die rolled in a loop) is not parsed and hashed again.
#[derive(Default)]
pub(crate) struct RecentJson {
    config: Option<Canonical>,
    input: Option<Canonical>,
}

struct Canonical {
    text: String,
    json: Hashed,
}

impl RecentJson {
    /// Malformed JSON from the guest is deterministic: an error, not an event.
    fn prepare(&mut self, target: String, config: Option<&str>, input: &str) -> Result<Prepared, Error> {
        let config = Self::canonical(&mut self.config, config.unwrap_or("{}"))
            .map_err(|e| guest_error("invalid-config", format!("config for `{target}`: {e}")))?;
        let input = Self::canonical(&mut self.input, input)
            .map_err(|e| guest_error("invalid-input", format!("input for `{target}`: {e}")))?;
        Ok(Prepared { target, config, input })
    }

    fn canonical(recent: &mut Option<Canonical>, text: &str) -> Result<Hashed, value::InvalidJson> {
        if let Some(known) = recent.as_ref().filter(|known| known.text == text) {
            return Ok(known.json.clone());
        }
        let json = Hashed::new(value::canonicalize(text)?);
        *recent = Some(Canonical { text: text.to_string(), json: json.clone() });
        Ok(json)
    }
}

/// At most this many children of one `call-all` run at once.
const PARALLEL: usize = 8;

impl HostState {
    fn child_failed(&self, e: ChildError) -> wasmtime::Error {
        match e {
            // The guest's own doing, the same on every replay.
            ChildError::Limit(message) => trap(message),
            ChildError::Fault(fault) => self.fault(fault),
        }
    }

    /// One call: served from the journal, continued, or run live (under `tighter` limits).
    fn call_one(&mut self, call: Prepared, tighter: &Tighter) -> wasmtime::Result<Result<String, Error>> {
        let Some(children) = &self.children else {
            return Ok(Err(guest_error("unsupported", "`invoke.call` is not available here".into())));
        };
        let recorded = self.journal().next_recorded(&call.request()).map_err(trap)?;
        let (event, live_output, awaiting) = match recorded {
            Some(Event::Invoke(recorded)) if recorded.result != ChildResult::Incomplete => {
                (Event::Invoke(recorded), None, None)
            }
            recorded => {
                let child = match recorded {
                    Some(Event::Invoke(recorded)) => {
                        // The recorded run stopped inside this child: continue it, live from here on.
                        self.journal().end_replay_before_last();
                        children.resume(*recorded).map_err(|e| self.child_failed(e))?
                    }
                    _ => {
                        children.observer().child_started(children.depth() + 1, &call.target);
                        let outcome = children.run_limited(call.target, call.config, call.input, tighter);
                        outcome.map_err(|e| self.child_failed(e))?
                    }
                };
                self.journal().record_live(child.event.clone()).map_err(trap)?;
                (child.event, child.output, child.awaiting)
            }
        };
        self.result_of(event, live_output, awaiting)
    }

    /// What the guest gets for a child's `event`; a child awaiting input suspends its caller.
    fn result_of(
        &mut self,
        event: Event,
        live_output: Option<Vec<u8>>,
        awaiting: Option<Vec<u8>>,
    ) -> wasmtime::Result<Result<String, Error>> {
        if let Some(request) = awaiting {
            // The child waits for an answer, so its caller does too.
            return Err(self.suspend(request));
        }
        let Event::Invoke(call) = event else {
            unreachable!("the journal serves what was requested");
        };
        Ok(match call.result {
            ChildResult::Completed(output) => {
                let bytes = match live_output {
                    Some(bytes) => bytes,
                    None => {
                        let children = self.children.as_ref().expect("a child ran");
                        children.blob(&output).map_err(|e| self.fault(e))?
                    }
                };
                Ok(String::from_utf8(bytes).map_err(|e| self.fault(StorageError::not_text(&output, e)))?)
            }
            ChildResult::Failed(error) => Err(error.into()),
            ChildResult::Trapped(reason) => Err(guest_error("trapped", reason)),
            ChildResult::Incomplete => {
                return Err(wasmtime::Error::msg("a child invocation did not finish"));
            }
        })
    }

    /// Runs `calls` live, at most [`PARALLEL`] at once, each on a thread
    /// with the stack a tree of nested invocations needs.
    fn run_live(&self, calls: Vec<Prepared>) -> Vec<Result<ChildOutcome, ChildError>> {
        let children = self.children.as_deref().expect("live children have a tree");
        let stack = crate::engine::stack_for(children.levels_below());
        let next = std::sync::atomic::AtomicUsize::new(0);
        let slots: Vec<std::sync::Mutex<Option<Prepared>>> =
            calls.into_iter().map(|c| std::sync::Mutex::new(Some(c))).collect();
        let results: Vec<std::sync::Mutex<Option<Result<ChildOutcome, ChildError>>>> =
            slots.iter().map(|_| std::sync::Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            let workers = slots.len().min(PARALLEL);
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    std::thread::Builder::new().name("enact-child".into()).stack_size(stack).spawn_scoped(scope, || {
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(slot) = slots.get(i) else { break };
                            let call = slot.lock().unwrap_or_else(|p| p.into_inner()).take().expect("taken once");
                            children.observer().child_started(children.depth() + 1, &call.target);
                            let outcome = children.run(call.target, call.config, call.input);
                            *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
                        }
                    })
                })
                .collect();
            for handle in handles {
                match handle {
                    Ok(handle) => {
                        if let Err(panic) = handle.join() {
                            std::panic::resume_unwind(panic);
                        }
                    }
                    Err(e) => {
                        // No thread: the calls run here, one after another.
                        tracing::warn!("cannot start a thread for children: {e}");
                    }
                }
            }
            // Whatever no worker took (no thread could start) runs on this thread.
            for (i, slot) in slots.iter().enumerate() {
                if let Some(call) = slot.lock().unwrap_or_else(|p| p.into_inner()).take() {
                    children.observer().child_started(children.depth() + 1, &call.target);
                    *results[i].lock().unwrap_or_else(|p| p.into_inner()) =
                        Some(children.run(call.target, call.config, call.input));
                }
            }
        });
        results
            .into_iter()
            .map(|r| r.into_inner().unwrap_or_else(|p| p.into_inner()).expect("every call ran"))
            .collect()
    }
}

impl Host for HostState {
    fn call(
        &mut self,
        target: String,
        config: Option<String>,
        input: String,
    ) -> wasmtime::Result<Result<String, Error>> {
        if self.children.is_none() {
            return Ok(Err(guest_error("unsupported", "`invoke.call` is not available here".into())));
        }
        match self.recent_json.prepare(target, config.as_deref(), &input) {
            Ok(call) => self.call_one(call, &Tighter::default()),
            Err(error) => Ok(Err(error)),
        }
    }

    fn call_limited(
        &mut self,
        target: String,
        config: Option<String>,
        input: String,
        limits: ChildLimits,
    ) -> wasmtime::Result<Result<String, Error>> {
        if self.children.is_none() {
            return Ok(Err(guest_error("unsupported", "`invoke.call-limited` is not available here".into())));
        }
        let tighter =
            Tighter { fuel: limits.fuel, memory_bytes: limits.memory_bytes, wall_time_ms: limits.wall_time_ms };
        match self.recent_json.prepare(target, config.as_deref(), &input) {
            Ok(call) => self.call_one(call, &tighter),
            Err(error) => Ok(Err(error)),
        }
    }

    fn call_all(&mut self, calls: Vec<CallRequest>) -> wasmtime::Result<Vec<Result<String, Error>>> {
        if self.children.is_none() {
            let unsupported = || Err(guest_error("unsupported", "`invoke.call-all` is not available here".into()));
            return Ok(calls.iter().map(|_| unsupported()).collect());
        }
        let mut results: Vec<Option<Result<String, Error>>> = Vec::with_capacity(calls.len());
        let mut live: Vec<(usize, Prepared)> = Vec::new();
        for (i, call) in calls.into_iter().enumerate() {
            let call = match self.recent_json.prepare(call.target, call.config.as_deref(), &call.input) {
                Ok(call) => call,
                Err(error) => {
                    results.push(Some(Err(error)));
                    continue;
                }
            };
            // While the journal has recorded children, they are served in
            // order, or continued (one that did not finish) as `call` does.
            if live.is_empty() && self.journal().replaying() {
                results.push(Some(self.call_one(call, &Tighter::default())?));
                continue;
            }
            // The journal has run out (it may not have for later calls that
            // came after one that failed to canonicalize; none of those is
            // recorded either: the journal records calls in order).
            results.push(None);
            live.push((i, call));
        }
        if live.is_empty() {
            return Ok(results.into_iter().map(|r| r.expect("every call has a result")).collect());
        }
        // A replay that must not go live fails here, before any child runs.
        let first = live[0].1.request();
        if self.journal().next_recorded(&first).map_err(trap)?.is_some() {
            return Err(trap("`call-all` found a recorded child after the journal ran out"));
        }
        let requests: Vec<Request> = live.iter().map(|(_, call)| call.request()).collect();
        let (indices, calls): (Vec<usize>, Vec<Prepared>) = live.into_iter().unzip();
        let outcomes = self.run_live(calls);
        for ((i, outcome), request) in indices.into_iter().zip(outcomes).zip(requests) {
            let child = outcome.map_err(|e| self.child_failed(e))?;
            // As `call` does before each event: the journal's own limits.
            self.journal().next_recorded(&request).map_err(trap)?;
            self.journal().record_live(child.event.clone()).map_err(trap)?;
            // A child that awaits input suspends the caller here: the later
            // ones ran, but as sequential calls they would not have; their
            // events are not recorded and a resumed run calls them again.
            results[i] = Some(self.result_of(child.event, child.output, child.awaiting)?);
        }
        Ok(results.into_iter().map(|r| r.expect("every call has a result")).collect())
    }
}
