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

/// A value over 16,000 bytes is stored in pieces: it reads back whole, and a
/// damaged piece is caught on read and by `enact verify`, naming the value.
#[test]
fn a_large_value_reads_back_whole_and_a_damaged_piece_is_caught() {
    let home = Home::new();
    home.add_rust("echo");
    let marker = "a-marker-in-the-second-piece-of-a-large-value";
    let text = format!("{}{marker}{}", "a".repeat(20_000), "b".repeat(20_000));
    let inv = home.enact(&["invoke", "echo", "--input", &format!("\"{text}\""), "--json"]).json();
    let id = inv["invocation"].as_str().expect("an id");
    let shown = home.enact(&["show", id, "--json", "--full"]).json();
    assert_eq!(shown["output"], serde_json::json!(text), "the value reads back whole");
    assert!(home.enact(&["replay", id]).stderr().contains("replay identical"));
    home.enact(&["verify"]).success();

    assert!(corrupt(&home, marker.as_bytes()) > 0, "the value is in the file");
    let value = enact::Digest::of(format!("\"{text}\"").as_bytes());
    let show = home.enact(&["show", id, "--json"]);
    assert_eq!(show.code(), 2, "{}", show.stderr());
    assert!(show.stderr().contains(&format!("blob `{value}` is corrupt")), "{}", show.stderr());
    let verify = home.enact(&["verify"]);
    assert_eq!(verify.code(), 1, "{}", verify.stderr());
    assert!(verify.stdout().contains(&value.to_string()), "{}", verify.stdout());
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
fn a_store_of_another_format_is_refused_untouched_naming_both_formats() {
    const BLOBS: redb::TableDefinition<&[u8; 32], &[u8]> = redb::TableDefinition::new("blobs");
    const META: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("meta");
    let home = Home::new();
    let format = || {
        let db = redb::Database::open(home.store_file()).expect("the store opens");
        let txn = redb::ReadableDatabase::begin_read(&db).expect("a read transaction");
        txn.open_table(META).ok().and_then(|t| t.get("format").expect("read").map(|v| v.value()))
    };
    // Format 1 had no `meta` table; format 2 sealed children as blobs.
    let digest = enact::Digest::of(b"a blob of format 1");
    {
        let db = redb::Database::create(home.store_file()).expect("a database");
        let txn = db.begin_write().expect("a write transaction");
        txn.open_table(BLOBS).expect("blobs").insert(&digest.0, b"a blob of format 1".as_slice()).expect("insert");
        txn.commit().expect("commit");
    }
    let refused = home.enact(&["ls"]);
    assert_eq!(refused.code(), 2);
    assert!(refused.stderr().contains("is of format 1, and this enact reads format 6 only"), "{}", refused.stderr());
    assert_eq!(format(), None, "untouched");
    for (found, says) in
        [(4, "an older enact still reads it"), (5, "an older enact still reads it"), (9, "use a newer enact")]
    {
        {
            let db = redb::Database::open(home.store_file()).expect("the store opens");
            let txn = db.begin_write().expect("a write transaction");
            txn.open_table(META).expect("meta").insert("format", found).expect("insert");
            txn.commit().expect("commit");
        }
        let refused = home.enact(&["ls"]);
        assert_eq!(refused.code(), 2);
        let stderr = refused.stderr();
        assert!(stderr.contains(&format!("is of format {found}, and this enact reads format 6")), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert_eq!(format(), Some(found), "untouched");
    }
}
