//! `enact:runtime/log`, and the guest's stdout and stderr: captured into the
//! invocation, within the log limit. Recorded, not replayed.

use enact_core::record::LogLine;

use super::HostState;
use super::enact::runtime::log::{Host, Level};

/// Log lines within a byte budget; past it, one line says what was dropped.
#[derive(Default)]
pub(super) struct Logs {
    lines: Vec<LogLine>,
    budget: u64,
    dropped: u64,
}

impl Logs {
    pub(super) fn new(budget: u64) -> Logs {
        Logs { lines: Vec::new(), budget, dropped: 0 }
    }

    fn push(&mut self, line: LogLine) {
        let size = line.message.len() as u64;
        if size > self.budget {
            self.dropped += 1;
            return;
        }
        self.budget -= size;
        self.lines.push(line);
    }

    pub(super) fn into_lines(mut self) -> Vec<LogLine> {
        if self.dropped > 0 {
            self.lines.push(LogLine {
                at: None,
                level: "warn".into(),
                message: format!("{} log lines dropped: log limit reached", self.dropped),
            });
        }
        self.lines
    }
}

impl Host for HostState {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        tracing::debug!(target: "enact::guest", level, "{message}");
        let at = Some(self.journal().len() as u64);
        self.logs.push(LogLine { at, level: level.to_string(), message });
        Ok(())
    }
}
