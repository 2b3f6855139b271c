//! `enact run FILE.py|FILE.js|- [--lang python|javascript] [--input JSON] [--json]`:
//! source code, such as a model just wrote, run as an invokable. The
//! runners are components this binary carries (`guests/python/runner`,
//! `guests/js/runner`), added to a store the first time they are named; the
//! invokable is the runner with the config `{"source": ...}`, so the same
//! source is the same invokable everywhere.

use std::path::Path;

use anyhow::Context;
use serde_json::json;

use super::answers::AnswerArgs;
use super::invoke::json_arg;
use super::limits::LimitArgs;
use super::{Status, output};
use crate::Io;
use crate::noteln;
use enact_runtime::{Call, Runtime};

/// The source runners, by the names every store has them under.
pub(super) static RUNNERS: [(&str, &[u8]); 2] = [
    ("python", include_bytes!(concat!(env!("OUT_DIR"), "/python.wasm"))),
    ("javascript", include_bytes!(concat!(env!("OUT_DIR"), "/javascript.wasm"))),
];

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Lang {
    Python,
    Javascript,
}

impl Lang {
    fn runner(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::Javascript => "javascript",
        }
    }

    fn of(path: &Path) -> Option<Lang> {
        match path.extension()?.to_str()? {
            "py" => Some(Lang::Python),
            "js" | "mjs" => Some(Lang::Javascript),
            _ => None,
        }
    }
}

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The source file (`.py`, `.js`), or `-` for standard input (with `--lang`)
    file: String,
    /// The language, when the file's name does not say it
    #[arg(long, value_enum)]
    lang: Option<Lang>,
    /// The input, as JSON, or `@FILE` (`@-`: standard input) [default: null]
    #[arg(long)]
    input: Option<String>,
    #[command(flatten)]
    answers: AnswerArgs,
    #[command(flatten)]
    limits: LimitArgs,
    /// Name the invokable (this source on its runner): `enact invoke NAME` and a guest's `invoke("NAME")` run it
    #[arg(long)]
    name: Option<String>,
    /// Move the name if it names something else
    #[arg(long, requires = "name")]
    force: bool,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let (lang, source) = if args.file == "-" {
        let lang = args.lang.context("source on standard input needs `--lang python` or `--lang javascript`")?;
        (lang, io.console.read_all().context("cannot read standard input")?)
    } else {
        let path = io.path(&args.file);
        let lang = args.lang.or_else(|| Lang::of(&path)).with_context(|| {
            format!(
                "`{}` is neither .py nor .js; hint: say which with `--lang python` or `--lang javascript`",
                args.file
            )
        })?;
        (lang, std::fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", args.file))?)
    };
    let name = lang.runner();
    if RUNNERS.iter().any(|(runner, bytes)| *runner == name && bytes.is_empty()) {
        anyhow::bail!(
            "this enact was built without its `{name}` runner; hint: `make build` builds the runners first, then enact with them"
        );
    }
    let runner = crate::progress::task(io, args.json, format!("adding the `{name}` runner (compiled once)"), || {
        rt.resolve_component(name)
    })?;
    let input = match &args.input {
        Some(text) => json_arg(io, "input", text)?,
        None => "null".to_string(),
    };
    let config = json!({ "source": source }).to_string();
    if let Some(invokable) = &args.name {
        rt.name_invokable(invokable, &runner, &config, args.force)?;
        noteln!(
            io,
            "named `{invokable}`: this source on the `{name}` runner; hint: `enact invoke {invokable}` runs it"
        );
    }
    let call = Call::new(runner)
        .config(&config)
        .input(&input)
        .answerer(args.answers.answerer(rt, io)?)
        .limits(args.limits.apply(rt.limits().clone())?);
    let inv = crate::progress::watched(io, args.json, |observer| rt.invoke(call.observer(observer)))?;
    output::print_invocation(rt, io, &inv, args.json)?;
    Ok(output::status_of(&inv.record.outcome))
}
