//! Checking a whole store: every blob against its hash, and every index
//! entry and invocation record against the blobs it names.

use enact_core::component::ComponentInfo;
use enact_core::record::{InvocationEntry, InvocationRecord};
use enact_core::references::Kind;
use enact_core::value::Digest;

use crate::{Storage, StorageError};

/// What [`Runtime::verify`] found.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// Blobs checked.
    pub blobs: u64,
    /// Invocation records checked.
    pub invocations: u64,
    /// Each problem: the object and what is wrong with it.
    pub problems: Vec<(Digest, String)>,
}

impl VerifyReport {
    /// No problem found.
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the whole store and reports what is damaged or missing.
///
/// # Errors
/// The store cannot be read at all.
pub fn verify(storage: &Storage) -> Result<VerifyReport, StorageError> {
    let reader = storage.read()?;
    let mut report = VerifyReport::default();
    let (blobs, damaged) = reader.verify_blobs()?;
    report.blobs = blobs;
    for digest in &damaged {
        report.problems.push((*digest, "blob is corrupt: its bytes do not match its hash".into()));
    }
    let need = |report: &mut VerifyReport, owner: &Digest, what: &str, digest: &Digest| -> Result<(), StorageError> {
        if !reader.has_blob(digest)? {
            report.problems.push((*owner, format!("its {what} `{digest}` is missing")));
        }
        Ok(())
    };
    for (digest, _) in reader.components::<ComponentInfo>()? {
        need(&mut report, &digest, "component bytes", &digest)?;
    }
    for (id, _) in reader.invocations::<InvocationEntry>()? {
        report.invocations += 1;
        if damaged.contains(&id) {
            continue;
        }
        let Some(bytes) = reader.find_blob(&id).ok().flatten() else {
            report.problems.push((id, "its record is missing".into()));
            continue;
        };
        let record: InvocationRecord = match serde_json::from_slice(&bytes) {
            Ok(record) => record,
            Err(e) => {
                report.problems.push((id, format!("its record does not decode: {e}")));
                continue;
            }
        };
        // A journal or manifest that is damaged was reported above; its
        // contents cannot be listed.
        let fetch = |d: &Digest| Ok::<_, StorageError>(reader.find_blob(d).ok().flatten());
        let followed = match enact_core::chunks::follow(&record.journal, fetch) {
            Ok(followed) => followed,
            Err(e) => {
                report.problems.push((id, format!("its journal does not decode: {e}")));
                continue;
            }
        };
        let events = followed.events.unwrap_or_default();
        // The walk checks each child in the packs it reads (its id, journal
        // and logs); a pack that is missing or damaged is named below.
        match enact_core::references::walk_with_events(&record, &followed.chunks, &events, fetch) {
            Ok(references) => {
                // Each once: a tree's children name the same values over and over.
                let mut seen = std::collections::BTreeSet::new();
                for reference in references.into_iter().filter(|r| seen.insert(r.digest)) {
                    // A fork's parent may be a child, sealed in another tree.
                    if reference.kind == Kind::Invocation
                        && !reader.has_blob(&reference.digest)?
                        && crate::load::child(&reader, &reference.digest)?.is_some()
                    {
                        continue;
                    }
                    need(&mut report, &id, reference.what, &reference.digest)?;
                }
            }
            Err(e) => report.problems.push((id, format!("what it names cannot be listed: {e}"))),
        }
    }
    Ok(report)
}
