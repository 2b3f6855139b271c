//! `enact:runtime/llm`: completions from the configured provider. The request
//! is durable before it is sent and the response before the guest sees it;
//! a replay serves the recorded response and contacts no provider.

use enact_core::event::{Event, LlmCall, Request};
use enact_core::llm::{Completion, CompletionRequest, LlmFailure, Message, Retry};
use enact_core::value::{self, Digest};

use super::enact::runtime::llm::{Completion as WitCompletion, CompletionRequest as WitRequest, Host, LlmError, Usage};
use super::{HostState, trap};

/// The guest's request in its journaled form. The temperature goes through
/// its shortest decimal text, so `0.7` is recorded as `0.7`.
fn request_of(req: WitRequest) -> Result<CompletionRequest, LlmFailure> {
    let response_format = req
        .response_format
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| LlmFailure::Rejected(format!("`response-format` is not valid JSON: {e}")))?;
    Ok(CompletionRequest {
        model: req.model,
        messages: req.messages.into_iter().map(|m| Message { role: m.role, content: m.content }).collect(),
        temperature: req.temperature.map(|t| t.to_string().parse().unwrap_or(f64::from(t))),
        max_tokens: req.max_tokens,
        stop: req.stop,
        response_format,
    })
}

fn to_guest(result: Result<Completion, LlmFailure>) -> Result<WitCompletion, LlmError> {
    match result {
        Ok(c) => Ok(WitCompletion {
            text: c.text,
            finish_reason: c.finish_reason,
            usage: Usage { prompt_tokens: c.usage.prompt_tokens, completion_tokens: c.usage.completion_tokens },
            model: c.model,
        }),
        Err(LlmFailure::Unavailable(m)) => Err(LlmError::Unavailable(m)),
        Err(LlmFailure::Rejected(m)) => Err(LlmError::Rejected(m)),
        Err(LlmFailure::Malformed(m)) => Err(LlmError::Malformed(m)),
        Err(LlmFailure::Timeout(m)) => Err(LlmError::Timeout(m)),
    }
}

impl Host for HostState {
    fn complete(&mut self, req: WitRequest) -> wasmtime::Result<Result<WitCompletion, LlmError>> {
        let Some(children) = &self.children else {
            return Ok(Err(LlmError::Unavailable(
                "`llm.complete` is not available while describing a component".into(),
            )));
        };
        // A malformed request is the guest's own deterministic mistake: no event.
        let request = match request_of(req) {
            Ok(request) => request,
            Err(failure) => return Ok(to_guest(Err(failure))),
        };
        let request_bytes = value::canonical_record(&request);
        let digest = Digest::of(&request_bytes);
        if let Some(event) = self.journal().next_recorded(&Request::Llm { request: digest }).map_err(trap)? {
            let Event::Llm(call) = event else { unreachable!("the journal serves what was requested") };
            let result = match call.result {
                Ok(completion) => {
                    let bytes = children.blob(&completion).map_err(|e| self.fault(e))?;
                    let decoded = value::decode_json(&completion, "a completion", &bytes);
                    Ok(decoded.map_err(|e| self.fault(e))?)
                }
                Err(failure) => Err(failure),
            };
            return Ok(to_guest(result));
        }
        // The request is durable before it is sent.
        let persisted = self.journal().persist_now(vec![request_bytes]);
        persisted.map_err(|e| self.fault(e))?;
        children.observer().llm_request(children.depth(), &request);
        let (result, provider) = match children.llm() {
            Some(provider) => {
                let observer = children.observer();
                let retrying = |retry: &Retry| observer.llm_retry(children.depth(), retry);
                (provider.complete(&request, &retrying), provider.name())
            }
            None => (Err(LlmFailure::Unavailable("no LLM provider is configured".into())), "none".to_string()),
        };
        children.observer().llm_response(children.depth(), &result);
        let (recorded, blobs) = match &result {
            Ok(completion) => {
                let bytes = value::canonical_record(completion);
                (Ok(Digest::of(&bytes)), vec![bytes])
            }
            Err(failure) => (Err(failure.clone()), Vec::new()),
        };
        let mut journal = self.journal();
        journal
            .record_live(Event::Llm(Box::new(LlmCall { request: digest, result: recorded, provider })))
            .map_err(trap)?;
        // The response is durable before the guest sees it.
        let persisted = journal.persist_now(blobs);
        drop(journal);
        persisted.map_err(|e| self.fault(e))?;
        Ok(to_guest(result))
    }
}
