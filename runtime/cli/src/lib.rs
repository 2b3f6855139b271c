//! The `enact` command line: argument parsing and dispatch, one module per
//! subcommand. Data goes to stdout, everything else to stderr. Exit codes:
//! 0 completed, 1 failed or trapped, 2 usage or runtime error, 3 awaiting input.

mod add;
pub mod answerers;
mod answers;
mod check;
mod console;
mod dataset;
mod describe;
mod diff;
mod explore;
mod feedback;
mod flow;
#[cfg(unix)]
mod forward;
mod hints;
mod invoke;
mod limits;
mod lineage;
mod ls;
mod new;
mod output;
mod progress;
mod remove;
mod replay;
mod resume;
mod rewind;
mod run;
mod serve;
mod session;
mod share;
mod show;
mod style;
mod verify;

// The crates below, re-exported for programs that embed enact (and for the
// integration tests, which live in this package).
pub use answerers::{FileAnswers, Terminal};
pub use enact_core::answer::{Answer, Answerer, FirstThen, InputRequest, NoAnswers, parse_answer};
pub use enact_core::chunks;
pub use enact_core::component::{ComponentInfo, Description};
pub use enact_core::event::{
    ChildCall, ChildResult, Divergence, Event, InputCall, LlmCall, Request, Sealed, SealedChild, decode_events,
    encode_events,
};
pub use enact_core::grant::{DirGrant, Grant};
pub use enact_core::limits::{Limits, human_bytes};
pub use enact_core::record::{
    EngineInfo, ErrorRecord, Invocation, InvocationEntry, InvocationRecord, LogLine, Outcome, RunHeader,
};
pub use enact_core::time::rfc3339;
pub use enact_core::value::{Digest, InvalidJson, ParseDigestError, canonical_bytes, canonical_record, canonicalize};
pub use enact_llm as llm;
pub use enact_runtime::{
    AddError, Builder, Call, ComponentError, EngineError, FLUSH_EVERY, InvokeError, Observer, OpenError, Replay,
    ReplayError, ReplayOptions, ResumeError, RewindError, RunError, Runtime, SessionError, Sources, Step,
    WASMTIME_VERSION, store_path,
};
pub use enact_store::bundle::{BundleError, BundleSummary, Imported, NameKept};
pub use enact_store::gc::{Collected, RemoveError, Removed};
pub use enact_store::verify::VerifyReport;
pub use enact_store::{Reader, Storage, StorageError, Writer};

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

pub use console::Console;
use enact_llm::HttpConfig;
pub use style::Style;

/// enact: run WebAssembly components with every nondeterministic value journaled.
#[derive(Debug, Parser)]
#[command(name = "enact", version, about, max_term_width = 100)]
pub struct Cli {
    /// The enact home directory holding the store [default: $ENACT_HOME, else the XDG data directory]
    #[arg(long, global = true, value_name = "DIR", help_heading = "Global options")]
    home: Option<PathBuf>,

    /// The LLM for live completions: `scripted:FILE`, or the URL of an OpenAI-compatible API
    /// [default: $ENACT_LLM_URL, else the `url` of llm.json in the config directory]
    #[arg(long, global = true, value_name = "SPEC", help_heading = "Global options")]
    llm: Option<String>,

    /// The model to ask when a request names none [default: $ENACT_LLM_MODEL, else llm.json's `model`]
    #[arg(long, global = true, value_name = "MODEL", help_heading = "Global options")]
    model: Option<String>,

    /// Show the runtime's log (what is compiled, loaded, replayed); `ENACT_LOG` sets a finer filter
    #[arg(short, long, global = true, help_heading = "Global options")]
    verbose: bool,

