//! Language models behind one trait: the request a guest makes, the
//! completion or failure it gets, and the [`Provider`] that answers live
//! (implemented in the `enact-llm` crate).
//!
//! A provider is only ever called live. Its response is journaled verbatim
//! before the guest sees it and is never requested again: a replay serves it
//! from the journal and contacts no provider.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// The text.
    pub content: String,
    /// An assistant message's calls of tools. (Left out of the JSON when
    /// empty, so that a request without tools hashes as it always did.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// A `tool` message: the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    /// A message of `role` with `content` and no tool calls.
    pub fn new(role: &str, content: &str) -> Message {
        Message { role: role.to_string(), content: content.to_string(), tool_calls: Vec::new(), tool_call_id: None }
    }
}

/// A tool a model may call (OpenAI-style function calling).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// The function's name.
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// A JSON Schema of its arguments.
    pub parameters: Value,
}

/// A call of a tool that a model asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id of the call; a `tool` message answering it names it.
    pub id: String,
    /// The tool.
    pub name: String,
    /// The arguments, as JSON text (as the model wrote them).
    pub arguments: String,
}

/// What a guest asks a model. Its canonical JSON is what the journal hashes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompletionRequest {
    /// The model; the provider's default when absent.
    pub model: Option<String>,
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Most tokens to generate.
    pub max_tokens: Option<u32>,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// A JSON Schema the response must follow.
    pub response_format: Option<Value>,
    /// Tools the model may call. (Left out of the JSON when empty.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
}

/// Token counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u32,
    /// Tokens generated.
    pub completion_tokens: u32,
}

/// A model's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    /// The generated text.
    pub text: String,
    /// `stop`, `length`, … as the provider said.
    pub finish_reason: String,
    /// Token counts.
    pub usage: Usage,
    /// The model that answered.
    pub model: String,
    /// The tools the model asked to call, in order. (Left out of the JSON when empty.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
}

/// Why no completion could be had; the guest sees it as its `llm-error`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "kebab-case")]
pub enum LlmFailure {
    /// No provider is configured or reachable.
    #[error("llm unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request.
    #[error("llm rejected the request: {0}")]
    Rejected(String),
    /// The provider answered with something that is not a completion.
    #[error("llm answered with a malformed response: {0}")]
    Malformed(String),
    /// The request timed out.
    #[error("llm timed out: {0}")]
    Timeout(String),
}

/// A failed attempt that a provider is about to try again: for people
/// watching (`LLM unreachable, retry 1/3 in 0.5 s`), never journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    /// Which retry comes next, from 1.
    pub attempt: u32,
    /// How many retries there are at most.
    pub of: u32,
    /// How long the provider waits first.
    pub wait: std::time::Duration,
    /// Why the attempt failed.
    pub failure: LlmFailure,
}

/// A source of completions.
///
/// Contract: `complete` is called once per live request; its result (success
/// or failure) is recorded verbatim and never requested again on replay.
pub trait Provider: Send + Sync {
    /// Who answers, recorded with every completion: `openai:<url>`, `scripted:<file>`.
    fn name(&self) -> String;

    /// Completes `request`, retrying transient failures as the provider sees
    /// fit and telling `retrying` before each retry.
    ///
    /// # Errors
    /// An [`LlmFailure`] saying why there is no completion.
    fn complete(&self, request: &CompletionRequest, retrying: &dyn Fn(&Retry)) -> Result<Completion, LlmFailure>;

    /// [`Provider::complete`], telling `chunk` each piece of the text as it
    /// arrives, for a provider that streams; the result is the whole
    /// completion. By default, no pieces: the whole text at once.
    ///
    /// # Errors
    /// As [`Provider::complete`].
    fn complete_streaming(
        &self,
        request: &CompletionRequest,
        retrying: &dyn Fn(&Retry),
        chunk: &dyn Fn(&str),
    ) -> Result<Completion, LlmFailure> {
        let _ = chunk;
        self.complete(request, retrying)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_without_tools_hashes_as_before_tools_existed() {
        let request = CompletionRequest {
            model: None,
            messages: vec![Message::new("user", "hi")],
            temperature: None,
            max_tokens: None,
            stop: vec![],
            response_format: None,
            tools: vec![],
        };
        let text = String::from_utf8(crate::value::canonical_record(&request)).unwrap();
        assert_eq!(
            text,
            r#"{"max_tokens":null,"messages":[{"content":"hi","role":"user"}],"model":null,"response_format":null,"stop":[],"temperature":null}"#
        );
    }

    #[test]
    fn failures_serialize_with_their_kind() {
        let f = LlmFailure::Timeout("slow".into());
        assert_eq!(serde_json::to_value(&f).unwrap(), json!({"timeout": "slow"}));
        // journals are postcard: the failure must round-trip through it
        let bytes = postcard::to_stdvec(&f).unwrap();
        assert_eq!(postcard::from_bytes::<LlmFailure>(&bytes).unwrap(), f);
    }
}
