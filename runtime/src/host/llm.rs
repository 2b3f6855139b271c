//! `enact:runtime/llm`. No provider is built in yet: every request gets the
//! guest-visible error `unavailable`, the same on every run.

use super::HostState;
use super::enact::runtime::llm::{Completion, CompletionRequest, Host, LlmError};

impl Host for HostState {
    fn complete(&mut self, _req: CompletionRequest) -> wasmtime::Result<Result<Completion, LlmError>> {
        Ok(Err(LlmError::Unavailable(
            "no LLM provider is available in this version of enact".to_string(),
        )))
    }
}
