//! `enact:runtime/random`: random bytes and numbers, journaled.

use super::HostState;
use super::enact::runtime::random::Host;
use enact_core::event::{Event, Request};

impl Host for HostState {
    fn fill(&mut self, len: u32) -> wasmtime::Result<Vec<u8>> {
        self.refuse_while_describing(&Request::RandomFill(len))?;
        match self.serve(Request::RandomFill(len))? {
            Event::RandomFill { bytes } => Ok(bytes),
            other => unreachable!("the journal serves what was requested, not {other:?}"),
        }
    }

    fn next_u64(&mut self) -> wasmtime::Result<u64> {
        self.refuse_while_describing(&Request::RandomU64)?;
        match self.serve(Request::RandomU64)? {
            Event::RandomU64 { value } => Ok(value),
            other => unreachable!("the journal serves what was requested, not {other:?}"),
        }
    }
}
