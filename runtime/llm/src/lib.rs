//! Language models for enact: an OpenAI-compatible HTTP client (OpenAI,
//! Ollama, vLLM, the llama.cpp server), a scripted provider for demos and
//! tests, and an answerer that asks a model.
//!
//! A provider is only ever called live. Its response is journaled verbatim
//! (by the runtime, which this crate does not know) before the guest sees it
//! and is never requested again: a replay serves it from the journal and
//! contacts no provider.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use enact_core::answer::{Answer, Answerer, InputRequest, parse_answer};
pub use enact_core::llm::{Completion, CompletionRequest, LlmFailure, Message, Provider, Retry, Tool, ToolCall, Usage};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Settings of the OpenAI-compatible client, as `llm.json` holds them
/// (unknown keys are errors).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// The API base, e.g. `http://127.0.0.1:11434/v1` (Ollama) or a hosted service's `/v1` URL.
    pub url: String,
    /// Sent as a bearer token when present.
    #[serde(default)]
    pub api_key: Option<String>,
    /// The model when a request names none.
    #[serde(default)]
    pub model: Option<String>,
    /// Timeout of one attempt, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Attempts after the first, on 429, 5xx, timeouts and refused connections.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// First backoff, in milliseconds; doubled on every retry.
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    /// Ask for the completion as a stream of server-sent events, and hand
    /// each piece to whoever watches as it arrives (the journal holds the whole).
    #[serde(default)]
    pub stream: bool,
}

fn default_timeout_ms() -> u64 {
    60_000
}

fn default_retries() -> u32 {
    3
}

fn default_backoff_ms() -> u64 {
    500
}

/// The API base a URL names: `/chat/completions` and a trailing `/` taken
/// off, and `/v1` added to a bare host (`http://127.0.0.1:11434` is Ollama's
/// `http://127.0.0.1:11434/v1`). A URL with a path of its own is kept.
pub fn api_base(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix("/chat/completions").unwrap_or(url).trim_end_matches('/');
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    if path.contains('/') { url.to_string() } else { format!("{url}/v1") }
}

impl HttpConfig {
    /// A config for `url` with the defaults: 60 s timeout, 3 retries from 500 ms.
    pub fn new(url: &str) -> HttpConfig {
        HttpConfig {
            url: api_base(url),
            api_key: None,
            model: None,
            timeout_ms: default_timeout_ms(),
            retries: default_retries(),
            backoff_ms: default_backoff_ms(),
            stream: false,
        }
    }
}

/// A message as the chat-completions API takes it: tool calls as
/// `function` calls, a tool's answer with the id of the call.
fn wire_message(m: &Message) -> Value {
    let mut message = json!({ "role": m.role, "content": m.content });
    if !m.tool_calls.is_empty() {
        let calls: Vec<Value> = m
            .tool_calls
            .iter()
            .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
            .collect();
        message["tool_calls"] = Value::Array(calls);
    }
    if let Some(id) = &m.tool_call_id {
        message["tool_call_id"] = json!(id);
    }
    message
}

/// A tool as the chat-completions API takes it.
fn wire_tool(t: &Tool) -> Value {
    json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}})
}

/// An OpenAI-compatible chat-completions client. One call, with all its
/// retries, is one journal event.
pub struct HttpProvider {
    config: HttpConfig,
    agent: ureq::Agent,
}

