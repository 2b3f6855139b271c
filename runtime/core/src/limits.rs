//! Limits on what one invocation may consume. They are recorded in the
//! invocation, and a replay runs under the recorded ones.

use serde::{Deserialize, Serialize};

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
