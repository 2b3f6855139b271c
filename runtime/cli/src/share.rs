//! `enact export ID... -o FILE` and `enact import FILE`: sharing by hash.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::json;

use super::Status;
use crate::Io;
use crate::{noteln, outln};
use enact_runtime::Runtime;
use enact_store::bundle::BundleSummary;

#[derive(Debug, clap::Args)]
pub(super) struct ExportArgs {
    /// Invocations, components (ids, prefixes or names), names of invokables, or value digests
    #[arg(required = true)]
    ids: Vec<String>,
    /// The bundle file to write
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Print what the bundle carries as JSON on stdout
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub(super) struct ImportArgs {
    /// A bundle written by `enact export`
    file: PathBuf,
    /// Print what was new and what was there already as JSON on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn export(rt: &Runtime, io: &mut Io, args: ExportArgs) -> anyhow::Result<Status> {
    let message = format!("exporting to `{}`", args.output.display());
    let (bytes, summary) = crate::progress::task(io, args.json, message, || rt.export(&args.ids))?;
    std::fs::write(io.path(&args.output), &bytes)
        .with_context(|| format!("cannot write `{}`", args.output.display()))?;
    if args.json {
        outln!(io, "{}", json!({ "file": args.output, "bytes": bytes.len(), "carried": counts(&summary) }));
    }
    noteln!(
        io,
        "exported {} to `{}` ({})",
        listing(&summary),
        args.output.display(),
        enact_core::limits::human_bytes(bytes.len() as u64)
    );
    Ok(Status::Completed)
}

pub(super) fn import(rt: &Runtime, io: &mut Io, args: ImportArgs) -> anyhow::Result<Status> {
    let bytes = std::fs::read(io.path(&args.file)).with_context(|| format!("cannot read `{}`", args.file.display()))?;
    let size = enact_core::limits::human_bytes(bytes.len() as u64);
    let message = format!("verifying and importing `{}` ({size})", args.file.display());
    let imported = crate::progress::task(io, args.json, message, || rt.import(&bytes));
    let imported = imported.with_context(|| format!("cannot import `{}`", args.file.display()))?;
    if args.json {
        let kept: Vec<_> = imported
            .names_kept
            .iter()
            .map(|k| {
                json!({ "name": k.name, "here": k.here.to_string(), "bundle": k.bundle.to_string(),
                    "config": k.config.map(|c| c.to_string()) })
            })
            .collect();
        outln!(
            io,
            "{}",
            json!({ "new": counts(&imported.new), "present": counts(&imported.present), "names_kept": kept })
        );
    }
    let new = imported.new;
    if new == BundleSummary::default() {
        noteln!(
            io,
            "nothing new: the store held all of it already ({}), every one verified",
            listing(&imported.present)
        );
    } else if imported.present == BundleSummary::default() {
        noteln!(io, "imported {}, every one verified", listing(&new));
    } else {
        noteln!(io, "imported {}, every one verified; already there: {}", listing(&new), listing(&imported.present));
    }
    for kept in &imported.names_kept {
        let (name, here, bundle) = (&kept.name, kept.here.short(), kept.bundle.short());
        match kept.config {
            None => noteln!(
                io,
                "kept the name `{name}`: it names {here} here, and {bundle} where the bundle was made; hint: `enact name {name} {bundle} --force` moves it"
            ),
            Some(_) => noteln!(
                io,
                "kept the name `{name}`: it names {here} here, and {bundle} with a config of its own where the bundle was made; hint: `enact unname {name}`, then import again"
            ),
        }
    }
    Ok(Status::Completed)
}

fn counts(summary: &BundleSummary) -> serde_json::Value {
    json!({ "invocations": summary.invocations, "components": summary.components, "blobs": summary.blobs,
        "names": summary.names })
}

/// `3 invocations, 2 components, 40 blobs and 1 name`.
fn listing(summary: &BundleSummary) -> String {
    let part = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}, {} and {}",
        part(summary.invocations, "invocation"),
        part(summary.components, "component"),
        part(summary.blobs, "blob"),
        part(summary.names, "name")
    )
}
