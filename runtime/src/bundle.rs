//! Sharing by hash. A bundle is one file holding components, values and
//! invocations with everything they reference (for an invocation: its
//! components, values, journal, children, answers, completions and parents),
//! so that another store can replay it without any provider.
//!
//! Importing verifies every object against its hash, and every reference,
//! before anything is written; a tampered bundle is refused whole.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::component::ComponentInfo;
use crate::invocation::{InvocationEntry, InvocationRecord, Outcome};
use crate::journal::{ChildResult, Event};
use crate::runtime::{Runtime, RuntimeError};
use crate::storage::{Reader, StorageError, decode_json};
use crate::value::Digest;

/// The first bytes of every bundle.
const MAGIC: &[u8] = b"enact-bundle 1\n";

#[derive(Default, Serialize, Deserialize)]
struct Bundle {
    blobs: BTreeMap<Digest, Vec<u8>>,
    components: BTreeMap<Digest, Vec<u8>>,
    invocations: BTreeMap<Digest, Vec<u8>>,
}

/// What an export or import carried.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BundleSummary {
    /// Blobs.
    pub blobs: usize,
    /// Components.
    pub components: usize,
    /// Invocations.
    pub invocations: usize,
}

/// Why a bundle cannot be made or taken in.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Not a bundle at all.
    #[error("not an enact bundle: {0}")]
    Format(String),
    /// An object whose bytes do not match its hash.
    #[error("bundle is damaged: object `{0}` does not match its hash; nothing was imported")]
    Tampered(Digest),
    /// A reference to an object neither in the bundle nor in the store.
    #[error("bundle is incomplete: `{owner}` needs `{missing}`, which it does not hold; nothing was imported")]
    Missing {
        /// The object that refers.
        owner: Digest,
        /// What it refers to.
        missing: Digest,
    },
}

struct Collector<'a> {
    reader: &'a Reader,
    bundle: Bundle,
    seen: BTreeSet<Digest>,
}

