//! `enact verify`: check every blob and record of the store.

use super::Status;
use enact_runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct Args {}

pub(super) fn run(rt: &Runtime, _args: Args) -> anyhow::Result<Status> {
    let report = rt.verify()?;
    for (digest, problem) in &report.problems {
        println!("{digest}: {problem}");
    }
    if report.is_sound() {
        eprintln!("store is sound: {} blobs, {} invocations checked", report.blobs, report.invocations);
        Ok(Status::Completed)
    } else {
        eprintln!(
            "store is damaged: {} problems in {} blobs and {} invocations",
            report.problems.len(),
            report.blobs,
            report.invocations
        );
        Ok(Status::Failed)
    }
}