impl HttpProvider {
    /// A client for `config`.
    pub fn new(config: HttpConfig) -> HttpProvider {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_millis(config.timeout_ms)))
            .http_status_as_error(false)
            .build()
            .new_agent();
        HttpProvider { config, agent }
    }

    fn body(&self, request: &CompletionRequest) -> Result<Value, LlmFailure> {
        // Never `"model": null`: servers answer that in ways nobody can read.
        let model = request.model.clone().or_else(|| self.config.model.clone()).ok_or_else(|| {
            LlmFailure::Rejected(format!(
                "the request names no model and `{}` is configured without a default model",
                self.config.url
            ))
        })?;
        let messages: Vec<Value> = request.messages.iter().map(wire_message).collect();
        let mut body = json!({ "model": model, "messages": messages });
        if !request.tools.is_empty() {
            body["tools"] = request.tools.iter().map(wire_tool).collect();
        }
        if self.config.stream {
            body["stream"] = json!(true);
        }
        if let Some(t) = request.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(m) = request.max_tokens {
            body["max_tokens"] = json!(m);
        }
        if !request.stop.is_empty() {
            body["stop"] = json!(request.stop);
        }
        if let Some(schema) = &request.response_format {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": { "name": "response", "schema": schema, "strict": true },
            });
        }
        Ok(body)
    }

    /// One attempt: `Err((failure, retryable))`. A streamed answer's pieces go to `chunk`.
    fn attempt(&self, body: &Value, chunk: &dyn Fn(&str)) -> Result<Completion, (LlmFailure, bool)> {
        let url = format!("{}/chat/completions", self.config.url);
        let mut post = self.agent.post(&url).header("content-type", "application/json");
        if let Some(key) = &self.config.api_key {
            post = post.header("authorization", &format!("Bearer {key}"));
        }
        let response = post.send(body.to_string().as_bytes());
        let mut response = match response {
            Ok(r) => r,
            Err(ureq::Error::Timeout(_)) => {
                return Err((
                    LlmFailure::Timeout(format!("no answer from `{url}` within {} ms", self.config.timeout_ms)),
                    true,
                ));
            }
            Err(e) => return Err((LlmFailure::Unavailable(format!("cannot reach `{url}`: {e}")), true)),
        };
        let status = response.status().as_u16();
        let streamed = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if (200..=299).contains(&status) && streamed {
            let reader = std::io::BufReader::new(response.body_mut().as_reader());
            return read_stream(reader, chunk).map_err(|m| (LlmFailure::Malformed(format!("`{url}`: {m}")), false));
        }
        let text = match response.body_mut().read_to_string() {
            Ok(text) => text,
            Err(ureq::Error::Timeout(_)) => {
                return Err((
                    LlmFailure::Timeout(format!("no answer from `{url}` within {} ms", self.config.timeout_ms)),
                    true,
                ));
            }
            Err(e) => return Err((LlmFailure::Malformed(format!("unreadable body from `{url}`: {e}")), false)),
        };
        match status {
            200..=299 => parse_completion(&text).map_err(|m| (LlmFailure::Malformed(m), false)),
            429 => Err((LlmFailure::Unavailable(format!("rate limited by `{url}` (HTTP 429)")), true)),
            500..=599 => {
                Err((LlmFailure::Unavailable(format!("`{url}` failed with HTTP {status}: {}", snippet(&text))), true))
            }
            _ => Err((LlmFailure::Rejected(format!("`{url}` answered HTTP {status}: {}", snippet(&text))), false)),
        }
    }
}

fn snippet(text: &str) -> String {
    let text = text.trim();
    if text.len() > 200 {
        let mut end = 200;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &text[..end])
    } else {
        text.to_string()
    }
}

/// The tool calls of a message: `[{id, function: {name, arguments}}]`.
fn tool_calls_of(message: &Value) -> Result<Vec<ToolCall>, String> {
    let Some(calls) = message["tool_calls"].as_array() else { return Ok(Vec::new()) };
    calls
        .iter()
        .map(|c| {
            let name = c["function"]["name"].as_str().ok_or("a tool call without `function.name`")?;
            Ok(ToolCall {
                id: c["id"].as_str().unwrap_or_default().to_string(),
                name: name.to_string(),
                arguments: c["function"]["arguments"].as_str().unwrap_or("{}").to_string(),
            })
        })
        .collect()
}

fn usage_of(body: &Value) -> Usage {
    let count = |key: &str| body["usage"][key].as_u64().unwrap_or(0) as u32;
    Usage { prompt_tokens: count("prompt_tokens"), completion_tokens: count("completion_tokens") }
}

/// Reads an OpenAI chat-completions response body.
fn parse_completion(text: &str) -> Result<Completion, String> {
    let body: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let choice = &body["choices"][0];
    let message = &choice["message"];
    let tool_calls = tool_calls_of(message)?;
    // A message that calls tools may have no content.
    let content = match message["content"].as_str() {
        Some(content) => content,
        None if !tool_calls.is_empty() => "",
        None => return Err(format!("no `choices[0].message.content` in {}", snippet(text))),
    };
    Ok(Completion {
        text: content.to_string(),
        finish_reason: choice["finish_reason"].as_str().unwrap_or("stop").to_string(),
        usage: usage_of(&body),
        model: body["model"].as_str().unwrap_or_default().to_string(),
        tool_calls,
    })
}

