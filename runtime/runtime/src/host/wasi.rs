//! WASI p2 for guests built with standard toolchains, without ambient
//! authority: clocks and random come from the journal, stdout and stderr are
//! captured, and there is no environment, stdin, filesystem or network.
//!
//! Every answer about time reaches the guest through the journal: clock
//! readings, random bytes (consecutive reads of one kind share one event,
//! each read served its own part on replay), and
//! the readiness of timers. A timer's deadline is taken against the
//! journaled monotonic clock, and each time it is polled (`ready`, `block`,
//! `poll`) its reading is an event, so the same polls get the same answers
//! on replay. A live poll that is not ready waits for real; a replay serves
//! the recorded readings without waiting. The other pollables a guest can
//! get (stdout, stderr, an empty stdin, files of granted directories) are
//! always ready, so they answer the same in every run.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::p2::{DynPollable, Pollable};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiView};

use super::{HostState, lock};
use enact_core::event::{Event, Request};

use crate::journal::Journal;

/// The WASI context of one invocation.
pub(super) fn context(
    journal: &Arc<Mutex<Journal>>,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    preopens: &[(std::path::PathBuf, String, bool)],
    program: Option<&super::Program>,
) -> WasiCtx {
    let mut builder = WasiCtxBuilder::new();
    match program {
        None => {
            builder.args(&["invokable"]);
        }
        Some(program) => {
            builder.arg("program").args(&program.args).envs(&program.env);
            builder.stdin(wasmtime_wasi::p2::pipe::MemoryInputPipe::new(program.stdin.clone()));
        }
    }
    builder
        .stdout(stdout)
        .stderr(stderr)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .wall_clock(JournaledClock(journal.clone()))
        .monotonic_clock(JournaledClock(journal.clone()))
        .secure_random(JournaledRandom { journal: journal.clone(), secure: true })
        .insecure_random(JournaledRandom { journal: journal.clone(), secure: false })
        // Never handed out: `wasi:random/insecure-seed` is redefined below.
        .insecure_random_seed(0);
    for (host, guest, writable) in preopens {
        let perms = if *writable { wasmtime_wasi::FsPerms::ReadWrite } else { wasmtime_wasi::FsPerms::ReadOnly };
        // A private copy made by `grants::materialize` a moment ago: it opens.
        if let Err(e) = builder.preopened_dir(host, guest, perms) {
            tracing::warn!("cannot preopen `{}` as `{guest}`: {e:#}", host.display());
        }
    }
    builder.build()
}

/// The WASI version whose interfaces are redefined here.
const WASI: &str = "0.2.12";

/// The most random bytes one call may ask for.
const MAX_RANDOM_BYTES: u64 = 64 << 20;

/// Adds WASI p2, with random bytes, the insecure seed and timers served
/// from the journal.
pub(super) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    linker.allow_shadowing(true);
    linker.instance(&format!("wasi:random/insecure-seed@{WASI}"))?.func_wrap("insecure-seed", |store, (): ()| {
        match store.data().serve(Request::WasiInsecureSeed)? {
            Event::WasiInsecureSeed { seed } => Ok((seed,)),
            other => unreachable!("the journal serves what was requested, not {other:?}"),
        }
    })?;
    for (interface, secure) in [("random", true), ("insecure", false)] {
        let mut instance = linker.instance(&format!("wasi:random/{interface}@{WASI}"))?;
        let prefix = if secure { "get-random" } else { "get-insecure-random" };
        instance.func_wrap(&format!("{prefix}-bytes"), move |store, (len,): (u64,)| {
            if len > MAX_RANDOM_BYTES {
                return Err(wasmtime::Error::msg(format!(
                    "a guest asked for {len} random bytes at once; the limit is {MAX_RANDOM_BYTES}"
                )));
            }
            Ok((random_bytes(store.data(), secure, len as usize)?,))
        })?;
        instance.func_wrap(&format!("{prefix}-u64"), move |store, (): ()| {
            let bytes = random_bytes(store.data(), secure, 8)?;
            Ok((u64::from_le_bytes(bytes.try_into().expect("eight bytes")),))
        })?;
    }
    let mut clock = linker.instance(&format!("wasi:clocks/monotonic-clock@{WASI}"))?;
    clock.func_wrap("subscribe-duration", |mut store: StoreContextMut<'_, HostState>, (duration,): (u64,)| {
        let now = match store.data().serve(Request::WasiMonotonicClock)? {
            Event::WasiMonotonicClock { nanoseconds } => nanoseconds,
            other => unreachable!("the journal serves what was requested, not {other:?}"),
        };
        Ok((subscribe_timer(&mut store, now.saturating_add(duration))?,))
    })?;
    clock.func_wrap("subscribe-instant", |mut store: StoreContextMut<'_, HostState>, (deadline,): (u64,)| {
        Ok((subscribe_timer(&mut store, deadline)?,))
    })?;
    linker.allow_shadowing(false);
    Ok(())
}

