//! Sharing by hash. A bundle is one file holding components, values and
//! invocations with everything they reference (for an invocation: its
//! components, values, journal, children, answers, completions and parents),
//! so that another store can replay it without any provider. It also carries
//! the names its trees' children were called by, with the component each
//! resolved to (or, for the name of an invokable, the component and its
//! config), so that a rewound invocation can call them again in the
//! importing store; and the names it was asked to export.
//!
//! Importing verifies every object against its hash, and every reference,
//! before anything is written; a tampered bundle is refused whole. A name
//! the importing store has already, for another component, is left as it is
//! and reported.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use enact_core::component::{ComponentInfo, is_valid_name, looks_like_id};
use enact_core::event::Event;
use enact_core::record::{InvocationEntry, InvocationRecord};
use enact_core::references::{self, Kind};
use enact_core::value::{Digest, decode_json};

use crate::load::Packs;
use crate::resolve::{self, ResolveError};
use crate::{Reader, Storage, StorageError};

/// The format this enact writes and reads: the first bytes of every bundle
/// are `enact-bundle <FORMAT>\n`.
const FORMAT: u32 = 6;
const HEADER: &str = "enact-bundle ";

#[derive(Default, Serialize, Deserialize)]
struct Bundle {
    blobs: BTreeMap<Digest, Vec<u8>>,
    components: BTreeMap<Digest, Vec<u8>>,
    invocations: BTreeMap<Digest, Vec<u8>>,
    names: BTreeMap<String, Digest>,
    /// Names of invokables: a component and the config it runs with.
    invokables: BTreeMap<String, (Digest, Digest)>,
}

impl Bundle {
    fn summary(&self) -> BundleSummary {
        BundleSummary {
            blobs: self.blobs.len(),
            components: self.components.len(),
            invocations: self.invocations.len(),
            names: self.names.len() + self.invokables.len(),
        }
    }
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
    /// Names, of components and of invokables.
    pub names: usize,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// What the store did not hold before.
    pub new: BundleSummary,
    /// What the store held already (the same bytes, or the same name for
    /// the same component).
    pub present: BundleSummary,
    /// Names the store has for other components, left as they are.
    pub names_kept: Vec<NameKept>,
}

/// A bundle's name that the importing store uses for another component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameKept {
    /// The name.
    pub name: String,
    /// What it names in the store, still.
    pub here: Digest,
    /// What it named where the bundle was made: a component, run with
    /// `config` when the name is an invokable's.
    pub bundle: Digest,
    /// The config of the bundle's invokable of that name.
    pub config: Option<Digest>,
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
    #[error(
        "bundle is incomplete: `{owner}` needs its {what} `{missing}`, which neither the bundle nor the store holds; nothing was imported"
    )]
    Missing {
        /// The object that refers.
        owner: Digest,
        /// What the missing object is to it.
        what: &'static str,
        /// What it refers to.
        missing: Digest,
    },
    /// A target to export that names nothing.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

struct Collector<'a> {
    reader: &'a Reader,
    bundle: Bundle,
    seen: BTreeSet<Digest>,
}

