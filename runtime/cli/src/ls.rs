//! `enact ls [components|invocations|names]`

use super::Status;
use crate::Io;
use crate::outln;
use enact_core::component::ComponentInfo;
use enact_core::record::{InvocationEntry, RunHeader};
use enact_core::value::Digest;
use enact_runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// What to list
    #[arg(value_enum, default_value = "components")]
    what: What,
    /// With `invocations`: list child invocations too, not only roots
    #[arg(long)]
    all: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum What {
    Components,
    Invocations,
    Names,
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let reader = rt.storage().read()?;
    match args.what {
        What::Components => {
            let names = reader.names()?;
            for (digest, info) in reader.components::<ComponentInfo>()? {
                let aliases: Vec<_> = names.iter().filter(|(_, d)| *d == digest).map(|(n, _)| n.as_str()).collect();
                outln!(
                    io,
                    "{digest}  {:<16} {:>10}  {}",
                    info.metadata.name,
                    enact_core::limits::human_bytes(info.size),
                    aliases.join(",")
                );
            }
        }
        What::Invocations => {
            let mut rows = reader.invocations::<InvocationEntry>()?;
            rows.retain(|(_, e)| args.all || e.depth == 0);
            rows.sort_by_key(|(_, e)| e.created_ms);
            // A component's bound name, else the name it gives itself.
            let names = reader.names()?;
            let bound = |component: &Digest| names.iter().find(|(_, d)| d == component).map(|(n, _)| n.clone());
            for (digest, entry) in rows {
                let time = enact_core::time::rfc3339(entry.created_ms / 1000, 0);
                let name = bound(&entry.component).unwrap_or(entry.name);
                outln!(io, "{digest}  {:<10} {name:<16} {time}", entry.status);
            }
            for (run, header) in reader.runs::<RunHeader>()? {
                let time = enact_core::time::rfc3339(header.started_ms / 1000, 0);
                let name = rt.component_name(&header.component);
                outln!(io, "run:{run:032x}  {:<10} {name:<16} {time}", "incomplete");
            }
        }
        What::Names => {
            for (name, digest) in reader.names()? {
                outln!(io, "{name}  {digest}");
            }
        }
    }
    Ok(Status::Completed)
}
