//! What to do next, for each error a command can end with. Hints live here
//! only: the crates below say what went wrong, the command line says which
//! `enact` command helps. Every command a hint names parses (a test checks).

use enact_runtime::{ComponentError, GrantError, RuntimeError};
use enact_store::StorageError;
use enact_store::bundle::BundleError;
use enact_store::resolve::ResolveError;

/// The hint for `error`, if there is one.
pub(crate) fn hint(error: &anyhow::Error) -> Option<String> {
    for cause in error.chain() {
        let hint = if let Some(e) = cause.downcast_ref::<RuntimeError>() {
            runtime(e)
        } else if let Some(e) = cause.downcast_ref::<ResolveError>() {
            resolve(e)
        } else if let Some(e) = cause.downcast_ref::<ComponentError>() {
            component(e)
        } else if let Some(e) = cause.downcast_ref::<StorageError>() {
            storage(e)
        } else if let Some(e) = cause.downcast_ref::<BundleError>() {
            match e {
                BundleError::Resolve(e) => resolve(e),
                BundleError::Storage(e) => storage(e),
                _ => None,
            }
        } else if let Some(GrantError::TooLarge { .. }) = cause.downcast_ref::<GrantError>() {
            Some("grant a smaller directory".into())
        } else {
            None
        };
        if hint.is_some() {
            return hint;
        }
    }
    None
}

fn runtime(e: &RuntimeError) -> Option<String> {
    Some(match e {
        RuntimeError::Resolve(e) => return resolve(e),
        RuntimeError::Component(e) => return component(e),
        RuntimeError::Storage(e) => return storage(e),
        RuntimeError::Schema { .. } => "`enact describe TARGET` shows the schemas".into(),
        RuntimeError::BadAnswer(_) => "`enact show INVOCATION --json` shows the request and its schema".into(),
        RuntimeError::AnswerNeeded(id) => format!("give it with `enact resume {} --answer JSON`", id.short()),
        RuntimeError::NotAwaiting(id) => format!("resume it without an answer: `enact resume {}`", id.short()),
        RuntimeError::Finished { id, .. } => format!("`enact replay {}` runs it again", id.short()),
        RuntimeError::Divergence(_) => "`enact show INVOCATION --events` shows the recorded journal".into(),
        RuntimeError::RewindTooFar { len, .. } => format!("rewind at most {len} events"),
        _ => return None,
    })
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

#[cfg(test)]
mod tests {
    /// The `enact ...` commands a hint names, with its placeholders filled in.
    pub(crate) fn commands(hint: &str) -> Vec<Vec<String>> {
        hint.split('`')
            .skip(1)
            .step_by(2)
            .filter(|quoted| quoted.starts_with("enact "))
            .map(|command| {
                command
                    .split_whitespace()
                    .map(|word| match word {
                        "TARGET" | "INVOCATION" => "dice".to_string(),
                        "JSON" => "3".to_string(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn hinted_commands_are_found_in_backquotes() {
        let found = commands("give it with `enact resume 1234 --answer JSON`, or `wasm-tools x`");
        assert_eq!(found, vec![vec!["enact", "resume", "1234", "--answer", "3"]]);
    }
}
