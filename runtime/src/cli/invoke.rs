//! `enact invoke TARGET [--config JSON] [--input JSON] [--json]`

use super::{Status, output};
use crate::runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// A component id, unique id prefix (12+ hex digits) or name
    target: String,
    /// The config, as JSON
    #[arg(long, default_value = "{}")]
    config: String,
    /// The input, as JSON
    #[arg(long, default_value = "null")]
    input: String,
    /// Print one JSON object on stdout
    #[arg(long)]
    json: bool,
}

pub(super) fn run(rt: &Runtime, args: Args) -> anyhow::Result<Status> {
    let component = rt.resolve_component(&args.target)?;
    let inv = rt.invoke(&component, &args.config, &args.input)?;
    output::print_invocation(&inv, args.json);
    Ok(output::status_of(&inv.record.outcome))
}
