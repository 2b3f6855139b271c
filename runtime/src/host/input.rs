//! `enact:runtime/input`. Suspending for an answer is not implemented yet: a
//! request traps with a message that says so.

use super::HostState;
use super::enact::runtime::input::{Host, InputRequest};

impl Host for HostState {
    fn request(&mut self, _req: InputRequest) -> wasmtime::Result<String> {
        Err(wasmtime::Error::msg(
            "`input.request` is not supported by this version of enact",
        ))
    }
}
