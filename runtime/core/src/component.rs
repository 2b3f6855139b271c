//! What the store keeps about an added component: what it said of itself
//! (`describe`), its size, and the interfaces it imports.

use serde::{Deserialize, Serialize};

/// What the store keeps about an added component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentInfo {
    /// Size in bytes.
    pub size: u64,
    /// What `describe` returned.
    pub metadata: Description,
    /// The interfaces it imports, e.g. `enact:runtime/random@0.1.0`.
    pub imports: Vec<String>,
    /// The world it is of: an enact invokable, or a plain WASI program.
    #[serde(default, skip_serializing_if = "World::is_invokable")]
    pub world: World,
}

/// The worlds a component may be of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum World {
    /// `enact:runtime/invokable`: `describe` and `call(config, input)`.
    #[default]
    Invokable,
    /// `wasi:cli/command`: a program with `main`. Its config is
    /// `{"args": [...], "env": {...}}`, its input its stdin (a string), its
    /// output `{"exit", "stdout", "stderr"}`.
    Command,
}

impl World {
    /// Whether this is the invokable world (left out of the JSON then).
    pub fn is_invokable(&self) -> bool {
        *self == World::Invokable
    }

    /// The world's name, as `describe` prints it.
    pub fn name(self) -> &'static str {
        match self {
            World::Invokable => "enact:runtime/invokable",
            World::Command => "wasi:cli/command",
        }
    }
}

/// The metadata a component gives of itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description {
    /// A short name, e.g. `dice`.
    pub name: String,
    /// What it does.
    pub doc: String,
    /// JSON Schema of the config.
    pub config_schema: Option<String>,
    /// JSON Schema of the input.
    pub input_schema: Option<String>,
    /// JSON Schema of the output.
    pub output_schema: Option<String>,
}

/// The imports through which nondeterminism can reach a guest.
const NONDETERMINISTIC: [&str; 7] = [
    "enact:runtime/clock",
    "enact:runtime/random",
    "enact:runtime/llm",
    "enact:runtime/input",
    "enact:runtime/invoke",
    "wasi:clocks/",
    "wasi:random/",
];

impl ComponentInfo {
    /// The imports that are sources of nondeterminism, without versions.
    pub fn sources(&self) -> Vec<String> {
        let mut sources: Vec<String> = self
            .imports
            .iter()
            .filter(|i| NONDETERMINISTIC.iter().any(|n| i.starts_with(n)))
            .map(|i| i.split('@').next().unwrap_or(i).to_string())
            .collect();
        sources.dedup();
        sources
    }

    /// Checks canonical `config` and `input` against the schemas the component
    /// declared: `Err(("config" or "input", why))`.
    pub fn check_call(&self, config: &[u8], input: &[u8]) -> Result<(), (&'static str, String)> {
        for (what, schema, bytes) in
            [("config", &self.metadata.config_schema, config), ("input", &self.metadata.input_schema, input)]
        {
            let Some(schema) = schema.as_deref().and_then(|s| serde_json::from_str(s).ok()) else { continue };
            let value = serde_json::from_slice(bytes).map_err(|e| (what, e.to_string()))?;
            crate::answer::check_schema(&schema, &value).map_err(|e| (what, e))?;
        }
        Ok(())
    }

    /// Imports no source of nondeterminism: the same input always gives
    /// the same output, so a result seen before can be reused.
    pub fn is_pure(&self) -> bool {
        self.sources().is_empty()
    }
}

/// Whether `name` can name a component: letters, digits, `-`, `_` and `.`,
/// starting with a letter, at most 128 bytes, and not `last`.
pub fn is_valid_name(name: &str) -> bool {
    name != "last"
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Whether `target` reads as an id or an id prefix (hex digits alone, or
/// `sha256:` and hex), so that it can never be a name.
pub fn looks_like_id(target: &str) -> bool {
    let hex = target.strip_prefix("sha256:").unwrap_or(target);
    !hex.is_empty() && hex.len() <= 64 && hex.chars().all(|c| c.is_ascii_hexdigit())
}
