//! Read models: sealed invocations as JSON, built from the store alone,
//! for `--json` output and for the HTTP API that is to come. Their shape is
//! a contract: fields are added, never renamed.

use enact_core::component::ComponentInfo;
use enact_core::event::{ChildCall, ChildResult, Event};
use enact_core::record::{Invocation, Outcome};
use enact_core::value::Digest;
use serde_json::{Value, json};

use crate::{Reader, StorageError, load};

/// An invocation's summary: `invocation`, `status`, `component`, `events`,
/// then `output`, `error` or `request` as the status says, and `parent`.
///
/// # Errors
/// A missing or corrupt blob.
pub fn summary(reader: &Reader, inv: &Invocation) -> Result<Value, StorageError> {
    let mut obj = json!({
        "invocation": inv.id.to_string(),
        "status": inv.record.outcome.status(),
        "component": inv.record.component.to_string(),
        "events": inv.record.events,
    });
    let fields = obj.as_object_mut().expect("built as an object");
    match &inv.record.outcome {
        Outcome::Completed { .. } => {
            fields.insert("output".into(), inv.output.clone().unwrap_or(Value::Null));
        }
        Outcome::Failed { error } => {
            fields.insert(
                "error".into(),
                json!({ "code": error.code, "message": error.message, "details": error.details }),
            );
        }
        Outcome::Trapped { reason, .. } => {
            fields.insert("error".into(), json!({ "code": "trapped", "message": reason }));
        }
        Outcome::AwaitingInput { request } => {
            fields.insert("request".into(), load::json(reader, request)?);
        }
        Outcome::Incomplete => {}
    }
    if let Some(parent) = inv.record.parent {
        fields.insert("parent".into(), json!(parent.to_string()));
    }
    Ok(obj)
}

/// The name a component gave itself, else its short id.
pub fn component_name(reader: &Reader, component: &Digest) -> Result<String, StorageError> {
    Ok(match reader.component::<ComponentInfo>(component)? {
        Some(info) if !info.metadata.name.is_empty() => info.metadata.name,
        _ => component.short(),
    })
}

/// An invocation tree: the [`summary`] with `name`, `config`, `input`,
/// `engine` and `limits`, and `children` (each with the journal `event` that
/// made it) down to `max_depth`; with `events`, the `journal` and `logs` too.
///
/// # Errors
/// A missing or corrupt blob.
pub fn tree(reader: &Reader, inv: &Invocation, max_depth: usize, events: bool) -> Result<Value, StorageError> {
    let journal = load::journal(reader, &inv.record)?;
    let logs = if events { load::logs(reader, &inv.record)? } else { Vec::new() };
    let opened = load::Opened { invocation: inv.clone(), journal, logs };
    // How long each run took, when its root recorded it (a child shown on its own has none).
    let took = reader.timings(&inv.id)?;
    tree_at(&load::Packs::new(reader), &opened, 0, max_depth, events, &took)
}

fn tree_at(
    packs: &load::Packs,
    opened: &load::Opened,
    depth: usize,
    max_depth: usize,
    events: bool,
    took: &std::collections::HashMap<Digest, u64>,
) -> Result<Value, StorageError> {
    let reader = packs.reader();
    let (inv, journal) = (&opened.invocation, &opened.journal);
    let record = &inv.record;
    let mut obj = summary(reader, inv)?;
    obj["name"] = json!(component_name(reader, &record.component)?);
    obj["config"] = load::json(reader, &record.config)?;
    obj["input"] = load::json(reader, &record.input)?;
    obj["engine"] = json!(record.engine);
    obj["limits"] = json!(record.limits);
    obj["took_us"] = json!(took.get(&inv.id));
    let mut children = Vec::new();
    for (i, event) in journal.iter().enumerate() {
        let Event::Invoke(call) = event else { continue };
        let ChildCall { target, config, input, sealed, result, .. } = &**call;
        if depth >= max_depth {
            break;
        }
        let mut node = match sealed {
            Some(sealed) => {
                let child = load::open_child(reader, &*packs.get(sealed)?)?;
                tree_at(packs, &child, depth + 1, max_depth, events, took)?
            }
            // No child ran (the target did not resolve, or the result was
            // overridden): the same status and output or error as any node.
            None => {
                let mut node = json!({
                    "name": target,
                    "config": load::json(reader, config)?,
                    "input": load::json(reader, input)?,
                    "overridden": matches!(result, ChildResult::Completed(_)),
                });
                match result {
                    ChildResult::Completed(output) => {
                        node["status"] = json!("completed");
                        node["output"] = load::json(reader, output)?;
                    }
                    ChildResult::Failed(error) => {
                        node["status"] = json!("failed");
                        node["error"] =
                            json!({ "code": error.code, "message": error.message, "details": error.details });
                    }
                    ChildResult::Trapped(reason) => {
                        node["status"] = json!("trapped");
                        node["error"] = json!({ "code": "trapped", "message": reason });
                    }
                    ChildResult::Incomplete => node["status"] = json!("incomplete"),
                }
                node
            }
        };
        node["event"] = json!(i);
        children.push(node);
    }
    obj["children"] = Value::Array(children);
    if events {
        obj["journal"] = Value::Array(journal.iter().map(Event::to_json).collect());
        obj["logs"] = json!(opened.logs);
    }
    Ok(obj)
}
