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