impl Collector<'_> {
    /// The names the children in `events` (and in theirs) were called by, as they resolved then.
    fn names_called(&mut self, packs: &Packs, events: &[Event]) -> Result<(), BundleError> {
        for event in events {
            let Event::Invoke(call) = event else { continue };
            if let Some(component) = call.component
                && !looks_like_id(&call.target)
            {
                self.name(&call.target, component)?;
            }
            if let Some(sealed) = &call.sealed {
                self.names_called(packs, &packs.get(sealed)?.journal)?;
            }
        }
        Ok(())
    }

    /// Carries `name`, which resolved to `component`: as an invokable's
    /// name with its config when the store names an invokable so.
    fn name(&mut self, name: &str, component: Digest) -> Result<(), BundleError> {
        match self.reader.invokable_name(name)? {
            Some((named, config)) if named == component => {
                self.blob(&config)?;
                self.bundle.invokables.entry(name.to_string()).or_insert((component, config));
            }
            _ => {
                self.bundle.names.entry(name.to_string()).or_insert(component);
            }
        }
        Ok(())
    }

    fn blob(&mut self, digest: &Digest) -> Result<Vec<u8>, BundleError> {
        if let Some(bytes) = self.bundle.blobs.get(digest) {
            return Ok(bytes.clone());
        }
        let bytes = self.reader.blob(digest)?;
        self.bundle.blobs.insert(*digest, bytes.clone());
        Ok(bytes)
    }

    fn component(&mut self, digest: &Digest) -> Result<(), BundleError> {
        if !self.seen.insert(*digest) {
            return Ok(());
        }
        self.blob(digest)?;
        if let Some(info) = self.reader.component::<ComponentInfo>(digest)? {
            self.bundle.components.insert(*digest, serde_json::to_vec(&info).expect("serializes"));
        }
        Ok(())
    }

    fn invocation(&mut self, id: &Digest) -> Result<(), BundleError> {
        if !self.seen.insert(*id) {
            return Ok(());
        }
        // A parent that is not a root is a child sealed in another tree: it
        // is history, which a replay does not read. (Targets are roots.)
        if !self.reader.has_blob(id)? && self.reader.invocation::<InvocationEntry>(id)?.is_none() {
            return Ok(());
        }
        let record: InvocationRecord =
            decode_json(id, "an invocation record", &self.blob(id)?).map_err(StorageError::from)?;
        let reader = self.reader;
        let followed = enact_core::chunks::follow(&record.journal, |d| reader.find_blob(d))?;
        let Some(events) = followed.events else {
            return Err(StorageError::Missing(*followed.chunks.last().expect("the chunk not found")).into());
        };
        self.names_called(&Packs::new(self.reader), &events)?;
        if let Some(entry) = self.reader.invocation::<InvocationEntry>(id)? {
            self.bundle.invocations.insert(*id, serde_json::to_vec(&entry).expect("serializes"));
        }
        let references = references::walk_with_events(&record, &followed.chunks, &events, |d| reader.find_blob(d));
        for reference in references.map_err(BundleError::Storage)? {
            match reference.kind {
                Kind::Blob => drop(self.blob(&reference.digest)?),
                Kind::Component => self.component(&reference.digest)?,
                Kind::Invocation => self.invocation(&reference.digest)?,
            }
        }
        Ok(())
    }
}

/// Makes a bundle of `targets` (invocation ids or prefixes, `last`,
/// component ids, prefixes or names, names of invokables, or value digests)
/// and everything they reference.
///
/// # Errors
/// A target that names nothing, or a damaged store.
pub fn export(storage: &Storage, targets: &[String]) -> Result<(Vec<u8>, BundleSummary), BundleError> {
    let reader = storage.read()?;
    let mut collector = Collector { reader: &reader, bundle: Bundle::default(), seen: BTreeSet::new() };
    for target in targets {
        // A name here is a component's: what a name means stays put.
        let invocation = match target.as_str() {
            "last" => resolve::invocation(&reader, target),
            // A child goes with its tree: the target names roots.
            _ => resolve::root_by_id(&reader, target),
        };
        if let Ok(id) = invocation {
            collector.invocation(&id)?;
        } else if let Ok(component) = resolve::component(&reader, target) {
            collector.component(&component)?;
            if reader.name(target)? == Some(component) || reader.invokable_name(target)?.is_some() {
                collector.name(target, component)?;
            }
        } else if let Ok(digest) = target.parse::<Digest>()
            && reader.has_blob(&digest)?
        {
            collector.blob(&digest)?;
        } else {
            return Err(ResolveError::NotFound { kind: "object", target: target.clone() }.into());
        }
    }
    let bundle = collector.bundle;
    let mut bytes = format!("{HEADER}{FORMAT}\n").into_bytes();
    bytes.extend(postcard::to_stdvec(&bundle).expect("a bundle encodes"));
    Ok((bytes, bundle.summary()))
}

/// The bundle in `bytes`, decoded; only its own format is read.
fn decode(bytes: &[u8]) -> Result<Bundle, BundleError> {
    let not_one = || BundleError::Format("it does not start with the bundle header".into());
    let rest = bytes.strip_prefix(HEADER.as_bytes()).ok_or_else(not_one)?;
    let end = rest.iter().position(|b| *b == b'\n').filter(|n| *n <= 10).ok_or_else(not_one)?;
    let format: u32 = std::str::from_utf8(&rest[..end]).ok().and_then(|v| v.parse().ok()).ok_or_else(not_one)?;
    if format != FORMAT {
        return Err(BundleError::Format(format!(
            "it is of bundle format {format}, and this enact reads format {FORMAT}: export it again with this version"
        )));
    }
    postcard::from_bytes(&rest[end + 1..]).map_err(|e| BundleError::Format(e.to_string()))
}

