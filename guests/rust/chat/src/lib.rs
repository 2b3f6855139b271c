//! `chat`: a conversation with the LLM. Asks the user for a message, answers
//! with the model, until the user says `stop`; returns the transcript.

use enact_guest::{Error, Guest, Metadata};
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    #[serde(default = "default_system")]
    system: String,
}

fn default_system() -> String {
    "You are a helpful assistant. Answer briefly.".to_string()
}

struct Chat;

impl Guest for Chat {
    fn describe() -> Metadata {
        Metadata {
            config_schema: Some(r#"{"type":"object","properties":{"system":{"type":"string"}}}"#.into()),
            ..enact_guest::metadata("chat", "talks with the LLM until the user says stop; returns the transcript")
        }
    }

    fn call(config: String, _input: String) -> Result<String, Error> {
        let config: Config = enact_guest::parse("config", &config)?;
        let mut messages = vec![enact_guest::message("system", &config.system)];
        let mut reply: Option<serde_json::Value> = None;
        loop {
            // The last reply goes with the question, for whoever answers.
            let said: String = enact_guest::ask_with("You:", Some(r#"{"type":"string"}"#), reply.as_ref())?;
            if said.trim().eq_ignore_ascii_case("stop") {
                break;
            }
            messages.push(enact_guest::message("user", &said));
            let text = enact_guest::complete(messages.clone())?;
            messages.push(enact_guest::message("assistant", &text));
            reply = Some(serde_json::Value::String(text));
        }
        let transcript: Vec<_> =
            messages[1..].iter().map(|m| serde_json::json!({ "role": m.role, "content": m.content })).collect();
        enact_guest::output(&transcript)
    }
}

enact_guest::export!(Chat);
