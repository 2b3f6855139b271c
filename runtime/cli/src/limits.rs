//! Limit options of `enact invoke`: each overrides one default of [`Limits`].

use enact_core::limits::Limits;

#[derive(Debug, clap::Args)]
pub(super) struct LimitArgs {
    /// Linear memory the guest may use, e.g. `64MiB` [default: 256MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory: Option<u64>,
    /// Wall time for the call, e.g. `500ms` or `30s` [default: 30s]
    #[arg(long, value_name = "DURATION", value_parser = parse_millis)]
    timeout: Option<u64>,
    /// Events in the journal [default: 100000000]
    #[arg(long, value_name = "N")]
    max_events: Option<u64>,
    /// Depth of child invocations [default: 32]
    #[arg(long, value_name = "N")]
    max_depth: Option<u32>,
    /// Child invocations in the tree [default: 1000000]
    #[arg(long, value_name = "N")]
    max_children: Option<u64>,
    /// Size of the output JSON [default: 64MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_output: Option<u64>,
    /// Fuel: a deterministic budget of about one unit per instruction [default: none]
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Size of captured stdout, stderr and log lines [default: 1MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_log: Option<u64>,
}

impl LimitArgs {
    /// `base` with the options given applied.
    pub(super) fn apply(&self, base: Limits) -> anyhow::Result<Limits> {
        let limits = Limits {
            memory_bytes: self.memory.unwrap_or(base.memory_bytes),
            wall_time_ms: self.timeout.unwrap_or(base.wall_time_ms),
            journal_events: self.max_events.unwrap_or(base.journal_events),
            max_depth: self.max_depth.unwrap_or(base.max_depth),
            max_children: self.max_children.unwrap_or(base.max_children),
            output_bytes: self.max_output.unwrap_or(base.output_bytes),
            log_bytes: self.max_log.unwrap_or(base.log_bytes),
            fuel: self.fuel.or(base.fuel),
            ..base
        };
        if limits.memory_bytes > enact_runtime::MAX_MEMORY as u64 {
            anyhow::bail!(
                "a memory limit of {} is above the most enact grants, {}",
                enact_core::limits::human_bytes(limits.memory_bytes),
                enact_core::limits::human_bytes(enact_runtime::MAX_MEMORY as u64)
            );
        }
        Ok(limits)
    }
}

/// `64MiB`, `1GiB`, `512KiB`, `1000` (bytes).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = digits.parse().map_err(|_| format!("`{text}` is not a size like `64MiB`"))?;
    let scale = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" | "KB" => 1 << 10,
        "MiB" | "M" | "MB" => 1 << 20,
        "GiB" | "G" | "GB" => 1 << 30,
        other => return Err(format!("unknown size unit `{other}`; use KiB, MiB or GiB")),
    };
    n.checked_mul(scale).ok_or_else(|| format!("`{text}` is too large"))
}

/// `500ms`, `30s`, `2m`; a bare number is seconds.
fn parse_millis(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = digits.parse().map_err(|_| format!("`{text}` is not a duration like `500ms` or `30s`"))?;
    let scale = match unit {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        other => return Err(format!("unknown duration unit `{other}`; use ms, s or m")),
    };
    n.checked_mul(scale).ok_or_else(|| format!("`{text}` is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_parse() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("12 parsecs").is_err());
        assert_eq!(parse_millis("500ms"), Ok(500));
        assert_eq!(parse_millis("30s"), Ok(30_000));
        assert_eq!(parse_millis("2"), Ok(2_000), "a bare number is seconds");
        assert!(parse_millis("soon").is_err());
    }
}
