//! Capabilities granted explicitly: directories a guest may see, as the
//! user names them and as an invocation records them (a snapshot in the
//! store; see the runtime's `grants` module for how it is made and copied).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::value::{DecodeError, Digest};

/// A directory to grant, as the user names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The directory on the host.
    pub host: PathBuf,
    /// Where the guest sees it, e.g. `/data`.
    pub guest: String,
    /// Whether the guest may write (to its own copy).
    pub writable: bool,
}

impl std::str::FromStr for Grant {
    type Err = String;

    /// `HOST_PATH:GUEST_PATH[:ro|rw]`, read-only by default.
    fn from_str(text: &str) -> Result<Grant, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let (host, guest, mode) = match parts.as_slice() {
            [host, guest] => (host, guest, "ro"),
            [host, guest, mode] => (host, guest, *mode),
            _ => return Err(format!("`{text}` is not HOST_PATH:GUEST_PATH[:ro|rw]")),
        };
        let writable = match mode {
            "ro" => false,
            "rw" => true,
            other => return Err(format!("`{other}` is neither `ro` nor `rw`")),
        };
        if !guest.starts_with('/') {
            return Err(format!("the guest path `{guest}` must be absolute"));
        }
        Ok(Grant { host: PathBuf::from(host), guest: guest.to_string(), writable })
    }
}

/// A granted directory as an invocation records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirGrant {
    /// Where the guest sees it.
    pub guest: String,
    /// The manifest blob: `{"files": {"relative/path": "sha256:…"}}`.
    pub snapshot: Digest,
    /// Whether the guest may write to its copy.
    pub writable: bool,
}

/// A snapshot's listing, stored as a blob: each file's path below the
/// granted directory, and the blob of its bytes.
#[derive(Serialize, Deserialize)]
pub struct Manifest {
    /// `relative/path` → its bytes.
    pub files: BTreeMap<String, Digest>,
}

impl Manifest {
    /// Decodes manifest blob `snapshot`.
    ///
    /// # Errors
    /// The bytes are not a manifest.
    pub fn decode(snapshot: &Digest, bytes: &[u8]) -> Result<Manifest, DecodeError> {
        serde_json::from_slice(bytes).map_err(|e| DecodeError::new(snapshot, "a directory manifest", e))
    }
}

#[cfg(test)]
mod tests {
    use super::Grant;

    #[test]
    fn grants_parse_read_only_by_default() {
        let g: Grant = "/srv/data:/data".parse().unwrap();
        assert!(!g.writable);
        assert_eq!(g.guest, "/data");
        assert!("/srv/data:/data:rw".parse::<Grant>().unwrap().writable);
        assert!("/srv/data:data".parse::<Grant>().is_err());
        assert!("/srv/data:/data:xx".parse::<Grant>().is_err());
        assert!("/srv/data".parse::<Grant>().is_err());
    }
}
