//! Progress on stderr while a run goes, when stderr is a terminal (and the
//! output is not `--json`): events served, children started, and what the
//! run waits for. One line, redrawn at most ten times a second, cleared at
//! the end.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use enact_core::answer::InputRequest;
use enact_core::event::Event;
use enact_core::llm::{Completion, CompletionRequest, LlmFailure};
use enact_runtime::Observer;

/// Draws a run's progress on the terminal.
pub(crate) struct Progress {
    state: Mutex<State>,
}

struct State {
    events: u64,
    replayed: u64,
    children: u64,
    drawn: Option<Instant>,
}

impl Progress {
    /// Progress for a run, if stderr is a terminal and `json` is off.
    pub(crate) fn on_terminal(json: bool) -> Option<Progress> {
        use std::io::IsTerminal;
        (!json && std::io::stderr().is_terminal())
            .then(|| Progress { state: Mutex::new(State { events: 0, replayed: 0, children: 0, drawn: None }) })
    }

    fn draw(&self, force: bool, note: &str) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if !force && state.drawn.is_some_and(|at| at.elapsed() < Duration::from_millis(100)) {
            return;
        }
        state.drawn = Some(Instant::now());
        let line = format!(
            "{} events ({} replayed), {} children{note}",
            state.events + state.replayed,
            state.replayed,
            state.children
        );
        let _ = write!(std::io::stderr(), "\r\x1b[2K{line}");
    }

    /// Clears the progress line.
    pub(crate) fn finish(&self) {
        if self.state.lock().unwrap_or_else(|p| p.into_inner()).drawn.is_some() {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

impl Observer for Progress {
    fn event(&self, _depth: u32, _index: u64, _event: &Event, replayed: bool) {
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if replayed { state.replayed += 1 } else { state.events += 1 }
        }
        self.draw(false, "");
    }

    fn child_started(&self, _depth: u32, _target: &str) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).children += 1;
        self.draw(false, "");
    }

    fn input_requested(&self, _depth: u32, _request: &InputRequest) {
        self.finish();
    }

    fn llm_request(&self, _depth: u32, _request: &CompletionRequest) {
        self.draw(true, "; waiting for the LLM");
    }

    fn llm_response(&self, _depth: u32, _result: &Result<Completion, LlmFailure>) {
        self.draw(true, "");
    }
}

/// Runs `f` with an observer: progress on the terminal, or none.
pub(crate) fn watched<T>(json: bool, f: impl FnOnce(std::sync::Arc<dyn Observer>) -> T) -> T {
    match Progress::on_terminal(json).map(std::sync::Arc::new) {
        Some(progress) => {
            let result = f(progress.clone());
            progress.finish();
            result
        }
        None => f(std::sync::Arc::new(enact_runtime::Unobserved)),
    }
}
