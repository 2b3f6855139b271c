//! A flow as a graph, for people: Graphviz dot or Mermaid, with each
//! transition's event and guard on its edge, the entry marked, error routes dashed.

use crate::definition::Flow;

/// The graph formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Graphviz.
    Dot,
    /// Mermaid's `stateDiagram-v2`.
    Mermaid,
}

fn label(on: Option<&str>, when: Option<&str>) -> String {
    match (on, when) {
        (Some(on), Some(when)) => format!("{on} [{when}]"),
        (Some(on), None) => on.to_string(),
        (None, Some(when)) => when.to_string(),
        (None, None) => String::new(),
    }
}

fn quoted(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `flow` as a graph in `format`.
pub fn render(flow: &Flow, format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Dot => {
            out.push_str(&format!(
                "digraph \"{}\" {{\n  rankdir=TB;\n  node [shape=box, style=rounded];\n",
                quoted(&flow.flow)
            ));
            out.push_str("  start [shape=point];\n");
            out.push_str(&format!("  start -> \"{}\";\n", quoted(&flow.entry)));
            for (name, step) in &flow.step {
                let kind = step.kind().map(|k| k.name()).unwrap_or("?");
                let shape = if step.end { ", peripheries=2" } else { "" };
                out.push_str(&format!("  \"{}\" [label=\"{}\\n({kind})\"{shape}];\n", quoted(name), quoted(name)));
            }
            for next in &flow.next {
                let text = label(next.on.as_deref(), next.when.as_deref());
                let attr = if text.is_empty() { String::new() } else { format!(" [label=\"{}\"]", quoted(&text)) };
                out.push_str(&format!("  \"{}\" -> \"{}\"{attr};\n", quoted(&next.from), quoted(&next.to)));
            }
            for (name, step) in &flow.step {
                if let Some(handler) = &step.on_error {
                    out.push_str(&format!(
                        "  \"{}\" -> \"{}\" [label=\"on error\", style=dashed];\n",
                        quoted(name),
                        quoted(handler)
                    ));
                }
            }
            out.push_str("}\n");
        }
        Format::Mermaid => {
            out.push_str("stateDiagram-v2\n");
            out.push_str(&format!("  [*] --> {}\n", flow.entry));
            for next in &flow.next {
                let text = label(next.on.as_deref(), next.when.as_deref());
                if text.is_empty() {
                    out.push_str(&format!("  {} --> {}\n", next.from, next.to));
                } else {
                    out.push_str(&format!("  {} --> {}: {}\n", next.from, next.to, text.replace(':', "#58;")));
                }
            }
            for (name, step) in &flow.step {
                if let Some(handler) = &step.on_error {
                    out.push_str(&format!("  {name} --> {handler}: on error\n"));
                }
                if step.end || flow.leaving(name).next().is_none() {
                    out.push_str(&format!("  {name} --> [*]\n"));
                }
            }
        }
    }
    out
}