    /// Print only data and errors: no notes, no progress
    #[arg(short, long, global = true, help_heading = "Global options", conflicts_with = "verbose")]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a minimal project for an invokable in a language, ready to build
    #[command(
        after_help = "Examples:\n  enact new greet --lang python\n  enact new guests/hello --lang rust --name hello\n  sh greet/build.sh && enact add greet/greet.wasm && enact invoke greet --input '{\"name\": \"Ada\"}'"
    )]
    New(new::Args),
    /// Add a component to the store; prints its id
    #[command(
        after_help = "Examples:\n  enact add target/guests/rust/dice.wasm\n  enact add dice.wasm --name my-dice --force"
    )]
    Add(add::Args),
    /// Point a name at a component
    #[command(
        after_help = "Examples:\n  enact name die 47bf9545832a\n  enact name die target/guests/python/roll-die.wasm --force"
    )]
    Name(add::NameArgs),
    /// Remove a name
    #[command(after_help = "Examples:\n  enact unname die")]
    Unname(add::UnnameArgs),
    /// Show what a component says of itself and what it can reach
    #[command(after_help = "Examples:\n  enact describe dice\n  enact describe target/guests/js/chat.wasm --json")]
    Describe(describe::Args),
    /// Invoke a component, recording every nondeterministic value
    #[command(
        after_help = "Examples:\n  enact invoke dice --input '{\"n\":3}'\n  enact invoke ask-dice --answers '[2, 5, 6]' --json\n  enact invoke chat --llm http://127.0.0.1:11434 --model llama3.2 --interactive"
    )]
    Invoke(invoke::Args),
    /// Show an invocation as a call tree
    #[command(
        after_help = "Examples:\n  enact show last\n  enact show dice --events\n  enact show 33480302315c --events random --json"
    )]
    Show(show::Args),
    /// Replay an invocation from its journal; an incomplete one goes on live
    #[command(after_help = "Examples:\n  enact replay last\n  enact replay 51f409e66037 --override '1=6'")]
    Replay(replay::Args),
    /// Make a new, incomplete invocation without the last N events
    #[command(
        after_help = "Examples:\n  enact rewind last 1 && enact resume last\n  enact rewind 51f409e66037 3 && enact replay last --override '0=6'"
    )]
    Rewind(rewind::Args),
    /// Answer the input an invocation awaits and continue it
    #[command(
        after_help = "Examples:\n  enact resume last --answer 3\n  enact resume ask-dice --answers '[4, 5, 6]'\n  enact resume run:0191c3a4 --interactive"
    )]
    Resume(resume::Args),
    /// Run Python or JavaScript source as an invokable, journaled and replayable
    #[command(
        after_help = "Examples:\n  enact run task.py --input '{\"n\": 3}'\n  echo 'def main(input): return input * 2' | enact run --lang python - --input 21\n  enact run tool.js --json"
    )]
    Run(run::Args),
    /// Run, inspect, fork, draw and check flows: state machines and LLM dialogues as files
    #[command(subcommand)]
    Flow(flow::Command),
    /// Drive a flow as a dialogue, one utterance at a time
    #[command(subcommand)]
    Session(session::Command),
    /// Show where two invocations part: the first divergent event, then their outcomes and children
    #[command(
        after_help = "Examples:\n  enact diff 51f409e66037 last\n  enact diff last\n  enact diff dice last --json"
    )]
    Diff(diff::Args),
    /// Replay every stored invocation of OLD on NEW and report what would change
    #[command(
        after_help = "Examples:\n  enact check 9c1e2a0b7d44 --against roll-sum\n  enact check examples/flows/counter.toml --against old/counter.toml --json"
    )]
    Check(check::Args),
    /// Search the tree of an invokable's executions (Monte Carlo Tree Search) for the best-scoring run
    #[command(
        after_help = "Examples:\n  enact explore digits --score /score --budget 200\n  enact explore chat-task --score scorer --budget 50 --at llm --json"
    )]
    Explore(explore::Args),
    /// Save an invocation's output as expected; `expect run` checks them all against the components named now
    #[command(after_help = "Examples:\n  enact expect last --name three-dice\n  enact expect run\n  enact expect ls")]
    Expect(feedback::ExpectArgs),
    /// Attach a label, a score or a note to an invocation or one of its events
    #[command(
        after_help = "Examples:\n  enact annotate last --label good --score 1\n  enact annotate 51f409e66037 --event 2 --label hallucination --note 'made up a city'"
    )]
    Annotate(feedback::AnnotateArgs),
    /// Turn runs into datasets: LLM exchanges as chat JSONL, or inputs and outputs as JSONL
    #[command(subcommand)]
    Dataset(dataset::Command),
    /// List components, invocations or names
    #[command(
        after_help = "Examples:\n  enact ls\n  enact ls invocations --status awaiting-input --limit 5\n  enact ls names --json"
    )]
    Ls(ls::Args),
    /// Remove invocations, with the children only they refer to, and cut-off runs
    #[command(
        after_help = "Examples:\n  enact rm last\n  enact rm 51f409e66037 33480302315c run:0191c3a4\n  enact rm last && enact gc"
    )]
    Rm(remove::RmArgs),
    /// Delete every object no name, kept invocation or run needs, and shrink the store file
    #[command(after_help = "Examples:\n  enact gc\n  enact gc --json")]
    Gc(remove::GcArgs),
    /// Check every blob and record of the store
    #[command(after_help = "Examples:\n  enact verify\n  enact verify --home /backups/enact")]
    Verify(verify::Args),
    /// Write invocations or components, and all they reference, to one bundle file
    #[command(
        after_help = "Examples:\n  enact export last -o run.bundle\n  enact export roll-sum 51f409e66037 -o share.bundle"
    )]
    Export(share::ExportArgs),
    /// Verify a bundle and add what it holds to the store
    #[command(after_help = "Examples:\n  enact import run.bundle && enact replay last")]
    Import(share::ImportArgs),
    /// Serve the store over HTTP: the API under /api/v1 and the web UI, on loopback by default
    #[command(
        after_help = "Examples:\n  enact serve\n  enact serve --addr 0.0.0.0:7788 --token \"$(cat token)\"\n  enact serve --addr 127.0.0.1:0 --json"
    )]
    Serve(serve::Args),
    /// Print a completion script for a shell: `enact completions bash > ~/.local/share/bash-completion/completions/enact`
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

