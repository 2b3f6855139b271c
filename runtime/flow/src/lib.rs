//! Flows: state machines and LLM dialogues as data. A flow names an entry
//! step, an initial state, steps (`set`, `say`, `ask`, `llm`, `call`, `map`,
//! `end`) and ordered, guarded transitions. enact runs a flow as an
//! ordinary invocation of its flow interpreter component, whose config is
//! the definition: every LLM completion and answer is journaled, every
//! `call` is a child, every step is marked with the state after it.
//!
//! Modules: `definition` (the shape), `template` (expressions and
//! templates), `check` (problems before a run), `run` (the interpreter,
//! over a [`run::Host`]), `graph` (dot and mermaid), and `load` (files, with
//! the `files` feature).

pub mod check;
pub mod definition;
pub mod graph;
#[cfg(feature = "files")]
pub mod load;
pub mod run;
pub mod template;

pub use definition::Flow;