/// `len` random bytes, journaled (consecutive reads share one event).
fn random_bytes(state: &HostState, secure: bool, len: usize) -> wasmtime::Result<Vec<u8>> {
    state.journal().serve_random(secure, len).map_err(|e| wasmtime::Error::msg(e.to_string()))
}

/// A pollable for a timer that fires at `deadline` on the journaled clock.
fn subscribe_timer(
    store: &mut StoreContextMut<'_, HostState>,
    deadline: u64,
) -> wasmtime::Result<Resource<DynPollable>> {
    let timer = Timer { deadline, journal: store.data().journal.clone() };
    let table = store.data_mut().ctx().table;
    let timer = table.push(timer)?;
    wasmtime_wasi::p2::subscribe(table, timer)
}

/// A timer on the journaled monotonic clock.
struct Timer {
    deadline: u64,
    journal: Arc<Mutex<Journal>>,
}

#[wasmtime_wasi::async_trait]
impl Pollable for Timer {
    async fn ready(&mut self) {
        let mut sleep = None;
        std::future::poll_fn(|cx| poll_timer(self.deadline, &self.journal, &mut sleep, cx)).await;
    }
}

/// One poll of a timer: one journaled reading. Every poll takes a reading,
/// whatever woke it, so the readings alone decide what each `ready`, `block`
/// and `poll` returns, live and on replay.
fn poll_timer(
    deadline: u64,
    journal: &Mutex<Journal>,
    sleep: &mut Option<Pin<Box<tokio::time::Sleep>>>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    let mut journal = lock(journal);
    let now = match journal.serve(Request::WasiTimer { deadline }) {
        Ok(Event::WasiTimer { now, .. }) => now,
        // A fault: the journal keeps it, and the invocation ends with it.
        _ => return Poll::Ready(()),
    };
    if now >= deadline {
        return Poll::Ready(());
    }
    let wait = if journal.replaying() { Duration::ZERO } else { journal.wait_until(deadline) };
    drop(journal);
    if wait.is_zero() {
        cx.waker().wake_by_ref();
    } else {
        let mut timer = Box::pin(tokio::time::sleep(wait));
        if timer.as_mut().poll(cx).is_ready() {
            cx.waker().wake_by_ref();
        }
        *sleep = Some(timer);
    }
    Poll::Pending
}

/// A WASI clock reading through the journal.
///
/// WASI's clock traits cannot fail; on a divergence the journal keeps the
/// fault, the guest gets zero, and the invocation ends with the divergence at
/// its next enact call or when it returns.
struct JournaledClock(Arc<Mutex<Journal>>);

impl HostWallClock for JournaledClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        match lock(&self.0).serve(Request::WasiWallClock) {
            Ok(Event::WasiWallClock { seconds, nanoseconds }) => Duration::new(seconds, nanoseconds),
            _ => Duration::ZERO,
        }
    }
}

impl HostMonotonicClock for JournaledClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        match lock(&self.0).serve(Request::WasiMonotonicClock) {
            Ok(Event::WasiMonotonicClock { nanoseconds }) => nanoseconds,
            _ => 0,
        }
    }
}

/// WASI random bytes through the journal; on a fault, zeros (see [`JournaledClock`]).
struct JournaledRandom {
    journal: Arc<Mutex<Journal>>,
    secure: bool,
}

impl JournaledRandom {
    fn fill(&mut self, dst: &mut [u8]) {
        match lock(&self.journal).serve_random(self.secure, dst.len()) {
            Ok(bytes) => dst.copy_from_slice(&bytes),
            Err(_) => dst.fill(0),
        }
    }
}

impl rand::TryRng for JournaledRandom {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0; 4];
        self.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0; 8];
        self.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.fill(dst);
        Ok(())
    }
}
