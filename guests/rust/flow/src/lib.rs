//! enact's flow interpreter: a flow definition is its config, a run's
//! initial state and halts its input (see `enact_flow::run`). Every
//! completion, answer and child goes through enact's host functions, and
//! every step is marked with the state after it.

use enact_flow::Flow;
use enact_flow::run::{self, Failure, Host, LlmRequest, Reply, ToolCall};
use enact_guest::{Error, Metadata, error, input, invoke, llm, step};
use serde_json::Value;

struct Interpreter;

const INPUT_SCHEMA: &str = r#"{"type": ["object", "null"], "properties": {
  "state": {"type": "object", "description": "keys merged over the flow's initial state"},
  "halt_before": {"type": "array", "items": {"type": "string"}},
  "halt_after": {"type": "array", "items": {"type": "string"}}
}, "additionalProperties": false}"#;

impl enact_guest::Guest for Interpreter {
    fn describe() -> Metadata {
        Metadata {
            input_schema: Some(INPUT_SCHEMA.to_string()),
            ..enact_guest::metadata(
                "flow",
                "runs a flow (a state machine of set, say, ask, llm, call and map steps) given as the config",
            )
        }
    }

    fn call(config: String, input: String) -> Result<String, Error> {
        let flow: Flow = enact_guest::parse("config", &config)?;
        let input: run::Input = match input.trim() {
            "null" => run::Input::default(),
            text => enact_guest::parse("input", text)?,
        };
        match run::run(&flow, input, &mut WitHost) {
            Ok(output) => enact_guest::output(&output),
            Err(Failure { code, message }) => Err(error(&code, message)),
        }
    }
}

/// The interpreter's host: enact's WIT imports.
struct WitHost;

impl Host for WitHost {
    fn complete(&mut self, request: &LlmRequest) -> Result<Reply, Failure> {
        let wit_call = |c: &ToolCall| llm::ToolCall { id: c.id.clone(), name: c.name.clone(), arguments: c.arguments.clone() };
        let messages = request
            .messages
            .iter()
            .map(|m| llm::ChatMessage {
                role: m.role.clone(),
                content: m.content.clone(),
                tool_calls: m.tool_calls.iter().map(wit_call).collect(),
                tool_call_id: m.tool_call_id.clone(),
            })
            .collect();
        let tools = request
            .tools
            .iter()
            .map(|t| llm::Tool { name: t.name.clone(), description: t.description.clone(), parameters: t.parameters.to_string() })
            .collect();
        let request = llm::ChatRequest {
            model: request.model.clone(),
            messages,
            temperature: request.temperature,
            max_tokens: request.max_tokens,
            stop: Vec::new(),
            response_format: request.response_format.as_ref().map(Value::to_string),
            tools,
        };
        let reply = |c: llm::ChatCompletion| Reply {
            text: c.text,
            tool_calls: c.tool_calls.into_iter().map(|t| ToolCall { id: t.id, name: t.name, arguments: t.arguments }).collect(),
        };
        llm::chat(&request).map(reply).map_err(|e| match e {
            llm::LlmError::Unavailable(m) => Failure::new("llm-unavailable", m),
            llm::LlmError::Rejected(m) => Failure::new("llm-rejected", m),
            llm::LlmError::Malformed(m) => Failure::new("llm-malformed", m),
            llm::LlmError::Timeout(m) => Failure::new("llm-timeout", m),
        })
    }

    fn ask(&mut self, prompt: &str, schema: &Value) -> Value {
        let request = input::InputRequest {
            prompt: Value::String(prompt.to_string()).to_string(),
            schema: Some(schema.to_string()),
            context: None,
        };
        // The host checked the answer against the schema: it is JSON.
        serde_json::from_str(&input::request(&request)).unwrap_or(Value::Null)
    }

    fn call(&mut self, target: &str, config: Option<&Value>, input: &Value) -> Result<Value, Failure> {
        let config = config.map(Value::to_string);
        match invoke::call(target, config.as_deref(), &input.to_string()) {
            Ok(output) => serde_json::from_str(&output).map_err(|e| Failure::new("invalid-output", e.to_string())),
            Err(e) => Err(Failure::new(&e.code, format!("`{target}`: {}", e.message))),
        }
    }

    fn call_all(&mut self, target: &str, config: Option<&Value>, inputs: &[Value]) -> Vec<Result<Value, Failure>> {
        let config = config.map(Value::to_string);
        let calls: Vec<invoke::CallRequest> = inputs
            .iter()
            .map(|input| invoke::CallRequest { target: target.to_string(), config: config.clone(), input: input.to_string() })
            .collect();
        invoke::call_all(&calls)
            .into_iter()
            .map(|result| match result {
                Ok(output) => serde_json::from_str(&output).map_err(|e| Failure::new("invalid-output", e.to_string())),
                Err(e) => Err(Failure::new(&e.code, format!("`{target}`: {}", e.message))),
            })
            .collect()
    }

    fn mark(&mut self, name: &str, state: &str) -> Option<String> {
        step::mark(name, state)
    }

    fn random(&self) -> fn() -> u64 {
        enact_guest::next_u64
    }
}

enact_guest::export!(Interpreter);