/// Reads a streamed completion: server-sent events whose `data` are chunks
/// (`choices[0].delta` with pieces of the content and of tool calls), until
/// `data: [DONE]` or the end. Each piece of content goes to `chunk`.
fn read_stream(reader: impl std::io::BufRead, chunk: &dyn Fn(&str)) -> Result<Completion, String> {
    let mut completion = Completion {
        text: String::new(),
        finish_reason: "stop".into(),
        usage: Usage::default(),
        model: String::new(),
        tool_calls: Vec::new(),
    };
    for line in reader.lines() {
        let line = line.map_err(|e| format!("the stream broke off: {e}"))?;
        let Some(data) = line.strip_prefix("data:").map(str::trim) else { continue };
        if data == "[DONE]" {
            break;
        }
        let event: Value =
            serde_json::from_str(data).map_err(|e| format!("a stream event is not JSON ({e}): {}", snippet(data)))?;
        if let Some(model) = event["model"].as_str() {
            completion.model = model.to_string();
        }
        if event["usage"].is_object() {
            completion.usage = usage_of(&event);
        }
        let choice = &event["choices"][0];
        if let Some(reason) = choice["finish_reason"].as_str() {
            completion.finish_reason = reason.to_string();
        }
        let delta = &choice["delta"];
        if let Some(piece) = delta["content"].as_str().filter(|p| !p.is_empty()) {
            chunk(piece);
            completion.text.push_str(piece);
        }
        // A tool call arrives in pieces, each naming its index.
        for call in delta["tool_calls"].as_array().into_iter().flatten() {
            let index = call["index"].as_u64().unwrap_or(0) as usize;
            while completion.tool_calls.len() <= index {
                completion.tool_calls.push(ToolCall {
                    id: String::new(),
                    name: String::new(),
                    arguments: String::new(),
                });
            }
            let target = &mut completion.tool_calls[index];
            if let Some(id) = call["id"].as_str() {
                target.id.push_str(id);
            }
            if let Some(name) = call["function"]["name"].as_str() {
                target.name.push_str(name);
            }
            if let Some(arguments) = call["function"]["arguments"].as_str() {
                target.arguments.push_str(arguments);
            }
        }
    }
    Ok(completion)
}

impl Provider for HttpProvider {
    fn name(&self) -> String {
        format!("openai:{}", self.config.url)
    }

    fn complete(&self, request: &CompletionRequest, retrying: &dyn Fn(&Retry)) -> Result<Completion, LlmFailure> {
        self.complete_streaming(request, retrying, &|_| {})
    }

    fn complete_streaming(
        &self,
        request: &CompletionRequest,
        retrying: &dyn Fn(&Retry),
        chunk: &dyn Fn(&str),
    ) -> Result<Completion, LlmFailure> {
        let body = self.body(request)?;
        let mut backoff = Duration::from_millis(self.config.backoff_ms);
        let mut attempt = 0;
        loop {
            match self.attempt(&body, chunk) {
                Ok(completion) => return Ok(completion),
                Err((failure, true)) if attempt < self.config.retries => {
                    attempt += 1;
                    tracing::info!(attempt, "retrying llm request: {failure}");
                    retrying(&Retry { attempt, of: self.config.retries, wait: backoff, failure });
                    std::thread::sleep(backoff);
                    backoff *= 2;
                }
                Err((failure, _)) => return Err(failure),
            }
        }
    }
}

/// Completions read from a file: a JSON list, handed out in order, or a
/// JSON object from a piece of text to the response for a request one of
/// whose messages contains it (the longest piece found wins), which answers
/// the same in every process (a dialogue driven turn by turn, a fork). A response is a string
/// (the text) or `{"text", "finish_reason"?, "model"?, "tool_calls"?: [{"id"?,
/// "name", "arguments"}]}`.
pub struct ScriptedProvider {
    path: PathBuf,
    script: Script,
}

enum Script {
    InOrder(Mutex<VecDeque<Completion>>),
    ByText(Vec<(String, Completion)>),
}

impl ScriptedProvider {
    /// Loads the script at `path`.
    ///
    /// # Errors
    /// The file cannot be read or is not a list or map of responses.
    pub fn open(path: &Path) -> Result<ScriptedProvider, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let items: Value = serde_json::from_str(&text).map_err(|e| format!("`{}` is not JSON: {e}", path.display()))?;
        let response = |what: String, item: &Value, i: usize| -> Result<Completion, String> {
            let text = item.as_str().or_else(|| item["text"].as_str()).ok_or_else(|| {
                format!("{what} of `{}` is neither a string nor an object with `text`", path.display())
            })?;
            Ok(Completion {
                text: text.to_string(),
                finish_reason: item["finish_reason"].as_str().unwrap_or("stop").to_string(),
                usage: Usage::default(),
                model: item["model"].as_str().unwrap_or("scripted").to_string(),
                tool_calls: scripted_calls(&item["tool_calls"], i)?,
            })
        };
        let script = match items {
            Value::Array(items) => Script::InOrder(Mutex::new(
                items.iter().enumerate().map(|(i, item)| response(format!("response {i}"), item, i)).collect::<Result<
                    _,
                    String,
                >>(
                )?,
            )),
            Value::Object(map) => Script::ByText(
                map.iter()
                    .enumerate()
                    .map(|(i, (key, item))| Ok((key.clone(), response(format!("the response to `{key}`"), item, i)?)))
                    .collect::<Result<_, String>>()?,
            ),
            _ => {
                return Err(format!(
                    "`{}` is neither a list of responses nor a map from text to response",
                    path.display()
                ));
            }
        };
        Ok(ScriptedProvider { path: path.to_path_buf(), script })
    }
}