/// How a command ended, as the process exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// 0: done, or the invocation completed.
    Completed,
    /// 1: the invocation failed or trapped.
    Failed,
    /// 3: the invocation awaits input.
    AwaitingInput,
}

impl Status {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Status::Completed => 0,
            Status::Failed => 1,
            Status::AwaitingInput => 3,
        }
    }
}

/// Exit code for usage and runtime errors.
pub const EXIT_ERROR: u8 = 2;

/// Where a command writes, and the environment it reads.
pub struct Io<'a> {
    /// Data: outputs, listings, JSON.
    pub out: &'a mut dyn Write,
    /// Everything else: ids, statuses, errors, hints.
    pub err: &'a mut dyn Write,
    /// The environment variables, by name.
    pub env: &'a HashMap<String, String>,
    /// `-q`: no notes on stderr (ids, statuses, what was done), only errors.
    pub quiet: bool,
    /// stderr is a terminal: progress may be drawn on it.
    pub progress: bool,
    /// How stderr's words are styled (plain unless a terminal takes colours).
    pub style: Style,
    /// Standard input and the terminal's prompts.
    pub console: Console,
    /// The directory relative paths are taken in: `None` for this process's
    /// own; a forwarded command's is its sender's.
    pub cwd: Option<PathBuf>,
}

impl Io<'_> {
    fn var(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str)
    }

    /// `path` as the command's sender means it: relative to its directory.
    pub(crate) fn path(&self, path: impl AsRef<std::path::Path>) -> PathBuf {
        match &self.cwd {
            Some(cwd) => cwd.join(path),
            None => path.as_ref().to_path_buf(),
        }
    }
}

/// A line on stdout; a closed stdout is not an error of the command.
macro_rules! outln {
    ($io:expr) => { { let _ = writeln!($io.out); } };
    ($io:expr, $($arg:tt)*) => { { let _ = writeln!($io.out, $($arg)*); } };
}
/// Text on stdout.
macro_rules! out {
    ($io:expr, $($arg:tt)*) => { { let _ = write!($io.out, $($arg)*); } };
}
/// A line on stderr.
macro_rules! errln {
    ($io:expr, $($arg:tt)*) => { { let _ = writeln!($io.err, $($arg)*); } };
}
/// A note on stderr (what was done, what to run next); none under `-q`.
macro_rules! noteln {
    ($io:expr, $($arg:tt)*) => { if !$io.quiet { let _ = writeln!($io.err, $($arg)*); } };
}
pub(crate) use {errln, noteln, out, outln};

/// The `enact` process: the real arguments, environment and streams.
pub fn main() -> ExitCode {
    use std::io::IsTerminal;
    let verbose = std::env::args().skip(1).any(|a| a == "-v" || a == "--verbose");
    init_tracing(verbose);
    let env: HashMap<String, String> = std::env::vars().collect();
    let (mut stdout, mut stderr) = (std::io::stdout().lock(), std::io::stderr());
    let terminal = stderr.is_terminal();
    let style = Style::for_terminal(terminal, &env);
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // A process holding the store runs the command for this one.
    #[cfg(unix)]
    if let Some(home) = home_to_forward(&args, &env)
        && let Some(code) = forward::send(&home, &args, &env, terminal)
    {
        return ExitCode::from(code);
    }
    let io = Io {
        out: &mut stdout,
        err: &mut stderr,
        env: &env,
        quiet: false,
        progress: terminal,
        style,
        console: Console::process(),
        cwd: None,
    };
    ExitCode::from(run_on(args, io, None))
}

