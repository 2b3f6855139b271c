//! Watching a run as it goes: the [`Observer`] the CLI draws progress with,
//! and that a server can stream to browsers. Observers see; they never
//! change what runs, and what they see is already journaled or about to be.

use enact_core::answer::InputRequest;
use enact_core::event::Event;
use enact_core::llm::{Completion, CompletionRequest, LlmFailure, Retry};
use enact_core::record::Outcome;
use enact_core::value::Digest;

/// Receives what happens in an invocation tree, in order, on the threads
/// that run it. Every method does nothing unless overridden. `depth` is 0
/// for the root, 1 for its children, and so on.
pub trait Observer: Send + Sync {
    /// Event `index` of an invocation at `depth` was served: from the
    /// recorded journal (`replayed`) or live.
    fn event(&self, depth: u32, index: u64, event: &Event, replayed: bool) {
        let _ = (depth, index, event, replayed);
    }

    /// A child invocation of `target` starts running at `depth`.
    fn child_started(&self, depth: u32, target: &str) {
        let _ = (depth, target);
    }

    /// An invocation at `depth` (a child when `depth > 0`) was sealed as `id`.
    fn sealed(&self, depth: u32, id: &Digest, outcome: &Outcome) {
        let _ = (depth, id, outcome);
    }

    /// A guest asks for input; an answerer is asked next.
    fn input_requested(&self, depth: u32, request: &InputRequest) {
        let _ = (depth, request);
    }

    /// A completion request is about to be sent (it is durable already).
    fn llm_request(&self, depth: u32, request: &CompletionRequest) {
        let _ = (depth, request);
    }

    /// The provider failed an attempt and is about to try again.
    fn llm_retry(&self, depth: u32, retry: &Retry) {
        let _ = (depth, retry);
    }

    /// A piece of a completion's text arrived from a provider that streams
    /// (the whole completion follows in `llm_response`).
    fn llm_chunk(&self, depth: u32, text: &str) {
        let _ = (depth, text);
    }

    /// The provider answered a completion request.
    fn llm_response(&self, depth: u32, result: &Result<Completion, LlmFailure>) {
        let _ = (depth, result);
    }
}

/// Observes nothing.
pub struct Unobserved;

impl Observer for Unobserved {}
