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
    assert!(export.stderr().contains("exported 6 invocations"), "{}", export.stderr());

    let b = Home::new();
    let import = b.enact(&["import", bundle.to_str().expect("utf-8")]);
    import.success();
    assert_eq!(b.enact(&["show", sum_id]).stdout(), a.enact(&["show", sum_id]).stdout());
    for (id, output) in [(sum_id, &sum["output"]), (chat_id, &chat["output"])] {
        let replay = std::process::Command::new(env!("CARGO_BIN_EXE_enact"))
            .args(["replay", id, "--json"])
            .env("ENACT_HOME", b.path())
            .env("ENACT_LLM_URL", "http://127.0.0.1:1/v1")
            .output()
            .expect("enact runs");
        assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stderr));
        let out: serde_json::Value = serde_json::from_slice(&replay.stdout).expect("JSON");
        assert_eq!(&out["output"], output);
        assert_eq!(out["identical"], true);
    }
    b.enact(&["verify"]).success();
    // importing again changes nothing
    let before = b.contents();
    b.enact(&["import", bundle.to_str().expect("utf-8")]).success();
    assert_eq!(b.contents(), before);
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

    std::fs::write(&bundle, b"not a bundle").expect("write");
    let import = b.enact(&["import", bundle.to_str().expect("utf-8")]);
    assert_eq!(import.code(), 2);
    assert!(import.stderr().contains("not an enact bundle"), "{}", import.stderr());
}
