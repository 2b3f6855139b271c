//! Canonical JSON and content hashes.
//!
//! Every value enact stores is JSON in its RFC 8785 (JCS) canonical form, and
//! every stored object is named by the sha256 of its bytes: a [`Digest`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// A sha256 content hash. Displays and parses as `sha256:<64 hex>`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }

    /// The 64 lowercase hex digits, as bytes, without allocating.
    pub fn hex_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        for (i, b) in self.0.iter().enumerate() {
            out[2 * i] = HEX[(b >> 4) as usize];
            out[2 * i + 1] = HEX[(b & 15) as usize];
        }
        out
    }

    /// The 64 lowercase hex digits, without the `sha256:` prefix.
    pub fn hex(&self) -> String {
        String::from_utf8(self.hex_bytes().to_vec()).expect("hex digits are ASCII")
    }

    /// The first 12 hex digits: enough to name an object in a listing.
    pub fn short(&self) -> String {
        self.hex()[..12].to_string()
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Bytes with their digest, computed once: a child's config and input are
/// hashed where the call is prepared, and the journal and the seal name them
/// by that digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hashed {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Their sha256.
    pub digest: Digest,
}

impl Hashed {
    /// `bytes`, hashed.
    pub fn new(bytes: Vec<u8>) -> Hashed {
        let digest = Digest::of(&bytes);
        Hashed { bytes, digest }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `s` is not a `sha256:<64 hex>` digest.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a digest; expected `sha256:` and 64 hex digits")]
pub struct ParseDigestError(String);

impl FromStr for Digest {
    type Err = ParseDigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s.strip_prefix("sha256:").unwrap_or(s);
        let bytes = parse_hex(hex).ok_or_else(|| ParseDigestError(s.to_string()))?;
        let array: [u8; 32] = bytes.try_into().map_err(|_| ParseDigestError(s.to_string()))?;
        Ok(Digest(array))
    }
}

/// Decodes an even-length string of hex digits.
pub fn parse_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    hex.as_bytes().chunks(2).map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?)).collect()
}

/// `sha256:<hex>` in JSON; the 32 raw bytes in binary formats (journals).
impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() { s.collect_str(self) } else { s.serialize_bytes(&self.0) }
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Digest;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sha256 digest")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Digest, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Digest, E> {
                let bytes: [u8; 32] = v.try_into().map_err(|_| E::invalid_length(v.len(), &self))?;
                Ok(Digest(bytes))
            }
        }
        if d.is_human_readable() { d.deserialize_str(Visitor) } else { d.deserialize_bytes(Visitor) }
    }
}

/// A blob that does not decode as what it should hold.
#[derive(Debug, thiserror::Error)]
#[error("blob `{digest}` is not {what}: {message}")]
pub struct DecodeError {
    /// The blob.
    pub digest: Digest,
    /// What it should hold, for people: `an invocation record`.
    pub what: &'static str,
    /// What the decoder said.
    pub message: String,
}

impl DecodeError {
    /// Blob `digest` is not `what`, as `error` says.
    pub fn new(digest: &Digest, what: &'static str, error: impl fmt::Display) -> DecodeError {
        DecodeError { digest: *digest, what, message: error.to_string() }
    }
}

/// Decodes JSON blob `digest` as `what`.
///
/// # Errors
/// The bytes are not JSON of that shape.
pub fn decode_json<T: serde::de::DeserializeOwned>(
    digest: &Digest,
    what: &'static str,
    bytes: &[u8],
) -> Result<T, DecodeError> {
    serde_json::from_slice(bytes).map_err(|e| DecodeError::new(digest, what, e))
}

/// Text that is not valid JSON.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidJson(serde_json::Error);

impl From<serde_json::Error> for InvalidJson {
    fn from(e: serde_json::Error) -> Self {
        InvalidJson(e)
    }
}

/// The RFC 8785 canonical bytes of a JSON value.
pub fn canonical_bytes(value: &serde_json::Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write_canonical(value, &mut out);
    out
}

/// 2^53: every integer up to this magnitude is exactly a double.
pub(crate) const EXACT_IN_DOUBLE: u64 = 1 << 53;

/// Writes `value` in RFC 8785 form. Strings escape exactly as serde_json's
/// compact writer does (`\"`, `\\`, the short control escapes, else `\u00xx`
/// lowercase), which is what RFC 8785 asks; object members are ordered by
/// their keys' UTF-16 code units; small integers print as themselves, and
/// other numbers go through the ECMAScript number formatting of
/// `serde_json_canonicalizer`.
fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        // An integer a double holds exactly prints as itself; any other
        // number is formatted as the double it becomes, as RFC 8785 says.
        Value::Number(n) => match n.as_i64() {
            Some(i) if i.unsigned_abs() <= EXACT_IN_DOUBLE => out.extend_from_slice(i.to_string().as_bytes()),
            _ => out.extend(serde_json_canonicalizer::to_vec(n).expect("a number serializes")),
        },
        Value::String(s) => serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail"),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // UTF-8 byte order is UTF-16 order unless a key holds characters
            // beyond U+FFFF (surrogate pairs sort before U+E000..U+FFFF).
            let mut members: Vec<_> = map.iter().collect();
            if map.keys().any(|k| k.chars().any(|c| c > '\u{FFFF}')) {
                members.sort_unstable_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            } else {
                members.sort_unstable_by_key(|(key, _)| *key);
            }
            out.push(b'{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key).expect("writing to a Vec cannot fail");
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
    }
}

/// Parses JSON text and returns its canonical bytes.
///
/// # Errors
/// [`InvalidJson`] when `text` is not one JSON value.
pub fn canonicalize(text: &str) -> Result<Vec<u8>, InvalidJson> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    Ok(canonical_bytes(&value))
}

/// The canonical bytes of any serializable record.
pub fn canonical_record<T: Serialize>(record: &T) -> Vec<u8> {
    let value = serde_json::to_value(record).expect("records serialize to JSON");
    canonical_bytes(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_round_trips_through_text() {
        let d = Digest::of(b"enact");
        let text = d.to_string();
        assert!(text.starts_with("sha256:"));
        assert_eq!(text.len(), 7 + 64);
        assert_eq!(text.parse::<Digest>().unwrap(), d);
        assert_eq!(d.hex().parse::<Digest>().unwrap(), d);
    }

    #[test]
    fn digest_rejects_bad_text() {
        assert!("sha256:xyz".parse::<Digest>().is_err());
        assert!("sha256:abcd".parse::<Digest>().is_err());
        assert!("".parse::<Digest>().is_err());
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let a = canonicalize(r#"{ "b": 1, "a": [1, 2.0, "x"] }"#).unwrap();
        assert_eq!(a, br#"{"a":[1,2,"x"],"b":1}"#);
        let b = canonicalize(r#"{"a":[1,2,"x"],"b":1}"#).unwrap();
        assert_eq!(Digest::of(&a), Digest::of(&b));
    }

    #[test]
    fn canonical_json_formats_numbers_like_ecmascript() {
        assert_eq!(canonicalize("1e21").unwrap(), b"1e+21");
        assert_eq!(canonicalize("0.000001").unwrap(), b"0.000001");
        assert_eq!(canonicalize("-0.0").unwrap(), b"0");
    }

    #[test]
    fn invalid_json_is_an_error() {
        assert!(canonicalize("{").is_err());
        assert!(canonicalize("").is_err());
    }
}
