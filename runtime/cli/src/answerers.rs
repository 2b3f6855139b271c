//! Answerers of the command line: a file of answers, and the terminal.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, Write};

use enact_core::answer::{Answer, Answerer, InputRequest};
use serde_json::Value;

/// Answers from a JSON file: a list answered in order, or a map from prompt
/// text to answer.
pub enum FileAnswers {
    /// In order.
    List(VecDeque<Value>),
    /// By prompt.
    Map(HashMap<String, Value>),
}

impl FileAnswers {
    /// Answers from `source`: inline JSON (a list or an object), `-` for
    /// standard input, or the path of a file holding that JSON.
    ///
    /// # Errors
    /// The file cannot be read, or holds neither a list nor an object.
    pub fn open(source: &str) -> Result<FileAnswers, String> {
        FileAnswers::read(source, &crate::Console::process(), std::path::Path::new(""))
    }

    /// As [`FileAnswers::open`], for a command of `io`: its standard input,
    /// a path relative to its directory.
    pub(crate) fn open_in(source: &str, io: &crate::Io) -> Result<FileAnswers, String> {
        FileAnswers::read(source, &io.console, &io.path(""))
    }

    fn read(source: &str, console: &crate::Console, dir: &std::path::Path) -> Result<FileAnswers, String> {
        let inline = source.trim_start().starts_with(['[', '{']);
        let (text, what) = if inline {
            (source.to_string(), "the answers".to_string())
        } else if source == "-" {
            let text = console.read_all().map_err(|e| format!("cannot read answers from standard input: {e}"))?;
            (text, "standard input".to_string())
        } else {
            let text = std::fs::read_to_string(dir.join(source)).map_err(|e| format!("cannot read `{source}`: {e}"))?;
            (text, format!("`{source}`"))
        };
        match serde_json::from_str(&text) {
            Ok(Value::Array(list)) => Ok(FileAnswers::List(list.into())),
            Ok(Value::Object(map)) => Ok(FileAnswers::Map(map.into_iter().collect())),
            Ok(_) => Err(format!("{what} hold neither a list of answers nor a map from prompt to answer")),
            Err(e) => Err(format!("{what} are not valid JSON: {e}")),
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

impl<R: BufRead + Send, W: Write + Send> Answerer for Terminal<R, W> {
    fn answer(&mut self, request: &InputRequest) -> Result<Option<Answer>, String> {
        loop {
            if let Some(context) = &request.context {
                let context = context.as_str().map_or_else(|| context.to_string(), str::to_string);
                let _ = writeln!(self.output, "{context}");
            }
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
            let value = request.answer_from_text(&line);
            match request.check(&value) {
                Ok(()) => return Ok(Some(Answer { value, by: "person".into() })),
                Err(e) => {
                    let _ = writeln!(self.output, "{e}; try again");
                }
            }
        }
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
