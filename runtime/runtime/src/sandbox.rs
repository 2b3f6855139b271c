//! Limits applied to a wasmtime store: memory and tables through the
//! store's limiter, wall time through epoch deadlines, and fuel.

use enact_core::limits::{Limits, human_bytes};
use wasmtime::{StoreLimits, StoreLimitsBuilder};

use crate::engine::EPOCH_TICK;

/// [`Limits`] as wasmtime applies them.
pub trait Sandbox {
    /// The store limiter for these limits; a failed grow traps, so it fails
    /// the same way on replay.
    fn store_limits(&self) -> StoreLimits;
    /// Sets `store`'s time and fuel budgets.
    fn arm<T>(&self, store: &mut wasmtime::Store<T>);
    /// What to do when the epoch deadline comes, for a run that has been
    /// serving live events for `live_for` (`None`: still replaying its
    /// recorded prefix, which runs at replay speed and is not timed).
    fn on_deadline(&self, live_for: Option<std::time::Duration>) -> wasmtime::UpdateDeadline;
    /// The wall-time limit in epoch ticks.
    fn epoch_ticks(&self) -> u64;
    /// The trap reason for a guest stopped by a limit, if `error` is one.
    fn reason(&self, error: &wasmtime::Error) -> Option<String>;
}

/// Whether `error` is the wall-time limit: the one limit whose point is not
/// a function of the journal.
pub fn is_timeout(error: &wasmtime::Error) -> bool {
    matches!(error.downcast_ref::<wasmtime::Trap>(), Some(wasmtime::Trap::Interrupt))
}

impl Sandbox for Limits {
    fn store_limits(&self) -> StoreLimits {
        StoreLimitsBuilder::new()
            .memory_size(usize::try_from(self.memory_bytes).unwrap_or(usize::MAX))
            .table_elements(usize::try_from(self.table_elements).unwrap_or(usize::MAX))
            .trap_on_grow_failure(true)
            .build()
    }

    fn arm<T>(&self, store: &mut wasmtime::Store<T>) {
        store.set_epoch_deadline(self.epoch_ticks());
        store.epoch_deadline_trap();
        store.set_fuel(self.fuel.unwrap_or(u64::MAX)).expect("the engine consumes fuel");
    }

    fn on_deadline(&self, live_for: Option<std::time::Duration>) -> wasmtime::UpdateDeadline {
        let limit = std::time::Duration::from_millis(self.wall_time_ms);
        match live_for {
            None => wasmtime::UpdateDeadline::Continue(1),
            Some(elapsed) if elapsed < limit => {
                let left = (limit - elapsed).as_millis() as u64 / EPOCH_TICK.as_millis() as u64;
                wasmtime::UpdateDeadline::Continue(left.max(1))
            }
            Some(_) => wasmtime::UpdateDeadline::Interrupt,
        }
    }

    fn epoch_ticks(&self) -> u64 {
        (self.wall_time_ms / EPOCH_TICK.as_millis() as u64).max(1)
    }

    fn reason(&self, error: &wasmtime::Error) -> Option<String> {
        match error.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => {
                return Some(format!("wall-time limit of {} ms exceeded", self.wall_time_ms));
            }
            Some(wasmtime::Trap::OutOfFuel) => {
                return Some(format!("fuel limit of {} exceeded", self.fuel.unwrap_or(u64::MAX)));
            }
            Some(wasmtime::Trap::StackOverflow) => {
                let stack = human_bytes(crate::engine::MAX_WASM_STACK as u64);
                return Some(format!("stack limit of {stack} exceeded (unbounded recursion?)"));
            }
            _ => {}
        }
        let text = format!("{error:#}");
        if text.contains("forcing trap when growing memory") {
            return Some(format!("memory limit of {} exceeded", human_bytes(self.memory_bytes)));
        }
        if text.contains("forcing trap when growing table") {
            return Some(format!("table limit of {} elements exceeded", self.table_elements));
        }
        None
    }
}
