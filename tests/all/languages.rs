use crate::support::{Home, guest};

/// The dice scenario in `language`: it rolls with the language's own random
/// source, which goes through WASI and is journaled.
fn dice_records_and_replays_identically(language: &str) {
    let home = Home::new();
    let path = guest(language, "dice");
    let add = home.enact(&["add", path.to_str().expect("utf-8"), "--name", "py-dice"]);
    add.success();
    let run = home.enact(&["invoke", "py-dice", "--config", r#"{"sides":6}"#, "--input", r#"{"n":20}"#, "--json"]);
    run.success();
    let out = run.json();
    let rolls = out["output"]["rolls"].as_array().expect("rolls");
    assert_eq!(rolls.len(), 20);
    assert!(rolls.iter().all(|r| (1..=6).contains(&r.as_u64().expect("a number"))));

    // The language's random was seeded from WASI's random source: every byte is journaled.
    let id = out["invocation"].as_str().expect("id");
    let show = home.enact(&["show", id, "--events", "--json"]).json();
    let journal = show["journal"].as_array().expect("journal");
    assert!(journal.iter().any(|e| e["request"].as_str().is_some_and(|r| r.starts_with("wasi:random/"))));
    assert!(journal.iter().any(|e| e["request"].as_str().is_some_and(|r| r.starts_with("wasi:clocks/"))));

    let replay = home.enact(&["replay", id, "--json"]);
    replay.success();
    assert_eq!(replay.json()["identical"], true);
    assert_eq!(replay.json()["output"], out["output"]);

    let described = home.enact(&["describe", "py-dice", "--json"]).json();
    assert_eq!(described["name"], "dice");
    assert_eq!(described["pure"], false);
}

#[test]
fn a_python_guest_using_its_own_random_module_records_and_replays_identically() {
    dice_records_and_replays_identically("python");
}

#[test]
fn a_javascript_guest_using_math_random_records_and_replays_identically() {
    dice_records_and_replays_identically("js");
}
