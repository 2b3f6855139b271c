//! `enact:runtime/step`: step marks of state machines, journaled with the
//! state after each step. A replay checks the guest ends the same step with
//! the same state; a fork's edit of the state comes back to the guest.

use enact_core::event::{Event, Request, StepMark};

use super::enact::runtime::step::Host;
use super::{HostState, trap};

/// A state larger than this is refused: it would be journaled at every step.
const MAX_STATE_BYTES: usize = 16 << 20;

impl Host for HostState {
    fn mark(&mut self, name: String, state: String) -> wasmtime::Result<Option<String>> {
        if state.len() > MAX_STATE_BYTES {
            return Err(trap(format!(
                "step `{name}` marked a state of {} bytes; at most {MAX_STATE_BYTES} are journaled",
                state.len()
            )));
        }
        let request = Request::Step { name, state: state.into_bytes() };
        let mut journal = self.journal();
        if let Some(event) = journal.next_recorded(&request).map_err(trap)? {
            let Event::Step(mark) = event else { unreachable!("the journal serves what was requested") };
            return match mark.replaced {
                None => Ok(None),
                Some(state) => String::from_utf8(state.into_vec())
                    .map(Some)
                    .map_err(|_| trap("a recorded step state is not UTF-8")),
            };
        }
        let Request::Step { name, state } = request else { unreachable!() };
        let at_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        journal.record_live(Event::Step(Box::new(StepMark { name, state, replaced: None, at_us }))).map_err(trap)?;
        Ok(None)
    }
}
