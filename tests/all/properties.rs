use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use enact::{Digest, Event, Runtime, Storage};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Put(Vec<u8>),
    Name(String, usize),
    Read(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256).prop_map(Op::Put),
        ("[a-z][a-z0-9-]{0,8}", any::<usize>()).prop_map(|(n, i)| Op::Name(n, i)),
        any::<usize>().prop_map(Op::Read),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The store behaves like a map from digest to bytes, and names like a
    /// map from name to digest, across transactions and a reopen.
    #[test]
    fn the_store_matches_a_model(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = enact::store_path(dir.path());
        let mut blobs: BTreeMap<Digest, Vec<u8>> = BTreeMap::new();
        let mut names: BTreeMap<String, Digest> = BTreeMap::new();
        {
            let storage = Storage::open(&path).expect("open");
            for op in &ops {
                match op {
                    Op::Put(bytes) => {
                        let d = storage.write(|w| w.put_blob(bytes)).expect("put");
                        prop_assert_eq!(d, Digest::of(bytes));
                        blobs.insert(d, bytes.clone());
                    }
                    Op::Name(name, i) if !blobs.is_empty() => {
                        let d = *blobs.keys().nth(i % blobs.len()).expect("a blob");
                        storage.write(|w| w.set_name(name, &d)).expect("name");
                        names.insert(name.clone(), d);
                    }
                    Op::Read(i) if !blobs.is_empty() => {
                        let (d, bytes) = blobs.iter().nth(i % blobs.len()).expect("a blob");
                        prop_assert_eq!(&storage.read().expect("read").blob(d).expect("blob"), bytes);
                    }
                    _ => {}
                }
            }
        }
        let storage = Storage::open(&path).expect("reopen");
        let reader = storage.read().expect("read");
        for (d, bytes) in &blobs {
            prop_assert_eq!(&reader.blob(d).expect("blob"), bytes);
        }
        prop_assert_eq!(reader.names().expect("names"), names.into_iter().collect::<Vec<_>>());
        let (checked, damaged) = reader.verify_blobs().expect("verify");
        prop_assert_eq!(checked as usize, blobs.len());
        prop_assert!(damaged.is_empty());
    }
}

/// Strings that stress escaping and key order: control characters, quotes,
/// backslashes, and characters on both sides of the UTF-16 surrogate range.
const TRICKY: &str = "[\\x00-\\x1f\"\\\\a-z\\x7f\\x{e000}-\\x{e003}\\x{fffd}\\x{10000}-\\x{10003}]{0,6}";

fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        (-(1i64 << 54)..(1i64 << 54)).prop_map(serde_json::Value::from),
        (-1.0e15f64..1.0e15).prop_map(serde_json::Value::from),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
        TRICKY.prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(prop_oneof!["\\PC{0,8}", TRICKY], inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Canonical JSON is a fixed point, keeps the value, and ignores key order.
    #[test]
    fn canonical_json_is_stable(value in json()) {
        let text = serde_json::to_string_pretty(&value).expect("serializes");
        let canonical = enact::canonicalize(&text).expect("valid JSON");
        let again = enact::canonicalize(std::str::from_utf8(&canonical).expect("utf-8")).expect("valid");
        prop_assert_eq!(&again, &canonical);
        let back: serde_json::Value = serde_json::from_slice(&canonical).expect("parses");
        prop_assert_eq!(enact::canonical_bytes(&back), canonical);
    }

    /// enact's canonical writer agrees byte for byte with the reference RFC
    /// 8785 implementation, so ids never depend on which one wrote them.
    #[test]
    fn canonical_bytes_match_rfc_8785(value in json()) {
        let reference = serde_json_canonicalizer::to_vec(&value).expect("serializes");
        prop_assert_eq!(enact::canonical_bytes(&value), reference);
    }

    /// Journals round-trip through their stored encoding.
    #[test]
    fn events_round_trip(values in proptest::collection::vec((any::<u64>(), proptest::collection::vec(any::<u8>(), 0..32)), 0..50)) {
        let events: Vec<Event> = values
            .into_iter()
            .flat_map(|(v, bytes)| [Event::RandomU64 { value: v }, Event::WasiRandom { bytes }])
            .collect();
        prop_assert_eq!(enact::decode_events(&enact::encode_events(&events)).expect("decodes"), events);
    }
}

/// One runtime for the byte-feeding property: building an engine is costly.
fn shared() -> &'static (tempfile::TempDir, Runtime) {
    static SHARED: OnceLock<(tempfile::TempDir, Runtime)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(&enact::store_path(dir.path())).expect("open");
        let rt = Runtime::new(Arc::new(storage)).expect("runtime");
        (dir, rt)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Arbitrary bytes, with or without a WebAssembly header, are refused
    /// with an error and leave the store unchanged; nothing panics.
    #[test]
    fn adding_arbitrary_bytes_is_refused_cleanly(header in 0usize..3, tail in proptest::collection::vec(any::<u8>(), 0..512)) {
        let (_, rt) = shared();
        let mut bytes = match header {
            0 => Vec::new(),
            1 => b"\0asm\x01\0\0\0".to_vec(),
            _ => b"\0asm\x0d\0\x01\0".to_vec(),
        };
        bytes.extend_from_slice(&tail);
        let before = rt.storage().read().expect("read").verify_blobs().expect("verify").0;
        prop_assert!(rt.add(&bytes, None).is_err());
        prop_assert_eq!(rt.storage().read().expect("read").verify_blobs().expect("verify").0, before);
    }
}
