//! Where answers to input requests come from. In generative software a person
//! is one more source to sample from; so are a file of answers, a terminal,
//! a language model, or a program driving a session (each implements
//! [`Answerer`] in the crate that owns its source).
//!
//! An [`Answerer`] answers, or declines, and the invocation then suspends as
//! `awaiting-input`. Every answer is checked against the request's schema.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a guest asks a person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputRequest {
    /// What to ask.
    pub prompt: Value,
    /// A JSON Schema the answer must satisfy.
    pub schema: Option<Value>,
    /// Extra context for whoever answers.
    pub context: Option<Value>,
}

impl InputRequest {
    /// The prompt as text: a JSON string as is, anything else as JSON.
    pub fn prompt_text(&self) -> String {
        match &self.prompt {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// A typed line as an answer to this request: the text itself when the
    /// schema asks for a string, else JSON when it parses, else the text.
    pub fn answer_from_text(&self, line: &str) -> Value {
        let line = line.trim_end_matches(['\n', '\r']);
        let wants_text = self.schema.as_ref().is_some_and(|s| s["type"] == "string");
        if wants_text { Value::String(line.to_string()) } else { parse_answer(line) }
    }

    /// Checks `answer` against the schema.
    ///
    /// # Errors
    /// What does not fit, for a person.
    pub fn check(&self, answer: &Value) -> Result<(), String> {
        match &self.schema {
            Some(schema) => check_schema(schema, answer),
            None => Ok(()),
        }
    }
}

/// Checks `value` against the JSON Schema `schema`.
///
/// # Errors
/// What does not fit, for a person.
pub fn check_schema(schema: &Value, value: &Value) -> Result<(), String> {
    let validator = jsonschema::validator_for(schema).map_err(|e| format!("the schema `{schema}` is invalid: {e}"))?;
    let errors: Vec<String> = validator.iter_errors(value).map(|e| e.to_string()).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("`{value}` does not fit the schema `{schema}`: {}", errors.join("; ")))
    }
}

/// An answer and who gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The answer.
    pub value: Value,
    /// `person`, `file`, `program`, `llm:<model>`, …, recorded with the answer.
    pub by: String,
}

impl Answer {
    /// Whether the answer must be durable before the guest sees it: a
    /// person's answer is never asked for twice. An answer its source can
    /// give again (a file, a program, an LLM answerer) is committed with
    /// the journal's next commit instead: a crash before that loses it and
    /// everything after it, and a resume asks its source again.
    pub fn must_be_durable(&self) -> bool {
        self.by == "person"
    }
}

/// A source of answers.
pub trait Answerer: Send {
    /// Answers `request`, or `None` to suspend the invocation. The answer
    /// must fit the request's schema ([`InputRequest::check`]).
    ///
    /// # Errors
    /// A message saying why no valid answer could be had; the invocation
    /// then suspends, so the request can be answered later.
    fn answer(&mut self, request: &InputRequest) -> Result<Option<Answer>, String>;
}

/// Answers nothing: every request suspends.
pub struct NoAnswers;

impl Answerer for NoAnswers {
    fn answer(&mut self, _request: &InputRequest) -> Result<Option<Answer>, String> {
        Ok(None)
    }
}

/// Answers the first request with a given answer, then asks `then`.
pub struct FirstThen {
    first: Option<First>,
    then: Box<dyn Answerer>,
}

/// The first answer: a value, or a typed line read as the request reads it.
enum First {
    Answer(Answer),
    Text(String),
}

impl FirstThen {
    /// `first` for the pending request, then `then`.
    pub fn new(first: Answer, then: Box<dyn Answerer>) -> FirstThen {
        FirstThen { first: Some(First::Answer(first)), then }
    }

    /// A person's typed `text` for the first request, read as
    /// [`InputRequest::answer_from_text`] reads it, then `then`.
    pub fn text(text: String, then: Box<dyn Answerer>) -> FirstThen {
        FirstThen { first: Some(First::Text(text)), then }
    }
}

impl Answerer for FirstThen {
    fn answer(&mut self, request: &InputRequest) -> Result<Option<Answer>, String> {
        let answer = match self.first.take() {
            Some(First::Answer(answer)) => answer,
            Some(First::Text(text)) => Answer { value: request.answer_from_text(&text), by: "person".into() },
            None => return self.then.answer(request),
        };
        request.check(&answer.value)?;
        Ok(Some(answer))
    }
}

/// A line as an answer: JSON when it parses, else the text as a string.
pub fn parse_answer(line: &str) -> Value {
    let line = line.trim();
    serde_json::from_str(line).unwrap_or_else(|_| Value::String(line.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dice_request() -> InputRequest {
        InputRequest {
            prompt: json!("roll"),
            schema: Some(json!({"type": "integer", "minimum": 1, "maximum": 6})),
            context: None,
        }
    }

    #[test]
    fn a_line_is_text_when_the_schema_asks_for_a_string() {
        let text = InputRequest { prompt: json!("say"), schema: Some(json!({"type": "string"})), context: None };
        assert_eq!(text.answer_from_text("42\n"), json!("42"));
        assert_eq!(text.answer_from_text("\"quoted\""), json!("\"quoted\""));
        assert_eq!(dice_request().answer_from_text("4\n"), json!(4));
        assert_eq!(dice_request().answer_from_text("four"), json!("four"));
    }

    #[test]
    fn answers_are_checked_against_the_schema() {
        let r = dice_request();
        assert!(r.check(&json!(3)).is_ok());
        assert!(r.check(&json!(7)).unwrap_err().contains("does not fit"));
        assert!(r.check(&json!("three")).is_err());
    }
}
