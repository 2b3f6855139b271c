//! The live sources of nondeterminism: the real clock and entropy.
//!
//! Only the [`Journal`](crate::journal::Journal) samples them, and only when it
//! has no recorded event to serve. Tests swap them for seeded fakes.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use enact_core::event::{Event, Request};

/// Where every invocation's monotonic clock starts: one day, in nanoseconds.
///
/// Components built by snapshotting (componentize-py, componentize-js) keep
/// a monotonic reading taken at build time, and compute differences against
/// it (Python's `time.process_time()`). Starting every invocation a day in
/// keeps those differences non-negative for any build that took less than a
/// day, and no reading reveals the host's uptime.
pub const MONOTONIC_START: u64 = 86_400_000_000_000;

/// A clock: wall time and a monotonic counter.
pub trait Clock: Send {
    /// Time since the Unix epoch.
    fn wall(&mut self) -> Duration;
    /// Nanoseconds on a clock that never goes backwards.
    fn monotonic(&mut self) -> u64;
    /// How long to wait, really, until [`Clock::monotonic`] reaches `deadline`.
    /// A fake clock jumps there instead and returns zero.
    fn wait_until(&mut self, deadline: u64) -> Duration;
}

/// The machine's clocks; the monotonic one starts at [`MONOTONIC_START`].
pub struct SystemClock {
    start: Instant,
}

impl Clock for SystemClock {
    fn wall(&mut self) -> Duration {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
    }

    fn monotonic(&mut self) -> u64 {
        MONOTONIC_START.saturating_add(self.start.elapsed().as_nanos() as u64)
    }

    fn wait_until(&mut self, deadline: u64) -> Duration {
        Duration::from_nanos(deadline.saturating_sub(self.monotonic()))
    }
}

/// A clock that advances one millisecond per reading, from a fixed start.
pub struct FakeClock {
    now: std::time::Duration,
}

impl Clock for FakeClock {
    fn wall(&mut self) -> Duration {
        self.now += Duration::from_millis(1);
        self.now
    }

    fn monotonic(&mut self) -> u64 {
        self.wall().as_nanos() as u64
    }

    fn wait_until(&mut self, deadline: u64) -> Duration {
        self.now = self.now.max(Duration::from_nanos(deadline));
        Duration::ZERO
    }
}

/// Everything the journal samples live.
pub struct Sources {
    clock: Box<dyn Clock>,
    entropy: StdRng,
    /// Monotonic readings continue from here: a replay that goes live never
    /// hands out a value below one it replayed.
    monotonic_floor: u64,
}

impl Sources {
    /// The real clock and operating-system-seeded entropy.
    pub fn system() -> Sources {
        Sources {
            clock: Box::new(SystemClock { start: Instant::now() }),
            entropy: rand::make_rng::<StdRng>(),
            monotonic_floor: 0,
        }
    }

    /// A fake clock and seeded entropy: the same seed gives the same values.
    pub fn seeded(seed: u64) -> Sources {
        Sources {
            clock: Box::new(FakeClock { now: Duration::from_secs(1_800_000_000) }),
            entropy: StdRng::seed_from_u64(seed),
            monotonic_floor: 0,
        }
    }

    /// A factory of seeded sources: the n-th call gets seed `seed + n`, so
    /// every invocation draws its own deterministic stream.
    pub fn seeded_sequence(seed: u64) -> impl Fn() -> Sources + Send + Sync + 'static {
        let next = std::sync::atomic::AtomicU64::new(seed);
        move || Sources::seeded(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }

    /// Samples a live response to `request`; `None` for requests no source
    /// answers (child invocations).
    pub fn sample(&mut self, request: &Request) -> Option<Event> {
        Some(match *request {
            Request::ClockNow => {
                let t = self.clock.wall();
                Event::ClockNow { seconds: t.as_secs(), nanoseconds: t.subsec_nanos() }
            }
            Request::WasiWallClock => {
                let t = self.clock.wall();
                Event::WasiWallClock { seconds: t.as_secs(), nanoseconds: t.subsec_nanos() }
            }
            Request::WasiMonotonicClock => Event::WasiMonotonicClock { nanoseconds: self.monotonic() },
            Request::WasiTimer { deadline } => Event::WasiTimer { deadline, now: self.monotonic() },
            Request::RandomU64 => Event::RandomU64 { value: self.entropy.next_u64() },
            Request::RandomFill(len) => Event::RandomFill { bytes: self.bytes(len as usize) },
            Request::WasiRandom(len) => Event::WasiRandom { bytes: self.bytes(len) },
            Request::WasiInsecureRandom(len) => Event::WasiInsecureRandom { bytes: self.bytes(len) },
            Request::WasiInsecureSeed => {
                Event::WasiInsecureSeed { seed: (self.entropy.next_u64(), self.entropy.next_u64()) }
            }
            Request::Invoke { .. }
            | Request::Input { .. }
            | Request::Llm { .. }
            | Request::WasiRandomReads { .. }
            | Request::Step { .. } => {
                return None;
            }
        })
    }

    /// How long to wait for real until the monotonic clock reaches `deadline`.
    pub fn wait_until(&mut self, deadline: u64) -> Duration {
        self.clock.wait_until(deadline)
    }

    /// A monotonic reading, never below an earlier one.
    fn monotonic(&mut self) -> u64 {
        let now = self.clock.monotonic().max(self.monotonic_floor);
        self.monotonic_floor = now;
        now
    }

    /// Makes live monotonic readings start at or above `floor`.
    pub fn raise_monotonic_floor(&mut self, floor: u64) {
        self.monotonic_floor = self.monotonic_floor.max(floor);
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut bytes = vec![0; len];
        self.entropy.fill_bytes(&mut bytes);
        bytes
    }
}
