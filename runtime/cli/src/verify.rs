//! `enact verify`: check every blob and record of the store.

use super::Status;
use crate::Io;
use crate::{errln, noteln, outln};
use enact_runtime::Runtime;
use serde_json::json;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Print the report as JSON on stdout: `{sound, blobs, invocations, problems: [{object, problem}]}`
    #[arg(long)]
    json: bool,
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let report = rt.verify()?;
    // Compiled code is a cache: a damaged file is dropped, and compiled again.
    let (artifacts, dropped) = rt.artifacts().verify();
    for component in &dropped {
        noteln!(io, "dropped damaged compiled code of {}; it is compiled again when next used", component.short());
    }
    if args.json {
        let problems: Vec<_> =
            report.problems.iter().map(|(d, p)| json!({ "object": d.to_string(), "problem": p })).collect();
        let dropped: Vec<String> = dropped.iter().map(ToString::to_string).collect();
        let report = json!({ "sound": report.is_sound(), "blobs": report.blobs, "invocations": report.invocations,
            "problems": problems, "artifacts": artifacts, "artifacts_dropped": dropped });
        outln!(io, "{report}");
    } else {
        for (digest, problem) in &report.problems {
            outln!(io, "{digest}: {problem}");
        }
    }
    if report.is_sound() {
        noteln!(
            io,
            "store is sound: {} blobs, {} invocations and {artifacts} compiled components checked",
            report.blobs,
            report.invocations
        );
        Ok(Status::Completed)
    } else {
        errln!(
            io,
            "store is damaged: {} problems in {} blobs and {} invocations",
            report.problems.len(),
            report.blobs,
            report.invocations
        );
        Ok(Status::Failed)
    }
}
