//! `code-agent`: asks the model for a Python function that does a task, runs
//! what it wrote as a child of the `python` runner under tight limits, and on
//! failure sends the error back to the model and tries again.
//!
//! Config `{"attempts": 3, "fuel": 2000000000, "memory_bytes": 67108864,
//! "wall_time_ms": 10000}` (each optional); input `{"task": "...", "input": any}`;
//! output `{"output", "source", "attempts"}`. A program that reads files,
//! opens sockets or loops forever fails as a child, contained, and the model
//! hears why.

use enact_guest::{Error, Metadata, invoke};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default = "three")]
    attempts: u32,
    #[serde(default = "two_billion")]
    fuel: u64,
    #[serde(default = "sixty_four_mib")]
    memory_bytes: u64,
    #[serde(default = "ten_seconds")]
    wall_time_ms: u64,
}

fn three() -> u32 {
    3
}

fn two_billion() -> u64 {
    2_000_000_000
}

fn sixty_four_mib() -> u64 {
    64 << 20
}

fn ten_seconds() -> u64 {
    10_000
}

#[derive(Deserialize)]
struct Input {
    task: String,
    #[serde(default)]
    input: Value,
}

#[derive(Serialize)]
struct Output {
    output: Value,
    source: String,
    attempts: u32,
}

const SYSTEM: &str = "You write Python. Reply with one fenced ```python block that defines main(input) \
and returns the result as JSON-compatible data. The code runs in a sandbox with no files and no network.";

/// The code of the first fenced block in `text`, or the whole text.
fn code_in(text: &str) -> String {
    let mut blocks = text.split("```");
    match (blocks.next(), blocks.next()) {
        (Some(_), Some(block)) => {
            let block = block.strip_prefix("python").or_else(|| block.strip_prefix("py")).unwrap_or(block);
            block.trim_start_matches(['\r', '\n']).to_string()
        }
        _ => text.to_string(),
    }
}

/// What the model hears of a failed run: the message, and the traceback if there is one.
fn failure_text(e: &Error) -> String {
    let traceback = e
        .details
        .as_deref()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .and_then(|d| d["traceback"].as_str().map(str::to_string));
    match traceback {
        Some(traceback) => format!("{} ({})\n{traceback}", e.message, e.code),
        None => format!("{} ({})", e.message, e.code),
    }
}

struct CodeAgent;

impl enact_guest::Guest for CodeAgent {
    fn describe() -> Metadata {
        Metadata {
            input_schema: Some(
                json!({"type": "object", "properties": {"task": {"type": "string"}, "input": {}}, "required": ["task"]})
                    .to_string(),
            ),
            ..enact_guest::metadata("code-agent", "writes Python for a task with an LLM, runs it sandboxed, retries on failure")
        }
    }

    fn call(config: String, input: String) -> Result<String, Error> {
        let config: Config = enact_guest::parse("config", &config)?;
        let input: Input = enact_guest::parse("input", &input)?;
        let mut messages = vec![enact_guest::message("system", SYSTEM), enact_guest::message("user", &input.task)];
        let limits = invoke::ChildLimits {
            fuel: Some(config.fuel),
            memory_bytes: Some(config.memory_bytes),
            wall_time_ms: Some(config.wall_time_ms),
        };
        let mut last = None;
        for attempt in 1..=config.attempts {
            let reply = enact_guest::complete(messages.clone())?;
            let source = code_in(&reply);
            let program = json!({ "source": source }).to_string();
            match invoke::call_limited("python", Some(&program), &input.input.to_string(), limits) {
                Ok(output) => {
                    let output: Value = enact_guest::parse("output", &output)?;
                    return enact_guest::output(&Output { output, source, attempts: attempt });
                }
                Err(e) => {
                    enact_guest::log(&format!("attempt {attempt} failed: {}", e.message));
                    messages.push(enact_guest::message("assistant", &reply));
                    messages.push(enact_guest::message(
                        "user",
                        &format!("Running it failed:\n{}\nFix the code.", failure_text(&e)),
                    ));
                    last = Some(e);
                }
            }
        }
        let last = last.map(|e| failure_text(&e)).unwrap_or_default();
        Err(Error {
            code: "gave-up".into(),
            message: format!("no program worked in {} attempts; the last: {last}", config.attempts),
            details: None,
        })
    }
}

enact_guest::export!(CodeAgent);
