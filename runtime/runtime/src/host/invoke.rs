//! `enact:runtime/invoke`: child invocations. Each call is a child with its
//! own journal; the caller's journal records it as one event. On replay a
//! recorded child is reused without instantiating it.

use enact_core::event::{ChildResult, Event, Request};
use enact_core::record::ErrorRecord;
use enact_core::value;
use enact_store::StorageError;

use super::enact::runtime::invoke::Host;
use super::enact::runtime::types::Error;
use super::{ChildError, HostState, trap};

fn guest_error(code: &str, message: String) -> Error {
    Error { code: code.to_string(), message, details: None }
}

impl From<ErrorRecord> for Error {
    fn from(e: ErrorRecord) -> Self {
        Error { code: e.code, message: e.message, details: e.details }
    }
}

impl Host for HostState {
    fn call(
        &mut self,
        target: String,
        config: Option<String>,
        input: String,
    ) -> wasmtime::Result<Result<String, Error>> {
        let Some(children) = &self.children else {
            return Ok(Err(guest_error("unsupported", "`invoke.call` is not available here".into())));
        };
        // Malformed JSON from the guest is deterministic: an error, not an event.
        let config = match value::canonicalize(config.as_deref().unwrap_or("{}")) {
            Ok(bytes) => bytes,
            Err(e) => return Ok(Err(guest_error("invalid-config", format!("config for `{target}`: {e}")))),
        };
        let input = match value::canonicalize(&input) {
            Ok(bytes) => bytes,
            Err(e) => return Ok(Err(guest_error("invalid-input", format!("input for `{target}`: {e}")))),
        };
        let request = Request::Invoke {
            target: target.clone(),
            config: value::Digest::of(&config),
            input: value::Digest::of(&input),
        };
        let recorded = self.journal().next_recorded(&request).map_err(trap)?;
        let failed = |e: ChildError| match e {
            // The guest's own doing, the same on every replay.
            ChildError::Limit(message) => trap(message),
            ChildError::Fault(fault) => self.fault(fault),
        };
        let (event, live_output, awaiting) = match recorded {
            Some(Event::Invoke(call)) if call.result != ChildResult::Incomplete => (Event::Invoke(call), None, None),
            recorded => {
                let child = match recorded {
                    Some(Event::Invoke(call)) => {
                        // The recorded run stopped inside this child: continue it, live from here on.
                        self.journal().end_replay_before_last();
                        children.resume(*call).map_err(failed)?
                    }
                    _ => {
                        children.observer().child_started(children.depth() + 1, &target);
                        children.run(target, config, input).map_err(failed)?
                    }
                };
                self.journal().record_live(child.event.clone()).map_err(trap)?;
                (child.event, child.output, child.awaiting)
            }
        };
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
                    None => children.blob(&output).map_err(|e| self.fault(e))?,
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
}
