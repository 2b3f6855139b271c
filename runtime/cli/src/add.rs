//! `enact add FILE.wasm [--name NAME]`

use crate::Io;
use crate::{errln, outln};
use std::path::PathBuf;

use anyhow::Context;

use super::Status;
use enact_runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The component (.wasm)
    file: PathBuf,
    /// A name to invoke it by
    #[arg(long)]
    name: Option<String>,
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read `{}`", args.file.display()))?;
    let (digest, info) =
        rt.add(&bytes, args.name.as_deref()).with_context(|| format!("cannot add `{}`", args.file.display()))?;
    outln!(io, "{digest}");
    let named = args.name.map(|n| format!(" as `{n}`")).unwrap_or_default();
    errln!(io, "added `{}`{named} ({})", info.metadata.name, enact_core::limits::human_bytes(info.size));
    Ok(Status::Completed)
}
