use crate::support::Home;

/// Flips one byte of every copy of `needle` in the store file.
fn corrupt(home: &Home, needle: &[u8]) -> usize {
    let path = home.store_file();
    let mut bytes = std::fs::read(&path).expect("the store file");
    let mut hits = 0;
    let mut i = 0;
    while i + needle.len() <= bytes.len() {
        if &bytes[i..i + needle.len()] == needle {
            bytes[i] ^= 0x01;
            hits += 1;
        }
        i += 1;
    }
    std::fs::write(&path, bytes).expect("write the store file");
    hits
}

#[test]
fn a_corrupted_blob_is_detected_on_read_and_named() {
    let home = Home::new();
    home.add_rust("echo");
    let marker = "a-marker-that-appears-only-in-this-value";
    let inv = home.enact(&["invoke", "echo", "--input", &format!("\"{marker}\""), "--json"]).json();
    let id = inv["invocation"].as_str().expect("an id");
    home.enact(&["show", id]).success();

    assert!(corrupt(&home, marker.as_bytes()) > 0, "the value is in the file");
    let show = home.enact(&["show", id]);
    assert_eq!(show.code(), 2, "{}", show.stderr());
    let value = enact::Digest::of(format!("\"{marker}\"").as_bytes());
    assert!(show.stderr().contains(&format!("blob `{value}` is corrupt")), "{}", show.stderr());
    let replay = home.enact(&["replay", id]);
    assert_eq!(replay.code(), 2);
    assert!(replay.stderr().contains("is corrupt"), "{}", replay.stderr());
}

#[test]
fn adding_the_same_component_twice_is_idempotent() {
    let home = Home::new();
    let first = home.add_rust("dice");
    let before = home.contents();
    let second = home.add_rust("dice");
    assert_eq!(first, second);
    assert_eq!(home.contents(), before);
}

#[test]
fn a_store_file_that_is_not_a_store_is_a_clear_error() {
    let home = Home::new();
    std::fs::write(home.store_file(), b"this is not a redb file, just text").expect("write");
    let run = home.enact(&["ls"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("cannot open store"), "{}", run.stderr());
}

#[test]
fn a_store_of_format_1_is_migrated_and_one_of_a_newer_format_is_refused() {
    // Format 1: no `meta` table, and compiled code as blobs in `artifacts`.
    const BLOBS: redb::TableDefinition<&[u8; 32], &[u8]> = redb::TableDefinition::new("blobs");
    const ARTIFACTS: redb::TableDefinition<&[u8; 64], &[u8; 32]> = redb::TableDefinition::new("artifacts");
    const META: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("meta");
    let home = Home::new();
    let code = b"compiled code of format 1";
    let digest = enact::Digest::of(code);
    {
        let db = redb::Database::create(home.store_file()).expect("a database");
        let txn = db.begin_write().expect("a write transaction");
        txn.open_table(BLOBS).expect("blobs").insert(&digest.0, code.as_slice()).expect("insert");
        txn.open_table(ARTIFACTS).expect("artifacts").insert(&[7u8; 64], &digest.0).expect("insert");
        txn.commit().expect("commit");
    }
    home.enact(&["verify"]).success();
    {
        let db = redb::Database::open(home.store_file()).expect("the store opens");
        let txn = redb::ReadableDatabase::begin_read(&db).expect("a read transaction");
        let tables: Vec<String> =
            txn.list_tables().expect("tables").map(|t| redb::TableHandle::name(&t).to_string()).collect();
        assert!(!tables.iter().any(|t| t == "artifacts"), "{tables:?}");
        assert_eq!(txn.open_table(META).expect("meta").get("format").expect("read").map(|v| v.value()), Some(2));
        assert!(txn.open_table(BLOBS).expect("blobs").get(&digest.0).expect("read").is_none(), "code blobs go");
    }

    // A store a newer enact wrote is refused, untouched.
    {
        let db = redb::Database::open(home.store_file()).expect("the store opens");
        let txn = db.begin_write().expect("a write transaction");
        txn.open_table(META).expect("meta").insert("format", 9).expect("insert");
        txn.commit().expect("commit");
    }
    let refused = home.enact(&["ls"]);
    assert_eq!(refused.code(), 2);
    assert!(refused.stderr().contains("is of format 9, and this enact reads format 2"), "{}", refused.stderr());
    let db = redb::Database::open(home.store_file()).expect("the store opens");
    let txn = redb::ReadableDatabase::begin_read(&db).expect("a read transaction");
    assert_eq!(txn.open_table(META).expect("meta").get("format").expect("read").map(|v| v.value()), Some(9));
}