impl Collector<'_> {
    fn blob(&mut self, digest: &Digest) -> Result<Vec<u8>, RuntimeError> {
        let bytes = self.reader.blob(digest)?;
        self.bundle.blobs.insert(*digest, bytes.clone());
        Ok(bytes)
    }

    fn component(&mut self, digest: &Digest) -> Result<(), RuntimeError> {
        if !self.seen.insert(*digest) {
            return Ok(());
        }
        self.blob(digest)?;
        if let Some(info) = self.reader.component::<ComponentInfo>(digest)? {
            self.bundle.components.insert(*digest, serde_json::to_vec(&info).expect("serializes"));
        }
        Ok(())
    }

    fn invocation(&mut self, id: &Digest) -> Result<(), RuntimeError> {
        if !self.seen.insert(*id) {
            return Ok(());
        }
        let record: InvocationRecord = decode_json("blobs", id, &self.blob(id)?)?;
        let entry = self.reader.invocation::<InvocationEntry>(id)?;
        if let Some(entry) = entry {
            self.bundle.invocations.insert(*id, serde_json::to_vec(&entry).expect("serializes"));
        }
        self.component(&record.component)?;
        for digest in [&record.config, &record.input, &record.invokable] {
            self.blob(digest)?;
        }
        let journal = self.blob(&record.journal)?;
        if let Some(logs) = &record.logs {
            self.blob(logs)?;
        }
        match &record.outcome {
            Outcome::Completed { output } => drop(self.blob(output)?),
            Outcome::AwaitingInput { request } => drop(self.blob(request)?),
            _ => {}
        }
        if let Some(parent) = &record.parent {
            self.invocation(parent)?;
        }
        for grant in &record.grants {
            for digest in crate::grants::snapshot_blobs(self.reader, grant)? {
                self.blob(&digest)?;
            }
        }
        let events = crate::journal::decode_events(&journal).map_err(|e| StorageError::Decode {
            table: "blobs",
            key: record.journal.to_string(),
            message: e.to_string(),
        })?;
        for event in events {
            match event {
                Event::Invoke(call) => {
                    self.blob(&call.config)?;
                    self.blob(&call.input)?;
                    if let Some(child) = &call.child {
                        self.invocation(child)?;
                    }
                    if let ChildResult::Completed(output) = &call.result {
                        self.blob(output)?;
                    }
                }
                Event::Input(call) => {
                    self.blob(&call.request)?;
                    self.blob(&call.answer)?;
                }
                Event::Llm(call) => {
                    self.blob(&call.request)?;
                    if let Ok(completion) = &call.result {
                        self.blob(completion)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl Runtime {
    /// Makes a bundle of `targets` (invocation ids or prefixes, component ids,
    /// prefixes or names, or value digests) and everything they reference.
    ///
    /// # Errors
    /// A target that names nothing, or a damaged store.
    pub fn export(&self, targets: &[String]) -> Result<(Vec<u8>, BundleSummary), RuntimeError> {
        let reader = self.storage().read()?;
        let mut collector = Collector { reader: &reader, bundle: Bundle::default(), seen: BTreeSet::new() };
        for target in targets {
            if let Ok(id) = self.resolve_invocation(target) {
                collector.invocation(&id)?;
            } else if let Ok(component) = self.resolve_component(target) {
                collector.component(&component)?;
            } else if let Ok(digest) = target.parse::<Digest>()
                && reader.has_blob(&digest)?
            {
                collector.blob(&digest)?;
            } else {
                return Err(RuntimeError::NotFound { kind: "object", target: target.clone() });
            }
        }
        let bundle = collector.bundle;
        let summary = BundleSummary {
            blobs: bundle.blobs.len(),
            components: bundle.components.len(),
            invocations: bundle.invocations.len(),
        };
        let mut bytes = MAGIC.to_vec();
        bytes.extend(postcard::to_stdvec(&bundle).expect("a bundle encodes"));
        Ok((bytes, summary))
    }

    /// Takes in a bundle: verifies every object and reference, then writes
    /// them all in one transaction. Importing the same bundle twice is a no-op.
    ///
    /// # Errors
    /// [`BundleError`] for a bundle that is malformed, tampered with or
    /// incomplete; nothing is written then.
    pub fn import(&self, bytes: &[u8]) -> Result<BundleSummary, RuntimeError> {
        let body = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| BundleError::Format("it does not start with the bundle header".into()))?;
        let bundle: Bundle = postcard::from_bytes(body).map_err(|e| BundleError::Format(e.to_string()))?;
        for (digest, bytes) in &bundle.blobs {
            if Digest::of(bytes) != *digest {
                return Err(BundleError::Tampered(*digest).into());
            }
        }
        let reader = self.storage().read()?;
        let have =
            |d: &Digest| -> Result<bool, StorageError> { Ok(bundle.blobs.contains_key(d) || reader.has_blob(d)?) };
        let need = |owner: &Digest, d: &Digest| -> Result<(), RuntimeError> {
            if have(d)? { Ok(()) } else { Err(BundleError::Missing { owner: *owner, missing: *d }.into()) }
        };
        for digest in bundle.components.keys() {
            need(digest, digest)?;
        }
        for id in bundle.invocations.keys() {
            need(id, id)?;
            let bytes = match bundle.blobs.get(id) {
                Some(bytes) => bytes.clone(),
                None => reader.blob(id)?,
            };
            let record: InvocationRecord = decode_json("blobs", id, &bytes)?;
            for digest in [&record.component, &record.config, &record.input, &record.journal] {
                need(id, digest)?;
            }
            if let Outcome::Completed { output } = &record.outcome {
                need(id, output)?;
            }
            if let Some(parent) = &record.parent {
                need(id, parent)?;
            }
        }
        for info in bundle.components.values().chain(bundle.invocations.values()) {
            serde_json::from_slice::<serde_json::Value>(info)
                .map_err(|e| BundleError::Format(format!("an index entry is not JSON: {e}")))?;
        }
        drop(reader);
        self.storage().write(|w| {
            w.put_blobs(bundle.blobs.values().map(Vec::as_slice))?;
            for (digest, info) in &bundle.components {
                let info: serde_json::Value = serde_json::from_slice(info).expect("checked above");
                w.put_component(digest, &info)?;
            }
            let entries: Vec<(Digest, serde_json::Value)> = bundle
                .invocations
                .iter()
                .map(|(id, e)| (*id, serde_json::from_slice(e).expect("checked above")))
                .collect();
            w.put_invocations(entries.iter().map(|(id, e)| (id, e)))
        })?;
        Ok(BundleSummary {
            blobs: bundle.blobs.len(),
            components: bundle.components.len(),
            invocations: bundle.invocations.len(),
        })
    }
}