/// The home of a command `args` that uses the store, to send it to whoever
/// holds that store; `None` for a command that does not (or does not parse:
/// its usage error is this process's to print).
#[cfg(unix)]
fn home_to_forward(args: &[std::ffi::OsString], env: &HashMap<String, String>) -> Option<PathBuf> {
    let cli = Cli::try_parse_from(args).ok()?;
    // A server is a process of its own: it waits for the store instead.
    if matches!(cli.command, Command::Completions { .. } | Command::New(_) | Command::Serve(_)) {
        return None;
    }
    let home = match (&cli.home, env.get("ENACT_HOME")) {
        (Some(home), _) => home.clone(),
        (None, Some(home)) => PathBuf::from(home),
        (None, None) => dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("enact"),
    };
    Some(home)
}

/// Runs a command another process sent to this one, which holds `storage`.
#[cfg(unix)]
fn run_forwarded(storage: &Arc<Storage>, mut sent: forward::Forwarded) -> u8 {
    let style = Style::for_terminal(sent.terminal, &sent.env);
    let io = Io {
        out: &mut sent.out,
        err: &mut sent.err,
        env: &sent.env,
        quiet: false,
        progress: false,
        style,
        console: sent.console.clone(),
        cwd: Some(sent.cwd.clone()),
    };
    run_on(sent.args.iter().map(std::ffi::OsString::from).collect(), io, Some(storage))
}

/// Parses `args` (the first is the program name), runs the command against
/// `env`, writes to `stdout` and `stderr`, and returns the exit code: 0
/// completed, 1 failed or trapped, 2 usage or runtime error, 3 awaiting input.
/// Neither stream is taken for a terminal: no progress, no colours.
pub fn run<I, T>(args: I, env: &HashMap<String, String>, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let io = Io {
        out: stdout,
        err: stderr,
        env,
        quiet: false,
        progress: false,
        style: Style::plain(),
        console: Console::process(),
        cwd: None,
    };
    run_on(args, io, None)
}

/// Parses and runs `args` on `io`: against `held`, a store this process
/// holds already, else opening the home's store.
fn run_on(args: Vec<std::ffi::OsString>, mut io: Io, held: Option<&Arc<Storage>>) -> u8 {
    let words: Vec<String> = args.iter().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let command = format!("enact {}", words.join(" "));
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { 0 };
            // Usage errors are coloured as the rest of stderr is: on a terminal only.
            let text = if e.use_stderr() && io.style.colored() {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            if e.use_stderr() {
                let _ = write!(io.err, "{text}");
            } else {
                let _ = write!(io.out, "{text}");
            }
            return code;
        }
    };
    io.quiet = cli.quiet;
    // With `--json`, an error is a JSON object on stdout too.
    let json = words.iter().any(|w| w == "--json");
    match execute(cli, &command, &mut io, held) {
        Ok(status) => status.code(),
        Err(e) => {
            print_error(&mut io, &e, json);
            EXIT_ERROR
        }
    }
}

/// The home directory: `--home`, else `$ENACT_HOME`, else `enact` under
/// the XDG data directory.
fn home_of(cli: &Cli, io: &Io) -> PathBuf {
    if let Some(home) = &cli.home {
        return io.path(home);
    }
    if let Some(home) = io.var("ENACT_HOME") {
        return io.path(home);
    }
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("enact")
}

/// The OpenAI-compatible API the environment names: `ENACT_LLM_URL`, with
/// `ENACT_LLM_API_KEY` and `ENACT_LLM_MODEL`.
fn llm_env(io: &Io) -> Option<HttpConfig> {
    let mut config = HttpConfig::new(io.var("ENACT_LLM_URL")?);
    config.api_key = io.var("ENACT_LLM_API_KEY").map(str::to_string);
    config.model = io.var("ENACT_LLM_MODEL").map(str::to_string);
    Some(config)
}

