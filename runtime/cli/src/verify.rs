//! `enact verify`: check every blob and record of the store.

use super::Status;
use crate::Io;
use crate::{errln, noteln, outln};
use enact_runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct Args {}

pub(super) fn run(rt: &Runtime, io: &mut Io, _args: Args) -> anyhow::Result<Status> {
    let report = rt.verify()?;
    for (digest, problem) in &report.problems {
        outln!(io, "{digest}: {problem}");
    }
    if report.is_sound() {
        noteln!(io, "store is sound: {} blobs, {} invocations checked", report.blobs, report.invocations);
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
