//! Where answers to input requests come from. In generative software a person
//! is one more source to sample from; so are a file of answers, a terminal,
//! a language model, or a program driving a [`Session`](crate::Session).
//!
//! An [`Answerer`] answers, or declines, and the invocation then suspends as
//! `awaiting-input`. Every answer is checked against the request's schema.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, Write};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::llm::{CompletionRequest, Message, Provider};

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
    /// `person`, `file`, `llm:<model>`, …, recorded with the answer.
    pub by: String,
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
    first: Option<Answer>,
    then: Box<dyn Answerer>,
}

impl FirstThen {
    /// `first` for the pending request, then `then`.
    pub fn new(first: Answer, then: Box<dyn Answerer>) -> FirstThen {
        FirstThen { first: Some(first), then }
    }
}

impl Answerer for FirstThen {
    fn answer(&mut self, request: &InputRequest) -> Result<Option<Answer>, String> {
        match self.first.take() {
            Some(answer) => {
                request.check(&answer.value)?;
                Ok(Some(answer))
            }
            None => self.then.answer(request),
        }
    }
}

/// Answers from a JSON file: a list answered in order, or a map from prompt
/// text to answer.
pub enum FileAnswers {
    /// In order.
    List(VecDeque<Value>),
    /// By prompt.
    Map(HashMap<String, Value>),
}

impl FileAnswers {
    /// Reads `path`.
    ///
    /// # Errors
    /// The file cannot be read or is neither a list nor an object.
    pub fn open(path: &std::path::Path) -> Result<FileAnswers, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        match serde_json::from_str(&text) {
            Ok(Value::Array(list)) => Ok(FileAnswers::List(list.into())),
            Ok(Value::Object(map)) => Ok(FileAnswers::Map(map.into_iter().collect())),
            Ok(_) => {
                Err(format!("`{}` holds neither a list of answers nor a map from prompt to answer", path.display()))
            }
            Err(e) => Err(format!("`{}` is not valid JSON: {e}", path.display())),
        }
    }
}

impl Answerer for FileAnswers {
    fn answer(&mut self, request: &InputRequest) -> Result<Option<Answer>, String> {
        let value = match self {
            FileAnswers::List(list) => list.pop_front(),
            FileAnswers::Map(map) => map.get(&request.prompt_text()).cloned(),
        };
        let Some(value) = value else { return Ok(None) };
        request.check(&value)?;
        Ok(Some(Answer { value, by: "file".into() }))
    }
}

/// Asks on a terminal (or any reader and writer): shows the prompt and schema,
/// reads a line, takes it as JSON or else as a string, and asks again when the
/// answer does not fit. End of input suspends.
pub struct Terminal<R, W> {
    input: R,
    output: W,
}

impl<R: BufRead + Send, W: Write + Send> Terminal<R, W> {
    /// Asks on `output`, reads from `input`.
    pub fn new(input: R, output: W) -> Terminal<R, W> {
        Terminal { input, output }
    }
}

/// A line as an answer: JSON when it parses, else the text as a string.
pub fn parse_answer(line: &str) -> Value {
    let line = line.trim();
    serde_json::from_str(line).unwrap_or_else(|_| Value::String(line.to_string()))
}

impl<R: BufRead + Send, W: Write + Send> Answerer for Terminal<R, W> {
    fn answer(&mut self, request: &InputRequest) -> Result<Option<Answer>, String> {
        loop {
            let _ = write!(self.output, "{}", request.prompt_text());
            if let Some(schema) = &request.schema {
                let _ = write!(self.output, " (schema: {schema})");
            }
            let _ = write!(self.output, "\n> ");
            let _ = self.output.flush();
            let mut line = String::new();
            match self.input.read_line(&mut line) {
                Ok(0) | Err(_) => return Ok(None),
                Ok(_) => {}
            }
            let value = parse_answer(&line);
            match request.check(&value) {
                Ok(()) => return Ok(Some(Answer { value, by: "person".into() })),
                Err(e) => {
                    let _ = writeln!(self.output, "{e}; try again");
                }
            }
        }
    }
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
        let completion = self
            .provider
            .complete(&CompletionRequest {
                model: None,
                messages: vec![
                    Message { role: "system".into(), content: system },
                    Message { role: "user".into(), content: question },
                ],
                temperature: None,
                max_tokens: None,
                stop: Vec::new(),
                response_format: request.schema.clone(),
            })
            .map_err(|e| e.to_string())?;
        let value = parse_answer(&completion.text);
        request.check(&value)?;
        let model = if completion.model.is_empty() { self.provider.name() } else { completion.model };
        Ok(Some(Answer { value, by: format!("llm:{model}") }))
    }
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
    fn answers_are_checked_against_the_schema() {
        let r = dice_request();
        assert!(r.check(&json!(3)).is_ok());
        assert!(r.check(&json!(7)).unwrap_err().contains("does not fit"));
        assert!(r.check(&json!("three")).is_err());
    }

    #[test]
    fn the_terminal_asks_again_until_the_answer_fits() {
        let input = b"seven\n9\n4\n".as_slice();
        let mut output = Vec::new();
        let answer = Terminal::new(input, &mut output).answer(&dice_request()).unwrap().unwrap();
        assert_eq!(answer.value, json!(4));
        let shown = String::from_utf8(output).unwrap();
        assert_eq!(shown.matches("try again").count(), 2, "{shown}");
    }

    #[test]
    fn the_end_of_input_suspends() {
        let mut output = Vec::new();
        assert!(Terminal::new(b"".as_slice(), &mut output).answer(&dice_request()).unwrap().is_none());
    }

    #[test]
    fn file_answers_go_in_order_or_by_prompt() {
        let mut list = FileAnswers::List(vec![json!(2), json!(5)].into());
        assert_eq!(list.answer(&dice_request()).unwrap().unwrap().value, json!(2));
        assert_eq!(list.answer(&dice_request()).unwrap().unwrap().value, json!(5));
        assert!(list.answer(&dice_request()).unwrap().is_none());
        let mut map = FileAnswers::Map([("roll".to_string(), json!(6))].into());
        assert_eq!(map.answer(&dice_request()).unwrap().unwrap().value, json!(6));
    }
}