/// The LLM config file: `llm.json` in the home directory if it is there,
/// else in the XDG config directory (`$XDG_CONFIG_HOME/enact/llm.json`).
fn llm_config_file(home: &std::path::Path, io: &Io) -> PathBuf {
    let in_home = home.join("llm.json");
    if in_home.exists() {
        return in_home;
    }
    let config = io.var("XDG_CONFIG_HOME").map(PathBuf::from).or_else(dirs::config_dir);
    config.unwrap_or_else(|| home.to_path_buf()).join("enact").join("llm.json")
}

/// The provider the command line, the environment and the config file name.
fn llm_provider(cli: &Cli, home: &std::path::Path, io: &Io) -> anyhow::Result<Option<Box<dyn enact_llm::Provider>>> {
    let file = llm_config_file(home, io);
    let mut settings = match llm_env(io) {
        Some(settings) => Some(settings),
        None => enact_llm::config_file(&file).map_err(anyhow::Error::msg)?,
    };
    if let (Some(settings), Some(model)) = (&mut settings, &cli.model) {
        settings.model = Some(model.clone());
    }
    let provider = match &cli.llm {
        Some(spec) => {
            // A script's path, as its sender means it.
            let spec = &match spec.strip_prefix("scripted:") {
                Some(file) if io.cwd.is_some() => format!("scripted:{}", io.path(file).display()),
                _ => spec.clone(),
            };
            let mut settings = settings;
            if settings.is_none() && cli.model.is_some() {
                settings = Some(HttpConfig { model: cli.model.clone(), ..HttpConfig::new(spec) });
            }
            Some(enact_llm::provider_from_spec(spec, settings).map_err(anyhow::Error::msg)?)
        }
        None => enact_llm::configured_provider(&file, settings).map_err(anyhow::Error::msg)?,
    };
    Ok(provider)
}

/// Runs `cli`; `command` is its command line, for people.
fn execute(cli: Cli, command: &str, io: &mut Io, held: Option<&Arc<Storage>>) -> anyhow::Result<Status> {
    // Neither needs the store.
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "enact", &mut io.out);
            return Ok(Status::Completed);
        }
        Command::New(args) => return new::run(io, args),
        _ => {}
    }
    let home = home_of(&cli, io);
    let storage = match held {
        Some(storage) => storage.clone(),
        None => {
            // Another enact process that holds the store and cannot serve
            // this one (its socket could not be made) holds it for the
            // length of one invocation: wait for it (default 30 s,
            // `ENACT_LOCK_TIMEOUT_MS`).
            let wait = io
                .var("ENACT_LOCK_TIMEOUT_MS")
                .and_then(|ms| ms.parse().ok())
                .map_or(std::time::Duration::from_secs(30), std::time::Duration::from_millis);
            let store = enact_runtime::store_path(&home);
            let storage = Storage::open_telling(&store, wait, command, |holder| match holder {
                Some(holder) => noteln!(io, "waiting for the store, held by pid {}: `{}`", holder.pid, holder.command),
                None => noteln!(io, "waiting for the store, held by another enact process"),
            })?;
            Arc::new(storage)
        }
    };
    if let Command::Gc(args) = cli.command {
        let artifacts = enact_runtime::Artifacts::new(enact_runtime::artifacts_path(&home));
        return remove::gc(storage, &artifacts, io, args);
    }
    // While this command runs, it runs other processes' commands too.
    #[cfg(unix)]
    let _holder = match held {
        None => {
            let shared = storage.clone();
            forward::Holder::start(&home, Arc::new(move |sent| run_forwarded(&shared, sent)))
        }
        Some(_) => None,
    };
    let mut builder = Runtime::builder(storage).artifacts(enact_runtime::artifacts_path(&home));
    if let Some(seed) = io.var("ENACT_SEED") {
        // Deterministic live values (seeded entropy, a fake clock): for
        // reproducible demos and tests.
        let seed: u64 = seed.parse().map_err(|_| anyhow::anyhow!("`ENACT_SEED` must be an unsigned integer"))?;
        builder = builder.sources(Sources::seeded_sequence(seed));
    }
    if let Some(provider) = llm_provider(&cli, &home, io)? {
        builder = builder.llm(Arc::from(provider));
    }
    for (name, bytes) in run::RUNNERS {
        if !bytes.is_empty() {
            builder = builder.builtin(name, bytes);
        }
    }
    let rt = Arc::new(builder.build()?);
    dispatch(cli.command, &rt, &home, io)
}

