//! What to do next, for each error a command can end with. Hints live here
//! only: the crates below say what went wrong, the command line says which
//! `enact` command helps. Every command a hint names parses (a test checks).

use enact_runtime::{
    AddError, ComponentError, GrantError, InvokeError, NameError, PrepareError, ReplayError, ResumeError, RewindError,
    RunError,
};
use enact_store::StorageError;
use enact_store::bundle::BundleError;
use enact_store::resolve::ResolveError;

/// The hint for `error`, if there is one.
pub(crate) fn hint(error: &anyhow::Error) -> Option<String> {
    // Each operation's error type, then the shared ones it may wrap.
    if let Some(e) = error.downcast_ref::<AddError>() {
        return match e {
            AddError::Component(e) => component(e),
            AddError::Storage(e) => storage(e),
            AddError::Name(e) => name(e),
        };
    }
    if let Some(e) = error.downcast_ref::<NameError>() {
        return name(e);
    }
    if let Some(e) = error.downcast_ref::<InvokeError>() {
        return match e {
            InvokeError::Schema { .. } => Some("`enact describe TARGET` shows the schemas".into()),
            InvokeError::Json { .. } => None,
            InvokeError::Run(e) => run(e),
        };
    }
    if let Some(e) = error.downcast_ref::<ReplayError>() {
        return match e {
            ReplayError::NoSuchEvent { .. } | ReplayError::BadOverride { .. } => {
                Some("`enact show INVOCATION --events` numbers the events".into())
            }
            ReplayError::BadConfig(_) => Some("a config is a JSON object, as in '{\"sides\": 6}'".into()),
            ReplayError::Run(e) => run(e),
        };
    }
    if let Some(e) = error.downcast_ref::<ResumeError>() {
        return match e {
            ResumeError::BadAnswer(_) => Some("`enact show INVOCATION --json` shows the request and its schema".into()),
            ResumeError::NotAwaiting(id) => Some(format!("resume it without an answer: `enact resume {}`", id.short())),
            ResumeError::Finished { id, .. } => Some(format!("`enact replay {}` runs it again", id.short())),
            ResumeError::Resolve(e) => resolve(e),
            ResumeError::Run(e) => run(e),
        };
    }
    if let Some(e) = error.downcast_ref::<RewindError>() {
        return match e {
            RewindError::TooFar { len, .. } => Some(format!("rewind at most {len} events")),
            RewindError::Storage(e) => storage(e),
        };
    }
    if let Some(e) = error.downcast_ref::<BundleError>() {
        return match e {
            BundleError::Resolve(e) => resolve(e),
            BundleError::Storage(e) => storage(e),
            _ => None,
        };
    }
    if let Some(e) = error.downcast_ref::<ResolveError>() {
        return resolve(e);
    }
    if let Some(enact_runtime::TargetError::Resolve(e)) = error.downcast_ref::<enact_runtime::TargetError>() {
        return resolve(e);
    }
    if let Some(e) = error.downcast_ref::<StorageError>() {
        return storage(e);
    }
    None
}

fn name(e: &NameError) -> Option<String> {
    match e {
        NameError::Taken { name, .. } => Some(format!("`enact name {name} TARGET --force` moves it")),
        _ => None,
    }
}

fn run(e: &RunError) -> Option<String> {
    match e {
        RunError::Storage(e) => storage(e),
        RunError::Prepare(PrepareError::Component(e)) => component(e),
        RunError::Grant(GrantError::TooLarge { .. }) => Some("grant a smaller directory".into()),
        RunError::Divergence(_) => Some("`enact show INVOCATION --events` shows the recorded journal".into()),
        _ => None,
    }
}

fn resolve(e: &ResolveError) -> Option<String> {
    Some(match e {
        ResolveError::NotFound { kind: "component", .. } => "`enact ls components` lists them".into(),
        ResolveError::NotFound { kind: "invocation" | "run", .. } => "`enact ls invocations` lists them".into(),
        ResolveError::NotFound { .. } => "`enact ls invocations` and `enact ls components` list what there is".into(),
        ResolveError::Ambiguous { .. } => "give more digits".into(),
        ResolveError::AmbiguousRun(_) => "give more digits; `enact ls invocations` lists the cut-off runs".into(),
        ResolveError::Storage(e) => return storage(e),
    })
}

fn component(e: &ComponentError) -> Option<String> {
    Some(match e {
        ComponentError::CoreModule => {
            "turn it into one with `wasm-tools component new`, or build for `wasm32-wasip2`".into()
        }
        ComponentError::MissingExport(_) => "build it for the enact:runtime/invokable world".into(),
        ComponentError::WrongWorld(_) => "build it against enact's `wit/` directory".into(),
        ComponentError::ImpureDescribe(_) => "return constant metadata from `describe`".into(),
        _ => return None,
    })
}

fn storage(e: &StorageError) -> Option<String> {
    match e {
        StorageError::InUse { .. } => Some("wait for it to finish and try again".into()),
        StorageError::Corrupt(_) | StorageError::Missing(_) => Some("`enact verify` checks the whole store".into()),
        _ => None,
    }
}
