//! Limits on what one invocation may consume. They are recorded in the
//! invocation, and a replay runs under the recorded ones.

use serde::{Deserialize, Serialize};
use wasmtime::{StoreLimits, StoreLimitsBuilder};

use crate::engine::EPOCH_TICK;

/// What an invocation may use. Exceeding one ends it `trapped`, naming the limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Linear memory, in bytes, summed over the component's memories.
    pub memory_bytes: u64,
    /// Wall time for the call, in milliseconds.
    pub wall_time_ms: u64,
    /// Events in the journal.
    pub journal_events: u64,
    /// Bytes of output JSON.
    pub output_bytes: u64,
    /// Bytes of captured stdout, stderr and log lines.
    pub log_bytes: u64,
    /// Depth of child invocations below the root.
    pub max_depth: u32,
    /// Child invocations in one invocation tree.
    pub max_children: u64,
    /// Elements in each table.
    pub table_elements: u64,
    /// Fuel (about one unit per WebAssembly instruction); `None` for no budget.
    /// Unlike wall time, running out of fuel happens at the same point on replay.
    #[serde(default)]
    pub fuel: Option<u64>,
}

impl Default for Limits {
    /// 256 MiB of memory, 30 s of wall time, 100 million events, 64 MiB of
    /// output, 1 MiB of log, children 32 deep and a million in a tree,
    /// tables of 100,000 elements.
    fn default() -> Self {
        Limits {
            memory_bytes: 256 << 20,
            wall_time_ms: 30_000,
            journal_events: 100_000_000,
            output_bytes: 64 << 20,
            log_bytes: 1 << 20,
            max_depth: 32,
            max_children: 1_000_000,
            table_elements: 100_000,
            fuel: None,
        }
    }
}

impl Limits {
    /// The store limiter for these limits; a failed grow traps, so it fails
    /// the same way on replay.
    pub fn store_limits(&self) -> StoreLimits {
        StoreLimitsBuilder::new()
            .memory_size(usize::try_from(self.memory_bytes).unwrap_or(usize::MAX))
            .table_elements(usize::try_from(self.table_elements).unwrap_or(usize::MAX))
            .trap_on_grow_failure(true)
            .build()
    }

    /// Sets `store`'s time and fuel budgets.
    pub fn arm<T>(&self, store: &mut wasmtime::Store<T>) {
        store.set_epoch_deadline(self.epoch_ticks());
        store.epoch_deadline_trap();
        store.set_fuel(self.fuel.unwrap_or(u64::MAX)).expect("the engine consumes fuel");
    }

    /// What to do when the epoch deadline comes, for a run that has been
    /// serving live events for `live_for` (`None`: still replaying its
    /// recorded prefix, which runs at replay speed and is not timed).
    pub fn on_deadline(&self, live_for: Option<std::time::Duration>) -> wasmtime::UpdateDeadline {
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

    /// Whether `error` is the wall-time limit: the one limit whose point is
    /// not a function of the journal.
    pub fn is_timeout(error: &wasmtime::Error) -> bool {
        matches!(error.downcast_ref::<wasmtime::Trap>(), Some(wasmtime::Trap::Interrupt))
    }

    /// The wall-time limit in epoch ticks.
    pub fn epoch_ticks(&self) -> u64 {
        (self.wall_time_ms / EPOCH_TICK.as_millis() as u64).max(1)
    }

    /// The trap reason for a guest stopped by a limit, if `error` is one.
    pub fn reason(&self, error: &wasmtime::Error) -> Option<String> {
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

/// `268435456` as `256 MiB`, `97536` as `95.2 KiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut unit = 0;
    let mut value = n as f64;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else if value.fract() == 0.0 {
        format!("{value} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(256 << 20), "256 MiB");
        assert_eq!(human_bytes(97_536), "95.2 KiB");
    }
}
