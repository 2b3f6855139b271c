use crate::support::Home;

#[test]
fn an_invocation_exported_from_one_home_replays_in_another_without_any_provider() {
    let a = Home::new();
    for guest in ["roll-die", "roll-sum", "chat"] {
        a.add_rust(guest);
    }
    let sum = a.enact(&["invoke", "roll-sum", "--input", r#"{"n":4}"#, "--json"]).json();
    let script = a.path().join("script.json");
    std::fs::write(&script, r#"["Hello!"]"#).expect("write");
    let answers = a.path().join("answers.json");
    std::fs::write(&answers, r#"["hi", "stop"]"#).expect("write");
    let llm = format!("scripted:{}", script.display());
    let chat =
        a.enact(&["invoke", "chat", "--llm", &llm, "--answers", answers.to_str().expect("utf-8"), "--json"]).json();
    let (sum_id, chat_id) = (sum["invocation"].as_str().expect("id"), chat["invocation"].as_str().expect("id"));

    let bundle = a.path().join("share.bundle");
    let export = a.enact(&["export", sum_id, chat_id, "-o", bundle.to_str().expect("utf-8")]);
    export.success();
    assert!(export.stderr().contains("exported 2 invocations"), "{}", export.stderr());

    let b = Home::new();
    let import = b.enact(&["import", bundle.to_str().expect("utf-8")]);
    import.success();
    assert_eq!(b.enact(&["show", sum_id]).stdout(), a.enact(&["show", sum_id]).stdout());
    for (id, output) in [(sum_id, &sum["output"]), (chat_id, &chat["output"])] {
        let replay = b.enact_with(&["replay", id, "--json"], &[("ENACT_LLM_URL", "http://127.0.0.1:1/v1")]);
        let out = replay.success().json();
        assert_eq!(&out["output"], output);
        assert_eq!(out["identical"], true);
    }
    b.enact(&["verify"]).success();
    // importing again changes nothing, and says so
    let before = b.contents();
    let again = b.enact(&["import", bundle.to_str().expect("utf-8"), "--json"]);
    again.success();
    assert!(again.stderr().starts_with("nothing new: the store held all of it already"), "{}", again.stderr());
    assert_eq!(again.json()["new"]["blobs"], 0);
    assert_eq!(b.contents(), before);

    // The bundle named the die roll-sum calls: a rewound sum goes on live here.
    let names = b.enact(&["ls", "names", "--json"]).json();
    assert_eq!(names.as_array().map(Vec::len), Some(1), "{names}");
    assert_eq!(names[0]["name"], "roll-die");
    let rewound = b.enact(&["rewind", sum_id, "1"]).success().stdout().trim().to_string();
    let resumed = b.enact(&["resume", &rewound, "--json"]).success().json();
    assert_eq!(resumed["status"], "completed");
}

#[test]
fn an_import_keeps_the_stores_own_names_and_says_which() {
    let a = Home::new();
    a.add_rust("roll-die");
    a.add_rust("roll-sum");
    let sum = a.enact(&["invoke", "roll-sum", "--input", r#"{"n":2}"#, "--json"]).json();
    let bundle = a.path().join("share.bundle");
    a.enact(&["export", sum["invocation"].as_str().expect("id"), "-o", bundle.to_str().expect("utf-8")]).success();

    let b = Home::new();
    let echo = crate::support::guest("rust", "echo");
    b.enact(&["add", echo.to_str().expect("utf-8"), "--name", "roll-die"]).success();
    let import = b.enact(&["import", bundle.to_str().expect("utf-8"), "--json"]);
    import.success();
    assert!(import.stderr().contains("kept the name `roll-die`: it names"), "{}", import.stderr());
    let kept = &import.json()["names_kept"];
    assert_eq!(kept[0]["name"], "roll-die", "{kept}");
    let names = b.enact(&["ls", "names", "--json"]).json();
    assert_eq!(names[0]["id"], kept[0]["here"], "the store's name did not move");
}

#[test]
fn a_tampered_bundle_is_refused_naming_the_bad_object() {
    let a = Home::new();
    a.add_rust("echo");
    let marker = "a-value-to-tamper-with";
    let inv = a.enact(&["invoke", "echo", "--input", &format!("\"{marker}\""), "--json"]).json();
    let bundle = a.path().join("share.bundle");
    a.enact(&["export", inv["invocation"].as_str().expect("id"), "-o", bundle.to_str().expect("utf-8")]).success();

    let mut bytes = std::fs::read(&bundle).expect("read");
    let at = bytes.windows(marker.len()).position(|w| w == marker.as_bytes()).expect("the value is in the bundle");
    bytes[at] ^= 0x20;
    std::fs::write(&bundle, bytes).expect("write");

    let b = Home::new();
    let before = b.contents();
    let import = b.enact(&["import", bundle.to_str().expect("utf-8")]);
    assert_eq!(import.code(), 2);
    let value = enact::Digest::of(format!("\"{marker}\"").as_bytes());
    assert!(import.stderr().contains(&format!("object `{value}` does not match its hash")), "{}", import.stderr());
    assert_eq!(b.contents(), before);

    let mut old = b"enact-bundle 1\n".to_vec();
    old.extend(&std::fs::read(a.path().join("share.bundle")).expect("read")[BUNDLE_HEADER.len()..]);
    std::fs::write(&bundle, old).expect("write");
    let import = b.enact(&["import", bundle.to_str().expect("utf-8")]);
    assert_eq!(import.code(), 2);
    assert!(import.stderr().contains("bundle format 1, and this enact reads format 6"), "{}", import.stderr());

    std::fs::write(&bundle, b"not a bundle").expect("write");
    let import = b.enact(&["import", bundle.to_str().expect("utf-8")]);
    assert_eq!(import.code(), 2);
    assert!(import.stderr().contains("not an enact bundle"), "{}", import.stderr());
}

/// A bundle as `enact export` writes it: a header line, then postcard.
#[derive(serde::Serialize, serde::Deserialize)]
struct Bundle {
    blobs: std::collections::BTreeMap<enact::Digest, Vec<u8>>,
    components: std::collections::BTreeMap<enact::Digest, Vec<u8>>,
    invocations: std::collections::BTreeMap<enact::Digest, Vec<u8>>,
    names: std::collections::BTreeMap<String, enact::Digest>,
    invokables: std::collections::BTreeMap<String, (enact::Digest, enact::Digest)>,
}

const BUNDLE_HEADER: &[u8] = b"enact-bundle 6\n";

/// An `ask-dice` invocation answered 3, 4, 5, 6: the answers are blobs that
/// only its journal names.
fn answered_ask_dice(home: &Home) -> String {
    home.add_rust("ask-dice");
    let answers = home.path().join("answers.json");
    std::fs::write(&answers, "[3, 4, 5, 6]").expect("write");
    let out = home.enact(&["invoke", "ask-dice", "--answers", answers.to_str().expect("utf-8"), "--json"]);
    let out = out.success().json();
    assert_eq!(out["output"], 15);
    out["invocation"].as_str().expect("id").to_string()
}

#[test]
fn a_bundle_without_a_blob_its_journals_name_is_refused_naming_it() {
    let a = Home::new();
    let id = answered_ask_dice(&a);
    let path = a.path().join("share.bundle");
    a.enact(&["export", &id, "-o", path.to_str().expect("utf-8")]).success();

    let bytes = std::fs::read(&path).expect("read");
    let mut bundle: Bundle = postcard::from_bytes(&bytes[BUNDLE_HEADER.len()..]).expect("a bundle");
    let answer = enact::Digest::of(b"4");
    assert!(bundle.blobs.remove(&answer).is_some(), "the bundle holds the answer");
    let mut bytes = BUNDLE_HEADER.to_vec();
    bytes.extend(postcard::to_stdvec(&bundle).expect("encodes"));
    std::fs::write(&path, bytes).expect("write");

    let b = Home::new();
    let before = b.contents();
    let import = b.enact(&["import", path.to_str().expect("utf-8")]);
    assert_eq!(import.code(), 2, "{}", import.stderr());
    assert!(import.stderr().contains(&format!("needs its answer `{answer}`")), "{}", import.stderr());
    assert_eq!(b.contents(), before, "nothing was imported");
}

#[test]
fn verify_names_a_missing_blob_that_only_a_journal_names() {
    let home = Home::new();
    let id = answered_ask_dice(&home);
    home.enact(&["verify"]).success();
    let answer = enact::Digest::of(b"5");
    crate::support::remove_blob(&home, &answer);
    let verify = home.enact(&["verify"]);
    assert_eq!(verify.code(), 1, "{}", verify.stdout());
    assert!(verify.stdout().contains(&format!("{id}: its answer `{answer}` is missing")), "{}", verify.stdout());
}