/// Runs `command` on `rt`, the runtime of the store in `home`.
fn dispatch(command: Command, rt: &Arc<Runtime>, home: &std::path::Path, io: &mut Io) -> anyhow::Result<Status> {
    match command {
        Command::Add(args) => add::run(rt, io, args),
        Command::Name(args) => add::name(rt, io, args),
        Command::Unname(args) => add::unname(rt, io, args),
        Command::Describe(args) => describe::run(rt, io, args),
        Command::Invoke(args) => invoke::run(rt, io, args),
        Command::Show(args) => show::run(rt, io, args),
        Command::Replay(args) => replay::run(rt, io, args),
        Command::Rewind(args) => rewind::run(rt, io, args),
        Command::Resume(args) => resume::run(rt, io, args),
        Command::Run(args) => run::run(rt, io, args),
        Command::Flow(command) => flow::run(rt, io, command),
        Command::Session(command) => session::run(rt, io, command),
        Command::Diff(args) => diff::run(rt, io, args),
        Command::Check(args) => check::run(rt, io, args),
        Command::Explore(args) => explore::run(rt, io, args),
        Command::Expect(args) => feedback::expect(rt, io, args),
        Command::Annotate(args) => feedback::annotate(rt, io, args),
        Command::Dataset(command) => dataset::run(rt, io, command),
        Command::Ls(args) => ls::run(rt, io, args),
        Command::Rm(args) => remove::rm(rt, io, args),
        Command::Gc(_) => anyhow::bail!("`enact gc` runs on a store it holds alone"),
        Command::Verify(args) => verify::run(rt, io, args),
        Command::Export(args) => share::export(rt, io, args),
        Command::Import(args) => share::import(rt, io, args),
        Command::Serve(args) => serve::run(rt, home, io, args),
        Command::Completions { .. } | Command::New(_) => anyhow::bail!("this command does not use the store"),
    }
}

/// Runs the command `args` (without the program's name) on `rt` with its
/// output captured, for the HTTP API: the exit code, stdout and stderr. A
/// command's `--json` output is its API.
pub(crate) fn run_captured(rt: &Arc<Runtime>, home: &std::path::Path, args: &[String]) -> (u8, Vec<u8>, Vec<u8>) {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let env = HashMap::new();
    let mut io = Io {
        out: &mut stdout,
        err: &mut stderr,
        env: &env,
        quiet: true,
        progress: false,
        style: Style::plain(),
        console: Console::new(std::io::empty(), std::io::sink()),
        cwd: None,
    };
    let words = std::iter::once("enact".to_string()).chain(args.iter().cloned());
    let code = match Cli::try_parse_from(words) {
        Err(e) => {
            let _ = write!(io.err, "{}", e.render());
            EXIT_ERROR
        }
        Ok(cli) => {
            let json = args.iter().any(|a| a == "--json");
            match dispatch(cli.command, rt, home, &mut io) {
                Ok(status) => status.code(),
                Err(e) => {
                    print_error(&mut io, &e, json);
                    EXIT_ERROR
                }
            }
        }
    };
    (code, stdout, stderr)
}

/// `error: message` on stderr, with a `hint:` on its own line when the
/// error has one; with `json`, also `{"error": {"message", "hint"}}` on stdout.
fn print_error(io: &mut Io, e: &anyhow::Error, json: bool) {
    let text = format!("{e:#}");
    let (message, hint) = match text.split_once("; hint: ") {
        Some((message, hint)) => (message.to_string(), Some(hint.to_string())),
        None => (text.clone(), hints::hint(e)),
    };
    let (error, hint_word) = (io.style.error("error:"), io.style.hint("hint:"));
    match &hint {
        Some(hint) => errln!(io, "{error} {message}\n  {hint_word} {hint}"),
        None => errln!(io, "{error} {message}"),
    }
    if json {
        outln!(io, "{}", serde_json::json!({ "error": { "message": message, "hint": hint } }));
    }
}

/// The runtime's log on stderr: `ENACT_LOG` (a tracing filter), else with
/// `-v` enact's debug lines, else warnings only.
fn init_tracing(verbose: bool) {
    use tracing_subscriber::EnvFilter;
    let fallback = if verbose { "warn,enact=debug,enact_runtime=debug" } else { "warn" };
    let filter = EnvFilter::try_from_env("ENACT_LOG").unwrap_or_else(|_| EnvFilter::new(fallback));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
