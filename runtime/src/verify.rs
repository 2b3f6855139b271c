//! Checking a whole store: every blob against its hash, and every index
//! entry and invocation record against the blobs it names.

use crate::component::ComponentInfo;
use crate::invocation::{InvocationEntry, InvocationRecord, Outcome};
use crate::runtime::{Runtime, RuntimeError};
use crate::value::Digest;

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

impl Runtime {
    /// Checks the whole store and reports what is damaged or missing.
    ///
    /// # Errors
    /// The store cannot be read at all.
    pub fn verify(&self) -> Result<VerifyReport, RuntimeError> {
        let reader = self.storage().read()?;
        let mut report = VerifyReport::default();
        let (blobs, damaged) = reader.verify_blobs()?;
        report.blobs = blobs;
        for digest in &damaged {
            report.problems.push((*digest, "blob is corrupt: its bytes do not match its hash".into()));
        }
        let need =
            |report: &mut VerifyReport, owner: &Digest, what: &str, digest: &Digest| -> Result<(), RuntimeError> {
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
            need(&mut report, &id, "component", &record.component)?;
            need(&mut report, &id, "config", &record.config)?;
            need(&mut report, &id, "input", &record.input)?;
            need(&mut report, &id, "journal", &record.journal)?;
            for grant in &record.grants {
                need(&mut report, &id, "granted directory", &grant.snapshot)?;
            }
            if let Some(logs) = &record.logs {
                need(&mut report, &id, "log", logs)?;
            }
            match &record.outcome {
                Outcome::Completed { output } => need(&mut report, &id, "output", output)?,
                Outcome::AwaitingInput { request } => need(&mut report, &id, "input request", request)?,
                _ => {}
            }
        }
        Ok(report)
    }
}
