//! `enact add FILE.wasm [--name NAME] [--force]`, `enact name NAME TARGET
//! [--force]`, `enact unname NAME`, and `.wasm` paths where a component is
//! expected.

use std::path::{Path, PathBuf};

use anyhow::Context;
use enact_core::component::ComponentInfo;
use enact_core::value::Digest;
use enact_runtime::{NameError, Runtime};

use super::Status;
use crate::Io;
use crate::{noteln, outln};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The component (.wasm)
    file: PathBuf,
    /// A name to invoke it by [default: the name the component gives itself, if no other component has it]
    #[arg(long)]
    name: Option<String>,
    /// Move the name to this component if it names another
    #[arg(long, requires = "name")]
    force: bool,
    /// Print `{id, name, describes_itself_as, size}` as JSON on stdout instead of the id
    #[arg(long)]
    json: bool,
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let bytes = std::fs::read(io.path(&args.file)).with_context(|| format!("cannot read `{}`", args.file.display()))?;
    let digest = enact_runtime::component_id(&bytes);
    // A name that is taken is refused before anything is written.
    let bind = match &args.name {
        Some(name) => Some(rt.name_check(name, &digest, args.force)?),
        None => None,
    };
    let (digest, info) = compiling(rt, io, &args.file, &bytes)?;
    if !args.json {
        outln!(io, "{digest}");
    }
    let size = enact_core::limits::human_bytes(info.size);
    // A WASI program says nothing of itself: its file's name names it.
    let stem = args.file.file_stem().and_then(|s| s.to_str()).unwrap_or("program").to_string();
    let own =
        if info.world == enact_core::component::World::Command { stem.as_str() } else { info.metadata.name.as_str() };
    let named = match (&args.name, bind) {
        (Some(name), Some(previous)) => {
            rt.name(name, &digest, args.force)?;
            noteln!(io, "added `{own}` as `{name}` ({size}){}", moved(previous, &digest));
            Some(name.as_str())
        }
        _ => match rt.name(own, &digest, false) {
            Ok(_) => {
                noteln!(io, "added `{own}` as `{own}` ({size})");
                Some(own)
            }
            Err(NameError::Taken { current, .. }) => {
                noteln!(
                    io,
                    "added `{own}` ({size}), unnamed: `{own}` names {} already; hint: `enact name NAME {}` names it",
                    current.short(),
                    digest.short()
                );
                None
            }
            Err(_) => {
                noteln!(io, "added `{own}` ({size}), unnamed; hint: `enact name NAME {}` names it", digest.short());
                None
            }
        },
    };
    if args.json {
        let added = serde_json::json!({ "id": digest.to_string(), "short": digest.short(), "name": named,
            "describes_itself_as": own, "size": info.size });
        outln!(io, "{added}");
    }
    Ok(Status::Completed)
}

/// `; moved from …` when the name pointed elsewhere before.
fn moved(previous: Option<Digest>, digest: &Digest) -> String {
    match previous {
        Some(previous) if previous != *digest => format!("; the name moved from {}", previous.short()),
        _ => String::new(),
    }
}

#[derive(Debug, clap::Args)]
pub(super) struct NameArgs {
    /// The name
    name: String,
    /// The component: its name, its id, a unique prefix of the id, or a .wasm file
    target: String,
    /// Move the name if it names another component
    #[arg(long)]
    force: bool,
    /// Print `{name, id, previous}` as JSON on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn name(rt: &Runtime, io: &mut Io, args: NameArgs) -> anyhow::Result<Status> {
    let digest = component_of(rt, io, &args.target)?;
    let previous = rt.name(&args.name, &digest, args.force)?;
    if args.json {
        let previous = previous.map(|p| p.to_string());
        outln!(io, "{}", serde_json::json!({ "name": args.name, "id": digest.to_string(), "previous": previous }));
    }
    noteln!(io, "`{}` names {}{}", args.name, digest.short(), moved(previous, &digest));
    Ok(Status::Completed)
}

#[derive(Debug, clap::Args)]
pub(super) struct UnnameArgs {
    /// The name to remove
    name: String,
    /// Print `{name, previous}` as JSON on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn unname(rt: &Runtime, io: &mut Io, args: UnnameArgs) -> anyhow::Result<Status> {
    let Some(digest) = rt.unname(&args.name)? else {
        anyhow::bail!("no name `{}`; hint: `enact ls names` lists them", args.name)
    };
    if args.json {
        outln!(io, "{}", serde_json::json!({ "name": args.name, "previous": digest.to_string() }));
    }
    noteln!(io, "`{}` no longer names {}", args.name, digest.short());
    Ok(Status::Completed)
}

/// The component `target` names; a path to a `.wasm` file is added first
/// (instantly when the store holds it already).
pub(super) fn component_of(rt: &Runtime, io: &mut Io, target: &str) -> anyhow::Result<Digest> {
    let path = io.path(target);
    if target.ends_with(".wasm") && path.is_file() {
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read `{target}`"))?;
        let (digest, info) = compiling(rt, io, &path, &bytes)?;
        noteln!(io, "added `{}` from `{target}` ({})", info.metadata.name, digest.short());
        return Ok(digest);
    }
    Ok(rt.resolve_component(target)?)
}

/// Adds `bytes` (read from `file`) under a spinner: compiling a large
/// component takes seconds.
fn compiling(rt: &Runtime, io: &Io, file: &Path, bytes: &[u8]) -> anyhow::Result<(Digest, ComponentInfo)> {
    let size = enact_core::limits::human_bytes(bytes.len() as u64);
    let message = format!("compiling `{}` ({size})", file.display());
    let added = crate::progress::task(io, false, message, || rt.add(bytes, None));
    added.with_context(|| format!("cannot add `{}`", file.display()))
}
