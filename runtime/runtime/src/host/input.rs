//! `enact:runtime/input`: a person (or whoever answers for one) as a
//! journaled source. A person's answer is durable before the guest sees it;
//! one its source can give again goes with the journal's next commit
//! ([`Answer::must_be_durable`](enact_core::answer::Answer::must_be_durable)).
//! With no answer at hand the invocation suspends as `awaiting-input`.

use enact_core::answer::InputRequest;
use enact_core::event::{Event, InputCall, Request};
use enact_core::value::{self, Digest};
use enact_store::StorageError;
use serde_json::Value;

use super::HostState;
use super::enact::runtime::input::{Host, InputRequest as WitRequest};
use super::trap;

fn json_field(what: &str, text: &str) -> wasmtime::Result<Value> {
    serde_json::from_str(text)
        .map_err(|e| wasmtime::Error::msg(format!("the input request's {what} is not valid JSON: {e}")))
}

impl Host for HostState {
    fn request(&mut self, req: WitRequest) -> wasmtime::Result<String> {
        let Some(children) = &self.children else {
            return Err(trap("`input.request` is not available while describing a component"));
        };
        let request = InputRequest {
            prompt: json_field("prompt", &req.prompt)?,
            schema: req.schema.as_deref().map(|s| json_field("schema", s)).transpose()?,
            context: req.context.as_deref().map(|s| json_field("context", s)).transpose()?,
        };
        let request_bytes = value::canonical_record(&request);
        let digest = Digest::of(&request_bytes);
        if let Some(event) = self.journal().next_recorded(&Request::Input { request: digest }).map_err(trap)? {
            let Event::Input(call) = event else { unreachable!("the journal serves what was requested") };
            let answer = children.blob(&call.answer).map_err(|e| self.fault(e))?;
            return String::from_utf8(answer).map_err(|e| self.fault(StorageError::not_text(&call.answer, e)));
        }
        children.observer().input_requested(children.depth(), &request);
        let answer = children.answer(&request);
        let answer = match answer {
            Ok(Some(answer)) => answer,
            Ok(None) => return Err(self.suspend(request_bytes)),
            Err(message) => {
                tracing::warn!("no valid answer to `{}`: {message}", request.prompt_text());
                return Err(self.suspend(request_bytes));
            }
        };
        let answer_bytes = value::canonical_bytes(&answer.value);
        let durable = answer.must_be_durable();
        let event =
            Event::Input(Box::new(InputCall { request: digest, answer: Digest::of(&answer_bytes), by: answer.by }));
        let mut journal = self.journal();
        journal.keep_blobs(vec![request_bytes, answer_bytes.clone()]);
        journal.record_live(event).map_err(trap)?;
        // Durable before the guest sees it: a person's answer is never lost.
        if durable && let Err(e) = journal.persist_now(Vec::new()) {
            drop(journal);
            return Err(self.fault(e));
        }
        Ok(String::from_utf8(answer_bytes).expect("canonical JSON is UTF-8"))
    }
}