/// A scripted response's tool calls: `[{"id"?, "name", "arguments"}]`,
/// the arguments as JSON (text or a value).
fn scripted_calls(calls: &Value, response: usize) -> Result<Vec<ToolCall>, String> {
    let mut out = Vec::new();
    for (i, call) in calls.as_array().into_iter().flatten().enumerate() {
        let name =
            call["name"].as_str().ok_or_else(|| format!("tool call {i} of response {response} has no `name`"))?;
        let arguments = match &call["arguments"] {
            Value::String(text) => text.clone(),
            Value::Null => "{}".to_string(),
            other => other.to_string(),
        };
        let id = call["id"].as_str().map(str::to_string).unwrap_or_else(|| format!("call_{response}_{i}"));
        out.push(ToolCall { id, name: name.to_string(), arguments });
    }
    Ok(out)
}

impl Provider for ScriptedProvider {
    fn name(&self) -> String {
        format!("scripted:{}", self.path.display())
    }

    fn complete(&self, request: &CompletionRequest, _retrying: &dyn Fn(&Retry)) -> Result<Completion, LlmFailure> {
        match &self.script {
            Script::InOrder(responses) => {
                let mut responses = responses.lock().unwrap_or_else(|p| p.into_inner());
                responses.pop_front().ok_or_else(|| {
                    LlmFailure::Unavailable(format!("the script `{}` has no more responses", self.path.display()))
                })
            }
            Script::ByText(responses) => {
                let contains = |key: &str| request.messages.iter().any(|m| m.content.contains(key));
                let found = responses.iter().filter(|(key, _)| contains(key)).max_by_key(|(key, _)| key.len());
                found.map(|(_, completion)| completion.clone()).ok_or_else(|| {
                    let last = request.messages.last().map(|m| m.content.as_str()).unwrap_or_default();
                    let shown: String = last.chars().take(80).collect();
                    LlmFailure::Unavailable(format!(
                        "the script `{}` has no response to `{shown}`",
                        self.path.display()
                    ))
                })
            }
        }
    }
}

/// The provider a `--llm` value names: `scripted:FILE`, or an http(s) URL
/// (with the key and model of `settings`, if given).
///
/// # Errors
/// An unknown form, or a script that cannot be loaded.
pub fn provider_from_spec(spec: &str, settings: Option<HttpConfig>) -> Result<Box<dyn Provider>, String> {
    if let Some(file) = spec.strip_prefix("scripted:") {
        return Ok(Box::new(ScriptedProvider::open(Path::new(file))?));
    }
    if spec.starts_with("http://") || spec.starts_with("https://") {
        let mut config = settings.unwrap_or_else(|| HttpConfig::new(spec));
        config.url = api_base(spec);
        return Ok(Box::new(HttpProvider::new(config)));
    }
    Err(format!("`{spec}` is not an LLM provider: give `scripted:FILE` or the http(s) URL of an OpenAI-compatible API"))
}

/// The provider `settings` name (read from the environment by the caller),
/// else the one the config file at `file` describes, if there is one.
///
/// # Errors
/// A config file that is not valid (unknown keys included).
pub fn configured_provider(file: &Path, settings: Option<HttpConfig>) -> Result<Option<Box<dyn Provider>>, String> {
    if let Some(config) = settings {
        return Ok(Some(Box::new(HttpProvider::new(config))));
    }
    Ok(config_file(file)?.map(|config| Box::new(HttpProvider::new(config)) as Box<dyn Provider>))
}

/// The settings of config file `file`, if it exists.
///
/// # Errors
/// A file that cannot be read or is not a valid config (unknown keys included).
pub fn config_file(file: &Path) -> Result<Option<HttpConfig>, String> {
    if !file.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    let mut config: HttpConfig =
        serde_json::from_str(&text).map_err(|e| format!("`{}` is not a valid LLM config: {e}", file.display()))?;
    config.url = api_base(&config.url);
    Ok(Some(config))
}

