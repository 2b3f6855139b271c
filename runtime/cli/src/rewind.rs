//! `enact rewind INVOCATION [N] [--json]`

use super::{Status, output};
use crate::Io;
use crate::{noteln, outln};
use enact_runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// An invocation: its id or a unique prefix, `last`, or a component's name (its latest invocation)
    invocation: String,
    /// How many events to drop from the end of the root's journal (a child counts as one)
    #[arg(default_value_t = 1)]
    n: u64,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn run(rt: &Runtime, io: &mut Io, args: Args) -> anyhow::Result<Status> {
    let id = rt.resolve_invocation(&args.invocation)?;
    if args.n == 0 {
        anyhow::bail!(
            "rewinding 0 events would keep the whole journal; hint: `enact replay {}` runs it again",
            id.short()
        );
    }
    let rewound = rt.rewind(&id, args.n)?;
    if args.json {
        outln!(io, "{}", output::invocation_json(rt, &rewound)?);
    } else {
        outln!(io, "{}", rewound.id);
        noteln!(
            io,
            "rewound by {} {}: a new incomplete invocation keeps the first {}; hint: `enact replay {}` continues it",
            args.n,
            if args.n == 1 { "event" } else { "events" },
            rewound.record.events,
            rewound.id.short()
        );
    }
    Ok(Status::Completed)
}