/// Takes in a bundle: verifies every object and reference, then writes
/// them all in one transaction. Importing the same bundle twice is a no-op.
///
/// # Errors
/// [`BundleError`] for a bundle that is malformed, tampered with or
/// incomplete; nothing is written then.
pub fn import(storage: &Storage, bytes: &[u8]) -> Result<Imported, BundleError> {
    let bundle = decode(bytes)?;
    for (digest, bytes) in &bundle.blobs {
        if Digest::of(bytes) != *digest {
            return Err(BundleError::Tampered(*digest));
        }
    }
    let reader = storage.read()?;
    // From the bundle, else from the store.
    let fetch = |d: &Digest| -> Result<Option<Vec<u8>>, StorageError> {
        match bundle.blobs.get(d) {
            Some(bytes) => Ok(Some(bytes.clone())),
            None => reader.find_blob(d),
        }
    };
    let have = |d: &Digest| -> Result<bool, StorageError> { Ok(bundle.blobs.contains_key(d) || reader.has_blob(d)?) };
    for digest in bundle.components.keys() {
        if !have(digest)? {
            return Err(BundleError::Missing { owner: *digest, what: "bytes", missing: *digest });
        }
    }
    for id in bundle.invocations.keys() {
        let bytes = fetch(id)?.ok_or(BundleError::Missing { owner: *id, what: "record", missing: *id })?;
        let record: InvocationRecord = decode_json(id, "an invocation record", &bytes).map_err(StorageError::from)?;
        for reference in references::walk(&record, fetch).map_err(BundleError::Storage)? {
            if !have(&reference.digest)? {
                let missing = BundleError::Missing { owner: *id, what: reference.what, missing: reference.digest };
                return Err(missing);
            }
        }
    }
    for info in bundle.components.values().chain(bundle.invocations.values()) {
        serde_json::from_slice::<serde_json::Value>(info)
            .map_err(|e| BundleError::Format(format!("an index entry is not JSON: {e}")))?;
    }
    let mut imported = Imported::default();
    let mut bind = Vec::new();
    for (name, component) in &bundle.names {
        if !is_valid_name(name) || looks_like_id(name) {
            return Err(BundleError::Format(format!("`{name}` is not a valid name")));
        }
        if !have(component)? {
            return Err(BundleError::Missing { owner: *component, what: "named component", missing: *component });
        }
        match reader.name(name)? {
            None => bind.push((name, component)),
            Some(here) if here == *component => imported.present.names += 1,
            Some(here) => {
                imported.names_kept.push(NameKept { name: name.clone(), here, bundle: *component, config: None });
            }
        }
    }
    let mut bind_invokables = Vec::new();
    for (name, (component, config)) in &bundle.invokables {
        if !is_valid_name(name) || looks_like_id(name) {
            return Err(BundleError::Format(format!("`{name}` is not a valid name")));
        }
        if !have(component)? {
            return Err(BundleError::Missing {
                owner: *component,
                what: "named invokable's component",
                missing: *component,
            });
        }
        if !have(config)? {
            return Err(BundleError::Missing { owner: *component, what: "named invokable's config", missing: *config });
        }
        // One name, one meaning: a name of a component here is kept too.
        match (reader.invokable_name(name)?, reader.name(name)?) {
            (None, None) => bind_invokables.push((name, component, config)),
            (Some(both), _) if both == (*component, *config) => imported.present.names += 1,
            (Some((here, _)), _) | (None, Some(here)) => imported.names_kept.push(NameKept {
                name: name.clone(),
                here,
                bundle: *component,
                config: Some(*config),
            }),
        }
    }
    imported.new.names = bind.len() + bind_invokables.len();
    for digest in bundle.blobs.keys() {
        if reader.has_blob(digest)? { imported.present.blobs += 1 } else { imported.new.blobs += 1 }
    }
    for digest in bundle.components.keys() {
        if reader.component::<serde_json::Value>(digest)?.is_some() {
            imported.present.components += 1;
        } else {
            imported.new.components += 1;
        }
    }
    for id in bundle.invocations.keys() {
        if reader.invocation::<serde_json::Value>(id)?.is_some() {
            imported.present.invocations += 1;
        } else {
            imported.new.invocations += 1;
        }
    }
    drop(reader);
    storage.write(|w| {
        for (name, component) in &bind {
            w.set_name(name, component)?;
        }
        w.put_blobs(bundle.blobs.values().map(Vec::as_slice))?;
        for (name, component, config) in &bind_invokables {
            w.set_invokable_name(name, component, config)?;
        }
        for (digest, info) in &bundle.components {
            let info: serde_json::Value = serde_json::from_slice(info).expect("checked above");
            w.put_component(digest, &info)?;
        }
        let entries: Vec<(Digest, serde_json::Value)> =
            bundle.invocations.iter().map(|(id, e)| (*id, serde_json::from_slice(e).expect("checked above"))).collect();
        w.put_invocations(entries.iter().map(|(id, e)| (id, e)))
    })?;
    Ok(imported)
}
