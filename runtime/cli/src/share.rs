//! `enact export ID... -o FILE` and `enact import FILE`: sharing by hash.

use crate::Io;
use crate::errln;
use std::path::PathBuf;

use anyhow::Context;

use super::Status;
use enact_runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct ExportArgs {
    /// Invocations, components (ids, prefixes or names) or value digests
    #[arg(required = true)]
    ids: Vec<String>,
    /// The bundle file to write
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(super) struct ImportArgs {
    /// A bundle written by `enact export`
    file: PathBuf,
}

pub(super) fn export(rt: &Runtime, io: &mut Io, args: ExportArgs) -> anyhow::Result<Status> {
    let (bytes, summary) = rt.export(&args.ids)?;
    std::fs::write(&args.output, &bytes).with_context(|| format!("cannot write `{}`", args.output.display()))?;
    errln!(
        io,
        "exported {} invocations, {} components and {} blobs to `{}` ({})",
        summary.invocations,
        summary.components,
        summary.blobs,
        args.output.display(),
        enact_core::limits::human_bytes(bytes.len() as u64)
    );
    Ok(Status::Completed)
}

pub(super) fn import(rt: &Runtime, io: &mut Io, args: ImportArgs) -> anyhow::Result<Status> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read `{}`", args.file.display()))?;
    let summary = rt.import(&bytes).with_context(|| format!("cannot import `{}`", args.file.display()))?;
    errln!(
        io,
        "imported {} invocations, {} components and {} blobs, every one verified",
        summary.invocations,
        summary.components,
        summary.blobs
    );
    Ok(Status::Completed)
}
