//! `enact:runtime/llm`: completions from the configured provider, with or
//! without tools. The request is durable before it is sent and the response
//! before the guest sees it; a replay serves the recorded response and
//! contacts no provider. A provider that streams tells the observer each
//! piece as it arrives; the journal holds the whole completion.

use enact_core::event::{Event, LlmCall, Request};
use enact_core::llm::{Completion, CompletionRequest, LlmFailure, Message, Retry, Tool, ToolCall};
use enact_core::value::{self, Digest};

use super::enact::runtime::llm::{
    ChatCompletion, ChatRequest, Completion as WitCompletion, CompletionRequest as WitRequest, Host, LlmError,
    ToolCall as WitToolCall, Usage,
};
use super::{HostState, trap};

fn json_of(what: &str, text: Option<&str>) -> Result<Option<serde_json::Value>, LlmFailure> {
    text.map(serde_json::from_str)
        .transpose()
        .map_err(|e| LlmFailure::Rejected(format!("`{what}` is not valid JSON: {e}")))
}

/// The temperature through its shortest decimal text, so `0.7` is recorded as `0.7`.
fn temperature(t: Option<f32>) -> Option<f64> {
    t.map(|t| t.to_string().parse().unwrap_or(f64::from(t)))
}

/// The guest's request in its journaled form.
fn request_of(req: WitRequest) -> Result<CompletionRequest, LlmFailure> {
    Ok(CompletionRequest {
        model: req.model,
        messages: req.messages.into_iter().map(|m| Message::new(&m.role, &m.content)).collect(),
        temperature: temperature(req.temperature),
        max_tokens: req.max_tokens,
        stop: req.stop,
        response_format: json_of("response-format", req.response_format.as_deref())?,
        tools: Vec::new(),
    })
}

/// A request with tools in its journaled form.
fn chat_request_of(req: ChatRequest) -> Result<CompletionRequest, LlmFailure> {
    let tools = req
        .tools
        .into_iter()
        .map(|t| {
            let parameters = json_of(&format!("the parameters of tool `{}`", t.name), Some(&t.parameters))?;
            Ok(Tool { name: t.name, description: t.description, parameters: parameters.unwrap_or_default() })
        })
        .collect::<Result<_, LlmFailure>>()?;
    let messages = req
        .messages
        .into_iter()
        .map(|m| Message {
            role: m.role,
            content: m.content,
            tool_calls: m
                .tool_calls
                .into_iter()
                .map(|c| ToolCall { id: c.id, name: c.name, arguments: c.arguments })
                .collect(),
            tool_call_id: m.tool_call_id,
        })
        .collect();
    Ok(CompletionRequest {
        model: req.model,
        messages,
        temperature: temperature(req.temperature),
        max_tokens: req.max_tokens,
        stop: req.stop,
        response_format: json_of("response-format", req.response_format.as_deref())?,
        tools,
    })
}

fn error_of(failure: LlmFailure) -> LlmError {
    match failure {
        LlmFailure::Unavailable(m) => LlmError::Unavailable(m),
        LlmFailure::Rejected(m) => LlmError::Rejected(m),
        LlmFailure::Malformed(m) => LlmError::Malformed(m),
        LlmFailure::Timeout(m) => LlmError::Timeout(m),
    }
}

fn usage_of(c: &Completion) -> Usage {
    Usage { prompt_tokens: c.usage.prompt_tokens, completion_tokens: c.usage.completion_tokens }
}

impl HostState {
    /// The completion of `request`: recorded, or live (and journaled).
    fn completion(&mut self, request: CompletionRequest) -> wasmtime::Result<Result<Completion, LlmFailure>> {
        let Some(children) = &self.children else {
            return Ok(Err(LlmFailure::Unavailable("`llm` is not available while describing a component".into())));
        };
        let request_bytes = value::canonical_record(&request);
        let digest = Digest::of(&request_bytes);
        if let Some(event) = self.journal().next_recorded(&Request::Llm { request: digest }).map_err(trap)? {
            let Event::Llm(call) = event else { unreachable!("the journal serves what was requested") };
            return Ok(match call.result {
                Ok(completion) => {
                    let bytes = children.blob(&completion).map_err(|e| self.fault(e))?;
                    let decoded = value::decode_json(&completion, "a completion", &bytes);
                    Ok(decoded.map_err(|e| self.fault(e))?)
                }
                Err(failure) => Err(failure),
            });
        }
        // The request is durable before it is sent.
        let persisted = self.journal().persist_now(vec![request_bytes]);
        persisted.map_err(|e| self.fault(e))?;
        children.observer().llm_request(children.depth(), &request);
        let (result, provider) = match children.llm() {
            Some(provider) => {
                let observer = children.observer();
                let depth = children.depth();
                let retrying = |retry: &Retry| observer.llm_retry(depth, retry);
                let chunk = |text: &str| observer.llm_chunk(depth, text);
                (provider.complete_streaming(&request, &retrying, &chunk), provider.name())
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
        Ok(result)
    }
}

impl Host for HostState {
    fn complete(&mut self, req: WitRequest) -> wasmtime::Result<Result<WitCompletion, LlmError>> {
        // A malformed request is the guest's own deterministic mistake: no event.
        let request = match request_of(req) {
            Ok(request) => request,
            Err(failure) => return Ok(Err(error_of(failure))),
        };
        Ok(self.completion(request)?.map_err(error_of).map(|c| WitCompletion {
            usage: usage_of(&c),
            text: c.text,
            finish_reason: c.finish_reason,
            model: c.model,
        }))
    }

    fn chat(&mut self, req: ChatRequest) -> wasmtime::Result<Result<ChatCompletion, LlmError>> {
        let request = match chat_request_of(req) {
            Ok(request) => request,
            Err(failure) => return Ok(Err(error_of(failure))),
        };
        Ok(self.completion(request)?.map_err(error_of).map(|c| ChatCompletion {
            usage: usage_of(&c),
            tool_calls: c
                .tool_calls
                .into_iter()
                .map(|t| WitToolCall { id: t.id, name: t.name, arguments: t.arguments })
                .collect(),
            text: c.text,
            finish_reason: c.finish_reason,
            model: c.model,
        }))
    }
}
