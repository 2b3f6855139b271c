//! Progress on stderr, drawn by indicatif, only when stderr is a terminal
//! and the command prints neither `--json` nor `-q`: a run's events and
//! children and what it waits for (the LLM, a retry), and the elapsed time
//! of a long step (compiling a component, importing or exporting a bundle).
//! Lines are redrawn in place and cleared at the end, so nothing of them is
//! left in the output.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use enact_core::answer::InputRequest;
use enact_core::event::Event;
use enact_core::llm::{Completion, CompletionRequest, LlmFailure, Retry};
use enact_runtime::Observer;

use crate::Io;

/// Whether progress is drawn for a command of `io` (with `json` output or not).
fn shown(io: &Io, json: bool) -> bool {
    !json && !io.quiet && io.progress
}

/// A spinner with a message and the time elapsed; hidden when not `shown`.
fn spinner(show: bool, message: String) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
    bar.set_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("a valid template"));
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// Runs `f` under a spinner saying `message` (`compiling dice.wasm (12 MiB)`).
pub(crate) fn task<T>(io: &Io, json: bool, message: String, f: impl FnOnce() -> T) -> T {
    let bar = spinner(shown(io, json), message);
    let result = f();
    bar.finish_and_clear();
    result
}

/// Runs `f` with an observer that draws the run's progress, or none.
pub(crate) fn watched<T>(io: &Io, json: bool, f: impl FnOnce(Arc<dyn Observer>) -> T) -> T {
    if !shown(io, json) {
        return f(Arc::new(enact_runtime::Unobserved));
    }
    let progress = Arc::new(Progress { started: Instant::now(), counts: Mutex::default() });
    progress.update(|_| {}, Some(""));
    let result = f(progress.clone());
    if let Some(bar) = progress.counts.lock().unwrap_or_else(|p| p.into_inner()).bar.take() {
        bar.finish_and_clear();
    }
    result
}

/// Draws a run: `120 events (100 replayed), 3 children; waiting for the LLM`.
struct Progress {
    started: Instant,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    live: u64,
    replayed: u64,
    children: u64,
    drawn: Option<Instant>,
    /// The text a streaming LLM sent so far, for the current request.
    streamed: String,
    /// None while a person is asked on the terminal.
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Redraws the message: at once when `waiting` changes, else at most
    /// ten times a second (a replay serves millions of events a second).
    fn update(&self, change: impl FnOnce(&mut Counts), waiting: Option<&str>) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut counts);
        if waiting.is_none() && counts.drawn.is_some_and(|at| at.elapsed() < Duration::from_millis(100)) {
            return;
        }
        counts.drawn = Some(Instant::now());
        let total = counts.live + counts.replayed;
        let mut message = format!("{total} events ({} replayed), {} children", counts.replayed, counts.children);
        if let Some(waiting) = waiting.filter(|w| !w.is_empty()) {
            message = format!("{message}; {waiting}");
        }
        match &counts.bar {
            Some(bar) => bar.set_message(message),
            None => {
                let bar = spinner(true, message);
                bar.set_elapsed(self.started.elapsed());
                counts.bar = Some(bar);
            }
        }
    }
}

impl Observer for Progress {
    fn event(&self, _depth: u32, _index: u64, _event: &Event, replayed: bool) {
        self.update(|c| if replayed { c.replayed += 1 } else { c.live += 1 }, None);
    }

    fn child_started(&self, _depth: u32, _target: &str) {
        self.update(|c| c.children += 1, None);
    }

    fn input_requested(&self, _depth: u32, _request: &InputRequest) {
        // The terminal answerer asks on stderr: no spinner over its prompt.
        if let Some(bar) = self.counts.lock().unwrap_or_else(|p| p.into_inner()).bar.take() {
            bar.finish_and_clear();
        }
    }

    fn llm_request(&self, _depth: u32, _request: &CompletionRequest) {
        self.update(|_| {}, Some("waiting for the LLM"));
    }

    fn llm_retry(&self, _depth: u32, retry: &Retry) {
        let reason = match &retry.failure {
            LlmFailure::Timeout(_) => "LLM timed out",
            LlmFailure::Unavailable(m) if m.contains("HTTP 429") => "LLM rate limited",
            LlmFailure::Unavailable(m) if m.starts_with("cannot reach") => "LLM unreachable",
            _ => "LLM failed",
        };
        let wait = retry.wait.as_secs_f64();
        self.update(|_| {}, Some(&format!("{reason}, retry {}/{} in {wait:.1} s", retry.attempt, retry.of)));
    }

    fn llm_chunk(&self, _depth: u32, text: &str) {
        let mut tail = String::new();
        self.update(
            |c| {
                c.streamed.push_str(text);
                let flat = c.streamed.replace('\n', " ");
                let skip = flat.chars().count().saturating_sub(60);
                tail = flat.chars().skip(skip).collect();
            },
            None,
        );
        self.update(|_| {}, Some(&format!("the LLM says: …{tail}")));
    }

    fn llm_response(&self, _depth: u32, _result: &Result<Completion, LlmFailure>) {
        self.update(|c| c.streamed.clear(), Some(""));
    }
}
