use crate::support::{Home, guest};

#[test]
fn a_python_guest_using_its_own_random_module_records_and_replays_identically() {
    let home = Home::new();
    let path = guest("python", "dice");
    let add = home.enact(&["add", path.to_str().expect("utf-8"), "--name", "py-dice"]);
    add.success();
    let run = home.enact(&["invoke", "py-dice", "--config", r#"{"sides":6}"#, "--input", r#"{"n":20}"#, "--json"]);
    run.success();
    let out = run.json();
    let rolls = out["output"]["rolls"].as_array().expect("rolls");
    assert_eq!(rolls.len(), 20);
    assert!(rolls.iter().all(|r| (1..=6).contains(&r.as_u64().expect("a number"))));

    // CPython seeded `random` from WASI's random source: every byte is journaled.
    let id = out["invocation"].as_str().expect("id");
    let show = home.enact(&["show", id, "--events", "--json"]).json();
    let journal = show["journal"].as_array().expect("journal");
    assert!(journal.iter().any(|e| e["request"].as_str().is_some_and(|r| r.starts_with("wasi:random/"))));
    assert!(journal.iter().any(|e| e["request"] == "wasi:clocks/wall-clock.now"));

    let replay = home.enact(&["replay", id, "--json"]);
    replay.success();
    assert_eq!(replay.json()["identical"], true);
    assert_eq!(replay.json()["output"], out["output"]);

    let described = home.enact(&["describe", "py-dice", "--json"]).json();
    assert_eq!(described["name"], "dice");
    assert_eq!(described["pure"], false);
}
