//! The integration tests: one binary, one module per area.
//!
//! Guests are built from source by `make guests` (the test command runs it
//! first) into `target/guests/<language>/<scenario>.wasm`.

mod fixtures;
mod support;

/// Bad input of every kind gets a clear error, exit code 2, and changes nothing.
mod bad_input;
/// The `enact` CLI contract: output, `--json`, exit codes, target forms.
mod cli;
/// Processes killed with SIGKILL: what was acknowledged survives.
mod crash;
/// Executions as data: diff, check of an upgrade, expectations, annotations, datasets.
mod executions;
/// Flows: state machines and dialogues as files, run, replayed, forked, driven as sessions.
mod flows;
/// Whoever holds the store serves the others' commands.
mod forward;
/// Store management: `rm` and `gc` never break a reference.
mod gc;
/// People as a journaled source: suspend, resume, answers, sessions.
mod input;
/// Guests written in other languages than Rust.
mod languages;
/// The layers: crates and modules depend only downwards.
mod layers;
/// LLM completions: the HTTP client against a local server, and replay.
mod llm;
/// The OpenAI-compatible test server used by `llm`.
mod llm_server;
/// `enact new`: a project per language, built outside the repository.
mod new;
/// Property tests (fuzzing): the store against a model, canonical JSON, adding bytes.
mod properties;
/// Record, then replay: identical output and journal; divergence detected.
mod replay;
/// Source code run by the `python` and `javascript` runners: `enact run`, generated code as a child.
mod run_code;
/// The sandbox and the store under stress: limits, authority, integrity, crashes.
mod safety;
/// `enact serve`: the HTTP API, the web UI in a browser, load and faults.
mod serve;
/// Sharing by hash: export, import, replay elsewhere.
mod share;
/// The store: integrity on read, idempotent writes.
mod storage;
/// What a person at a terminal sees: progress, colours, `-q`.
mod terminal;
/// Timers, time limits and random bytes: every answer about time replays.
mod timers;
/// The README's CLI tour, run as written.
mod tour;
/// Invocation trees: children, rewind, replay with re-sampling, overrides.
mod tree;
