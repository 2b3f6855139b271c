//! `timers`: waits the ways Rust programs do, all through WASI timers that
//! enact journals. Input `{"sleep_ms", "poll_ms"}` (defaults 20 and 2):
//! `std::thread::sleep`, a `subscribe-duration` timer polled with `ready()`
//! in a loop until it fires (counting the polls), and one `poll` of a short
//! and a long timer. The output differs from run to run live, and a replay
//! reproduces it exactly without waiting.

use std::time::{Duration, Instant};

use enact_guest::{Error, Guest, Metadata};
use serde::Deserialize;
use wasip2::clocks::monotonic_clock::subscribe_duration;
use wasip2::io::poll::poll;

#[derive(Deserialize)]
struct Input {
    #[serde(default = "default_sleep")]
    sleep_ms: u64,
    #[serde(default = "default_poll")]
    poll_ms: u64,
}

fn default_sleep() -> u64 {
    20
}

fn default_poll() -> u64 {
    2
}

struct Timers;

impl Guest for Timers {
    fn describe() -> Metadata {
        enact_guest::metadata("timers", "sleeps, polls a timer until it fires, and polls two timers at once")
    }

    fn call(_config: String, input: String) -> Result<String, Error> {
        let input: Input = enact_guest::parse("input", &input)?;
        let start = Instant::now();
        std::thread::sleep(Duration::from_millis(input.sleep_ms));
        let slept = start.elapsed();

        let timer = subscribe_duration(input.poll_ms * 1_000_000);
        let mut polls = 0u64;
        while !timer.ready() {
            polls += 1;
        }

        let short = subscribe_duration(input.poll_ms * 1_000_000);
        let long = subscribe_duration(input.poll_ms * 50 * 1_000_000);
        let ready = poll(&[&short, &long]);

        enact_guest::output(&serde_json::json!({
            "slept_ns": slept.as_nanos() as u64,
            "polls": polls,
            "ready": ready,
        }))
    }
}

enact_guest::export!(Timers);
