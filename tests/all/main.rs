//! The integration tests: one binary, one module per area.
//!
//! Guests are built from source by `make guests` (the test command runs it
//! first) into `target/guests/<language>/<scenario>.wasm`.

mod fixtures;
mod support;

/// The `enact` CLI contract: output, `--json`, exit codes, target forms.
mod cli;
/// Bad input of every kind gets a clear error, exit code 2, and changes nothing.
mod bad_input;
/// Record, then replay: identical output and journal; divergence detected.
mod replay;
/// The store: integrity on read, idempotent writes.
mod storage;
/// Invocation trees: children, rewind, replay with re-sampling, overrides.
mod tree;
/// People as a journaled source: suspend, resume, answers, sessions.
mod input;
/// LLM completions: the HTTP client against a local server, and replay.
mod llm;
/// The OpenAI-compatible test server used by `llm`.
mod llm_server;
/// The sandbox and the store under stress: limits, authority, integrity, crashes.
mod safety;
/// Guests written in other languages than Rust.
mod languages;
/// Sharing by hash: export, import, replay elsewhere.
mod share;
/// Property tests (fuzzing): the store against a model, canonical JSON, adding bytes.
mod properties;