/// Asks a language model to answer, with the schema as its response format.
pub struct LlmAnswers {
    provider: Arc<dyn Provider>,
}

impl LlmAnswers {
    /// Answers with `provider`.
    pub fn new(provider: Arc<dyn Provider>) -> LlmAnswers {
        LlmAnswers { provider }
    }
}

impl Answerer for LlmAnswers {
    fn answer(&mut self, request: &InputRequest) -> Result<Option<Answer>, String> {
        let mut system = "Answer the question with a single JSON value and nothing else.".to_string();
        if let Some(schema) = &request.schema {
            system.push_str(&format!(" The value must satisfy this JSON Schema: {schema}"));
        }
        let mut question = request.prompt_text();
        if let Some(context) = &request.context {
            question.push_str(&format!("\nContext: {context}"));
        }
        let question = CompletionRequest {
            model: None,
            messages: vec![Message::new("system", &system), Message::new("user", &question)],
            temperature: None,
            max_tokens: None,
            stop: Vec::new(),
            response_format: request.schema.clone(),
            tools: Vec::new(),
        };
        let completion = self.provider.complete(&question, &|_| {}).map_err(|e| e.to_string())?;
        let value = parse_answer(&completion.text);
        request.check(&value)?;
        let model = if completion.model.is_empty() { self.provider.name() } else { completion.model };
        Ok(Some(Answer { value, by: format!("llm:{model}") }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_is_taken_with_or_without_v1_and_chat_completions() {
        assert_eq!(api_base("http://127.0.0.1:11434"), "http://127.0.0.1:11434/v1");
        assert_eq!(api_base("http://127.0.0.1:11434/v1/"), "http://127.0.0.1:11434/v1");
        assert_eq!(api_base("https://api.example/v1/chat/completions"), "https://api.example/v1");
        assert_eq!(api_base("https://host/openai/deployments/x"), "https://host/openai/deployments/x");
    }

    #[test]
    fn a_request_with_no_model_is_never_sent() {
        let provider = HttpProvider::new(HttpConfig::new("http://127.0.0.1:1"));
        let request = CompletionRequest {
            model: None,
            messages: vec![],
            temperature: None,
            max_tokens: None,
            stop: vec![],
            response_format: None,
            tools: vec![],
        };
        assert!(matches!(provider.complete(&request, &|_| {}), Err(LlmFailure::Rejected(m)) if m.contains("no model")));
    }

    #[test]
    fn parses_an_openai_response() {
        let body = r#"{"model":"m","choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#;
        let c = parse_completion(body).unwrap();
        assert_eq!(c.text, "hi");
        assert_eq!(c.usage, Usage { prompt_tokens: 3, completion_tokens: 1 });
        assert!(parse_completion("{}").is_err());
        assert!(parse_completion("not json").is_err());
    }

    #[test]
    fn parses_tool_calls_with_or_without_content() {
        let body = r#"{"model":"m","choices":[{"message":{"role":"assistant","content":null,"tool_calls":[
            {"id":"c1","type":"function","function":{"name":"add","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}]}"#;
        let c = parse_completion(body).unwrap();
        assert_eq!(c.text, "");
        assert_eq!(c.finish_reason, "tool_calls");
        assert_eq!(
            c.tool_calls,
            vec![ToolCall { id: "c1".into(), name: "add".into(), arguments: r#"{"a":1}"#.into() }]
        );
    }

    #[test]
    fn a_stream_is_read_piece_by_piece_into_one_completion() {
        let stream = concat!(
            "data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n\n",
            ": a comment\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"function\":{\"name\":\"add\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\":1}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n",
            "data: [DONE]\n\n",
        );
        let pieces = Mutex::new(Vec::new());
        let c = read_stream(stream.as_bytes(), &|p| pieces.lock().unwrap().push(p.to_string())).unwrap();
        assert_eq!(*pieces.lock().unwrap(), ["Hel", "lo"]);
        assert_eq!(c.text, "Hello");
        assert_eq!(c.model, "m");
        assert_eq!(c.finish_reason, "tool_calls");
        assert_eq!(
            c.tool_calls,
            vec![ToolCall { id: "c1".into(), name: "add".into(), arguments: r#"{"a":1}"#.into() }]
        );
        assert!(read_stream("data: {not json\n".as_bytes(), &|_| {}).is_err());
    }
}
