use crate::support::Home;

fn id_of(run: &serde_json::Value) -> String {
    run["invocation"].as_str().expect("an invocation id").to_string()
}

/// A roll-sum of two dice, rewound by one event and resumed: the original,
/// the rewound copy (its parent is the original) and the fork (its parent
/// is the rewound copy), which shares the first child with the original.
fn forked_roll_sum(home: &Home) -> (String, String, String) {
    home.add_rust("roll-die");
    home.add_rust("roll-sum");
    let original = id_of(&home.enact(&["invoke", "roll-sum", "--input", r#"{"n":2}"#, "--json"]).success().json());
    let rewound = home.enact(&["rewind", &original, "1"]).success().stdout().trim().to_string();
    let forked = id_of(&home.enact(&["resume", &rewound, "--json"]).success().json());
    (original, rewound, forked)
}

#[test]
fn rm_takes_a_tree_out_and_gc_frees_its_storage_without_breaking_what_stays() {
    let home = Home::new();
    for guest in ["roll-die", "roll-sum", "echo"] {
        home.add_rust(guest);
    }
    let sum = home.enact(&["invoke", "roll-sum", "--input", r#"{"n":3}"#, "--json"]).success().json();
    let echo = home.enact(&["invoke", "echo", "--input", r#""kept""#, "--json"]).success().json();
    let (sum, echo) = (id_of(&sum), id_of(&echo));
    let children: Vec<String> = home.enact(&["show", &sum, "--json"]).json()["children"]
        .as_array()
        .expect("children")
        .iter()
        .map(|c| c["invocation"].as_str().expect("a child id").to_string())
        .collect();
    assert_eq!(children.len(), 3);

    // A child is part of its tree: it goes with the root, not alone.
    let before = home.contents();
    let refused = home.enact(&["rm", &children[0]]);
    assert_eq!(refused.code(), 2);
    assert!(refused.stderr().contains("is a child invocation, sealed in its caller's journal"), "{}", refused.stderr());
    assert_eq!(home.contents(), before, "nothing was removed");

    let rm = home.enact(&["rm", &sum, "--json"]);
    rm.success();
    assert!(rm.stderr().contains("removed 1 invocation and 3 children"), "{}", rm.stderr());
    assert_eq!(rm.json()["invocations"].as_array().expect("ids").len(), 1);
    assert_eq!(rm.json()["children"], 3);
    let ls = home.enact(&["ls", "invocations", "--json"]).json();
    let left: Vec<&str> = ls.as_array().expect("rows").iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(left, [echo.as_str()]);
    assert_eq!(home.enact(&["show", &sum]).code(), 2);

    let gc = home.enact(&["gc", "--json"]);
    gc.success();
    let freed = gc.json();
    assert!(freed["blobs"].as_u64().expect("blobs") > 0, "{freed}");
    assert!(freed["bytes"].as_u64().expect("bytes") > 0, "{freed}");
    assert_eq!(freed["components"], 0, "every component is named: {freed}");
    assert!(gc.stderr().starts_with("freed "), "{}", gc.stderr());
    home.enact(&["verify"]).success();
    let replay = home.enact(&["replay", &echo, "--json"]).success().json();
    assert_eq!(replay["identical"], true);
    assert_eq!(replay["output"], "kept");
    // The named components stay and run.
    home.enact(&["invoke", "roll-sum", "--input", r#"{"n":2}"#]).success();

    let again = home.enact(&["gc"]);
    again.success();
    assert!(again.stderr().contains("nothing to free"), "{}", again.stderr());
}

#[test]
fn rm_refuses_an_invocation_another_went_on_from_until_both_go() {
    let home = Home::new();
    let (original, rewound, forked) = forked_roll_sum(&home);

    let before = home.contents();
    let refused = home.enact(&["rm", &original]);
    assert_eq!(refused.code(), 2);
    assert!(refused.stderr().contains("is the parent invocation of"), "{}", refused.stderr());
    assert_eq!(home.contents(), before, "nothing was removed");

    // Without the fork's descendants, the original goes; the fork stays whole.
    home.enact(&["rm", &forked]).success();
    home.enact(&["rm", &rewound]).success();
    home.enact(&["rm", &original]).success();
    home.enact(&["gc"]).success();
    home.enact(&["verify"]).success();
    assert_eq!(home.enact(&["ls", "invocations", "--json"]).json(), serde_json::json!([]));
}

#[test]
fn gc_keeps_the_children_a_removed_fork_shared_and_drops_components_nothing_names() {
    let home = Home::new();
    let (original, _rewound, forked) = forked_roll_sum(&home);
    home.enact(&["rm", &forked]).success();
    // The rewound invocation refers to the original: all of it stays.
    home.enact(&["gc"]).success();
    home.enact(&["verify"]).success();
    let replay = home.enact(&["replay", &original, "--json"]).success().json();
    assert_eq!(replay["identical"], true);

    // A component with no name and no invocation goes, with its compiled code.
    let echo = home.add_rust("echo");
    home.enact(&["unname", "echo"]).success();
    let gc = home.enact(&["gc", "--json"]).success().json();
    assert_eq!(gc["components"], 1, "{gc}");
    assert_eq!(gc["artifacts"], 1, "{gc}");
    let ls = home.enact(&["ls", "components", "--json"]).json();
    assert!(ls.as_array().expect("rows").iter().all(|c| c["id"] != echo.as_str()), "{ls}");
    home.enact(&["verify"]).success();
}

/// A value over 16,000 bytes is stored in pieces: `gc` frees all of them
/// with the invocation that named it, and counts the value once.
#[test]
fn gc_frees_every_piece_of_a_large_value() {
    let home = Home::new();
    home.add_rust("echo");
    let text = "x".repeat(40_000);
    let large = home.enact(&["invoke", "echo", "--input", &format!("\"{text}\""), "--json"]).success().json();
    let kept = home.enact(&["invoke", "echo", "--input", r#""kept""#, "--json"]).success().json();
    home.enact(&["rm", &id_of(&large)]).success();

    let freed = home.enact(&["gc", "--json"]).success().json();
    // The value (input and output alike) and the record: the value is 40,002 bytes in three pieces.
    assert!(freed["bytes"].as_u64().expect("bytes") > 40_000, "{freed}");
    let after = home.enact(&["gc", "--json"]).success().json();
    assert_eq!(after["blobs"], 0, "nothing of it is left: {after}");
    home.enact(&["verify"]).success();
    let replay = home.enact(&["replay", &id_of(&kept), "--json"]).success().json();
    assert_eq!(replay["output"], "kept");
}
