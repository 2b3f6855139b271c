//! `enact:runtime/clock`: wall time, journaled.

use super::HostState;
use super::enact::runtime::clock::{Datetime, Host};
use enact_core::event::{Event, Request};

impl Host for HostState {
    fn now(&mut self) -> wasmtime::Result<Datetime> {
        self.refuse_while_describing(&Request::ClockNow)?;
        match self.serve(Request::ClockNow)? {
            Event::ClockNow { seconds, nanoseconds } => Ok(Datetime { seconds, nanoseconds }),
            other => unreachable!("the journal serves what was requested, not {other:?}"),
        }
    }
}
