//! `enact serve`: one process holds the store and serves it over HTTP, the
//! API under `/api/v1` (see `openapi.json`) and the web UI at `/`, whose
//! files are in the binary. It holds the store like any other command, so
//! other enact commands on the same home run in it (see `forward`).
//!
//! On loopback no token is needed. On any other address every API request
//! needs `Authorization: Bearer TOKEN` (`--token`, else one is generated);
//! the address and token are written to `serve.json` in the home directory,
//! readable by its owner only. No cross-origin request is let through.

mod api;
mod jobs;
mod ui;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use super::Status;
use crate::{Io, noteln, outln};
use enact_runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The address to listen on; port 0 takes a free one
    #[arg(long, default_value = "127.0.0.1:7788")]
    addr: SocketAddr,
    /// The bearer token API requests must carry [default: none on loopback, else a new one, in serve.json]
    #[arg(long)]
    token: Option<String>,
    /// How many invocations run at once; more wait their turn [default: twice the cores, at least 4]
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    /// Seconds a run waits, live, for a person's answer before it suspends as awaiting-input
    #[arg(long, value_name = "SECONDS", default_value = "600")]
    input_wait: u64,
    /// Print `{url, token}` as one JSON line on stdout once listening
    #[arg(long)]
    json: bool,
}

/// What the handlers share.
#[derive(Clone)]
pub(crate) struct Server {
    pub jobs: Arc<jobs::Jobs>,
    pub home: PathBuf,
    pub token: Option<Arc<str>>,
}

/// The file in the home directory naming the running server.
pub(crate) fn serve_file(home: &Path) -> PathBuf {
    home.join("serve.json")
}

pub(super) fn run(rt: &Arc<Runtime>, home: &Path, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let token = match (args.token, args.addr.ip().is_loopback()) {
        (Some(token), _) if token.trim().len() < 16 => {
            anyhow::bail!(
                "a token of fewer than 16 characters is too easy to guess; hint: leave out `--token` and one is made"
            )
        }
        (Some(token), _) => Some(token),
        (None, true) => None,
        (None, false) => Some(format!("{:032x}", rand::random::<u128>())),
    };
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let workers = args.workers.unwrap_or((2 * cores).max(4));
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores.clamp(2, 8))
        .enable_all()
        .build()
        .context("cannot start the server's threads")?;
    let jobs = jobs::Jobs::new(rt.clone(), workers, Duration::from_secs(args.input_wait));
    let server = Server { jobs: jobs.clone(), home: home.to_path_buf(), token: token.clone().map(Arc::from) };
    tokio.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        write_serve_file(home, &url, token.as_deref())?;
        if args.json {
            outln!(io, "{}", json!({"url": url, "token": token}));
        }
        let _ = io.out.flush();
        let open = match &token {
            Some(token) => format!("{url}/#token={token}"),
            None => url.clone(),
        };
        noteln!(io, "serving the store of `{}` at {open} ({workers} workers); Ctrl-C stops", home.display());
        let app = api::router(server.clone()).merge(ui::router());
        let stopping = jobs.clone();
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                stop_signal().await;
                // Waiting runs suspend now; streams end; requests finish.
                stopping.stop();
                stopping.publish(json!({"type": "server-stopping"}));
            })
            .await
            .context("the server failed")?;
        // Running invocations go on to their end, for a while.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while jobs.busy() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = std::fs::remove_file(serve_file(home));
        noteln!(io, "stopped");
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(Status::Completed)
}

/// SIGINT or SIGTERM.
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// `serve.json`: `{url, token, pid}`, readable by the owner only.
fn write_serve_file(home: &Path, url: &str, token: Option<&str>) -> anyhow::Result<()> {
    let path = serve_file(home);
    let text = json!({"url": url, "token": token, "pid": std::process::id()}).to_string();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).with_context(|| format!("cannot write `{}`", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    Ok(())
}
