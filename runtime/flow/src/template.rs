//! Expressions and templates: Jinja syntax by minijinja, with no access to
//! the host (no file loader, no environment). Guards and `set` values are
//! expressions (`count < 10`, `mode == "image"`, `not done and tries < 3`);
//! `say`, `ask` and `llm` texts are templates. An undefined name is an
//! error, except as a test of truth (`not user_says_stop`).

use std::collections::BTreeSet;

use minijinja::{Environment, UndefinedBehavior};

use crate::definition::Template;

/// The expression and template engine of flows.
pub struct Engine {
    env: Environment<'static>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

/// The name a template is known by in errors: its file, or where it is in the definition.
pub fn name_of(step: &str, field: &str, template: &Template) -> String {
    match template {
        Template::File { file, .. } => file.clone(),
        Template::Inline(_) => format!("step.{step}.{field}"),
    }
}

/// A minijinja error as people read it: what, where (template and line), why.
pub fn describe(error: &minijinja::Error) -> String {
    let mut text = match (error.name().filter(|n| *n != "<expression>"), error.line()) {
        (Some(name), Some(line)) => format!("template `{name}` line {line}: {}", error.kind()),
        (Some(name), None) => format!("template `{name}`: {}", error.kind()),
        _ => error.kind().to_string(),
    };
    if let Some(detail) = error.detail() {
        text.push_str(": ");
        text.push_str(detail);
    }
    text
}

impl Engine {
    /// An engine for checking, not running: its random functions draw 0.
    pub fn new() -> Engine {
        Engine::with_random(|| 0)
    }

    /// An engine whose `random()`, `randint(a, b)` and `choice(list)` draw
    /// from `draw` (the journaled random source, in a run): undefined names
    /// fail (except in tests of truth), no autoescape.
    pub fn with_random(draw: fn() -> u64) -> Engine {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_keep_trailing_newline(false);
        let below = move |n: u64| ((u128::from(draw()) * u128::from(n)) >> 64) as u64;
        env.add_function("random", move || (draw() >> 11) as f64 / (1u64 << 53) as f64);
        env.add_function("randint", move |low: i64, high: i64| -> Result<i64, minijinja::Error> {
            if high < low {
                return Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("randint({low}, {high}): the high end is below the low one"),
                ));
            }
            Ok(low + below((high - low) as u64 + 1) as i64)
        });
        env.add_function("choice", move |items: Vec<minijinja::Value>| -> Result<minijinja::Value, minijinja::Error> {
            if items.is_empty() {
                return Err(minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, "choice of an empty list"));
            }
            Ok(items[below(items.len() as u64) as usize].clone())
        });
        Engine { env }
    }

    /// The top-level names `expr` reads.
    ///
    /// # Errors
    /// A syntax error, described.
    pub fn names_in_expression(&self, expr: &str) -> Result<BTreeSet<String>, String> {
        let compiled = self.expression(expr)?;
        Ok(compiled.undeclared_variables(false).into_iter().collect())
    }

    /// `expr`, compiled.
    ///
    /// # Errors
    /// A syntax error, described.
    pub fn expression(&self, expr: &str) -> Result<minijinja::Expression<'_, 'static>, String> {
        self.env.compile_expression_owned(expr.to_string()).map_err(|e| describe(&e))
    }

    /// Adds template `source` as `name`, and returns the top-level names it reads.
    ///
    /// # Errors
    /// A syntax error, described with the template's name and line.
    pub fn add_template(&mut self, name: String, source: &str) -> Result<BTreeSet<String>, String> {
        self.env.add_template_owned(name.clone(), source.to_string()).map_err(|e| describe(&e))?;
        let template = self.env.get_template(&name).map_err(|e| describe(&e))?;
        Ok(template.undeclared_variables(false).into_iter().collect())
    }

    /// Renders template `name` (added before) with `ctx`.
    ///
    /// # Errors
    /// A render error, described with the template's name and line.
    pub fn render(&self, name: &str, ctx: minijinja::Value) -> Result<String, String> {
        let template = self.env.get_template(name).map_err(|e| describe(&e))?;
        template.render(ctx).map_err(|e| describe(&e))
    }
}
