//! Flow files: TOML (`.toml`) or JSON (any other name), with templates
//! inline or in files next to the flow (`say = { file = "greet.j2" }`),
//! read and inlined here. The loaded definition is the interpreter's
//! config, so a flow's identity is the hash of its definition with every
//! template in it. Problems found by `check` are placed at a line of the file.

use std::path::{Path, PathBuf};

use crate::check::{Problem, Seg};
use crate::definition::{Flow, Template};

/// A flow read from a file.
#[derive(Debug)]
pub struct Loaded {
    /// The definition, templates inlined.
    pub flow: Flow,
    /// The file.
    pub path: PathBuf,
    source: String,
    toml: bool,
}

/// Why a flow file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file, or a template file, could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a flow.
    #[error("`{path}` is not a valid flow: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its position.
        message: String,
    },
}

/// Reads the flow in `path`, with its template files. With `interpreter`
/// (the flow interpreter's component id), the flows its steps run as
/// children (`flow = "other.toml"`) are read too, and become calls of the
/// interpreter with that flow as config.
///
/// # Errors
/// An unreadable file, or text that is not a flow.
pub fn load(path: &Path, interpreter: Option<&str>) -> Result<Loaded, LoadError> {
    load_nested(path, interpreter, 0)
}

fn load_nested(path: &Path, interpreter: Option<&str>, depth: usize) -> Result<Loaded, LoadError> {
    if depth > 16 {
        return Err(LoadError::Invalid {
            path: path.to_path_buf(),
            message: "flows call flows more than 16 deep: does a flow run itself?".into(),
        });
    }
    let source =
        std::fs::read_to_string(path).map_err(|source| LoadError::Read { path: path.to_path_buf(), source })?;
    let toml = path.extension().is_some_and(|e| e == "toml");
    let invalid = |message: String| LoadError::Invalid { path: path.to_path_buf(), message };
    let mut flow: Flow = if toml {
        toml::from_str(&source).map_err(|e| invalid(e.to_string().trim_end().to_string()))?
    } else {
        serde_json::from_str(&source).map_err(|e| invalid(e.to_string()))?
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    for step in flow.step.values_mut() {
        let templates = [&mut step.say, &mut step.ask, &mut step.llm, &mut step.system];
        let messages = step.messages.iter_mut().flatten().map(|m| &mut m.content);
        for template in templates.into_iter().flatten().chain(messages) {
            if let Template::File { file, source } = template {
                let at = dir.join(&*file);
                let text = std::fs::read_to_string(&at).map_err(|source| LoadError::Read { path: at, source })?;
                *source = Some(text);
            }
        }
        let Some(interpreter) = interpreter else { continue };
        let mut calls = vec![(&mut step.flow, &mut step.call, &mut step.config)];
        if let Some(map) = &mut step.map {
            calls.push((&mut map.flow, &mut map.call, &mut map.config));
        }
        for (flow, call, config) in calls {
            if let Some(file) = flow.as_deref() {
                let nested = load_nested(&dir.join(file), Some(interpreter), depth + 1)?;
                *call = Some(interpreter.to_string());
                *config = Some(serde_json::to_value(&nested.flow).expect("a flow serializes"));
            }
        }
    }
    Ok(Loaded { flow, path: path.to_path_buf(), source, toml })
}

impl Loaded {
    /// The line and column (from 1) where `problem` is in the file, when it can be placed.
    pub fn position(&self, problem: &Problem) -> Option<(usize, usize)> {
        if !self.toml {
            return None;
        }
        let table = toml::de::DeTable::parse(&self.source).ok()?;
        let mut span = table.span();
        let mut value: Option<&toml::de::DeValue> = None;
        let mut current = table.get_ref();
        for seg in &problem.at {
            let next = match (seg, value) {
                (Seg::Key(key), None | Some(toml::de::DeValue::Table(_))) => {
                    current.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v)
                }
                (Seg::Index(i), Some(toml::de::DeValue::Array(items))) => items.get(*i),
                _ => None,
            };
            let Some(next) = next else { break };
            span = next.span();
            value = Some(next.get_ref());
            if let toml::de::DeValue::Table(t) = next.get_ref() {
                current = t;
            }
        }
        let before = &self.source[..span.start.min(self.source.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        Some((line, column))
    }

    /// `problem` as people read it: `file:line:column: path: message`.
    pub fn describe(&self, problem: &Problem) -> String {
        match self.position(problem) {
            Some((line, column)) => format!("{}:{line}:{column}: {problem}", self.path.display()),
            None => format!("{}: {problem}", self.path.display()),
        }
    }
}
