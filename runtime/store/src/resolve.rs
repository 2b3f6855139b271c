//! Names, ids and prefixes: how people point at components, invocations and
//! cut-off runs.

use enact_core::record::InvocationEntry;
use enact_core::value::Digest;

use crate::{DigestTable, Reader, StorageError};

/// A target that points at nothing, or at more than one thing.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// A name, id or prefix that matches nothing.
    #[error("no {kind} matches `{target}`")]
    NotFound {
        /// `component`, `invocation`, `run` or `object`.
        kind: &'static str,
        /// What was asked for.
        target: String,
    },
    /// A prefix that matches several.
    #[error("`{target}` is ambiguous: it matches {} {kind}s ({}{})", .matches.len(),
        .matches.iter().take(5).map(|d| d.short()).collect::<Vec<_>>().join(", "),
        if .matches.len() > 5 { ", …" } else { "" })]
    Ambiguous {
        /// `component` or `invocation`.
        kind: &'static str,
        /// What was asked for.
        target: String,
        /// What it matched.
        matches: Vec<Digest>,
    },
    /// A `run:` prefix that matches several cut-off runs.
    #[error("`{0}` matches several cut-off runs")]
    AmbiguousRun(String),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Resolves a component name, id, or unique hex prefix of an id.
///
/// # Errors
/// [`ResolveError::NotFound`] or [`ResolveError::Ambiguous`].
pub fn component(reader: &Reader, target: &str) -> Result<Digest, ResolveError> {
    if let Some(digest) = reader.name(target)? {
        return Ok(digest);
    }
    // A named invokable runs its component (with its own config: see `Reader::invokable_name`).
    if let Some((component, _)) = reader.invokable_name(target)? {
        return Ok(component);
    }
    by_prefix(reader, DigestTable::Components, "component", target)
}

/// Resolves an invocation: its id or a unique hex prefix of it, `last`
/// (the latest root invocation), or a component's name (its latest root
/// invocation).
///
/// # Errors
/// [`ResolveError::NotFound`] or [`ResolveError::Ambiguous`].
pub fn invocation(reader: &Reader, target: &str) -> Result<Digest, ResolveError> {
    let not_found = || ResolveError::NotFound { kind: "invocation", target: target.to_string() };
    if target == "last" {
        return latest(reader, None)?.ok_or_else(not_found);
    }
    match invocation_by_id(reader, target) {
        Err(ResolveError::NotFound { .. }) => match reader.name(target)? {
            Some(component) => latest(reader, Some(&component))?.ok_or_else(not_found),
            None => Err(not_found()),
        },
        resolved => resolved,
    }
}

/// Resolves a root invocation by its id or a unique hex prefix of it.
///
/// # Errors
/// [`ResolveError::NotFound`] or [`ResolveError::Ambiguous`].
pub fn root_by_id(reader: &Reader, target: &str) -> Result<Digest, ResolveError> {
    by_prefix(reader, DigestTable::Invocations, "invocation", target)
}

/// Resolves an invocation (a root, or a child sealed in one) by its id or
/// a unique hex prefix of it only.
///
/// # Errors
/// [`ResolveError::NotFound`] or [`ResolveError::Ambiguous`].
pub fn invocation_by_id(reader: &Reader, target: &str) -> Result<Digest, ResolveError> {
    match root_by_id(reader, target) {
        // Not a root: a child, sealed in its caller's journal (a scan).
        Err(not_found @ ResolveError::NotFound { .. }) => {
            let hex = target.strip_prefix("sha256:").unwrap_or(target).to_ascii_lowercase();
            if hex.is_empty() || hex.len() > 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(not_found);
            }
            let matches = crate::load::children_with_prefix(reader, &hex)?;
            match matches.len() {
                0 => Err(not_found),
                1 => Ok(matches[0]),
                _ => Err(ResolveError::Ambiguous { kind: "invocation", target: target.to_string(), matches }),
            }
        }
        resolved => resolved,
    }
}

/// The latest root invocation (of `component`, if given).
fn latest(reader: &Reader, component: Option<&Digest>) -> Result<Option<Digest>, StorageError> {
    let entries = reader.invocations::<InvocationEntry>()?;
    let roots = entries.into_iter().filter(|(_, e)| e.depth == 0 && component.is_none_or(|c| e.component == *c));
    Ok(roots.max_by_key(|(_, e)| e.created_ms).map(|(id, _)| id))
}

/// A unique id or hex prefix (of any length) in `table`.
fn by_prefix(reader: &Reader, table: DigestTable, kind: &'static str, target: &str) -> Result<Digest, ResolveError> {
    let not_found = || ResolveError::NotFound { kind, target: target.to_string() };
    let hex = target.strip_prefix("sha256:").unwrap_or(target).to_ascii_lowercase();
    if hex.is_empty() || hex.len() > 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let matches = reader.digests_with_prefix(table, &hex)?;
    match matches.len() {
        0 => Err(not_found()),
        1 => Ok(matches[0]),
        _ => Err(ResolveError::Ambiguous { kind, target: target.to_string(), matches }),
    }
}

/// The cut-off run a `run:<hex>` text names (the full id or a prefix of 8+ digits).
///
/// # Errors
/// [`ResolveError::NotFound`] or [`ResolveError::AmbiguousRun`].
pub fn run(reader: &Reader, target: &str) -> Result<u128, ResolveError> {
    let hex = target.strip_prefix("run:").unwrap_or(target).to_ascii_lowercase();
    let not_found = || ResolveError::NotFound { kind: "run", target: target.to_string() };
    if hex.len() < 8 {
        return Err(not_found());
    }
    let runs: Vec<u128> = reader
        .runs::<serde_json::Value>()?
        .into_iter()
        .map(|(r, _)| r)
        .filter(|r| format!("{r:032x}").starts_with(&hex))
        .collect();
    match runs.as_slice() {
        [] => Err(not_found()),
        [run] => Ok(*run),
        _ => Err(ResolveError::AmbiguousRun(target.to_string())),
    }
}
