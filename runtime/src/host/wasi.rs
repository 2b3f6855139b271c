//! WASI p2 for guests built with standard toolchains, without ambient
//! authority: clocks and random come from the journal, stdout and stderr are
//! captured, and there is no environment, stdin, filesystem or network.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder};

use super::{HostState, lock};
use crate::journal::{Event, Journal, Request};

/// The WASI context of one invocation.
pub(super) fn context(
    journal: &Arc<Mutex<Journal>>,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    preopens: &[(std::path::PathBuf, String, bool)],
) -> WasiCtx {
    let mut builder = WasiCtxBuilder::new();
    builder
        .args(&["invokable"])
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

/// Adds WASI p2, with `insecure-seed` served from the journal.
pub(super) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    linker.allow_shadowing(true);
    linker.instance("wasi:random/insecure-seed@0.2.12")?.func_wrap("insecure-seed", |store, (): ()| {
        match store.data().serve(Request::WasiInsecureSeed)? {
            Event::WasiInsecureSeed { seed } => Ok((seed,)),
            other => unreachable!("the journal serves what was requested, not {other:?}"),
        }
    })?;
    linker.allow_shadowing(false);
    Ok(())
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
        let request = if self.secure { Request::WasiRandom(dst.len()) } else { Request::WasiInsecureRandom(dst.len()) };
        match lock(&self.journal).serve(request) {
            Ok(Event::WasiRandom { bytes } | Event::WasiInsecureRandom { bytes }) => dst.copy_from_slice(&bytes),
            _ => dst.fill(0),
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
