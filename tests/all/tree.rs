use enact::{Digest, Event, ReplayOptions, Runtime};

use crate::support::{Home, guest, seeded_runtime};

fn add(rt: &Runtime, names: &[&str]) {
    for name in names {
        let bytes = std::fs::read(guest("rust", name)).expect("the guest");
        rt.add(&bytes, Some(name)).expect("the guest is added");
    }
}

/// The child invocation ids in a root's journal, in order.
fn children(rt: &Runtime, id: &Digest) -> Vec<Option<Digest>> {
    let inv = rt.load(id).expect("load");
    rt.journal_of(&inv.record)
        .expect("journal")
        .into_iter()
        .filter_map(|e| match e {
            Event::Invoke(call) => Some(call.child),
            _ => None,
        })
        .collect()
}

#[test]
fn quickstart_rewind_one_keeps_the_first_roll_and_resamples_the_second() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 10);
    add(&rt, &["roll-die", "roll-sum"]);
    let roll_sum = rt.resolve_component("roll-sum").expect("roll-sum");
    let first = rt.invoke(enact::Call::new(roll_sum).config("{}").input(r#"{"n":2}"#)).expect("invoke");
    assert_eq!(first.record.events, 2, "two children, one event each");

    let rewound = rt.rewind(&first.id, 1).expect("rewind");
    assert_eq!(rewound.record.outcome.status(), "incomplete");
    assert_eq!(rewound.record.events, 1);
    assert_eq!(rewound.record.parent, Some(first.id));

    let replay = rt.replay(&rewound.id).expect("replay");
    assert!(!replay.identical);
    let second = replay.invocation;
    assert_eq!(second.record.parent, Some(rewound.id));
    assert_eq!(second.record.outcome.status(), "completed");

    let before = children(&rt, &first.id);
    let after = children(&rt, &second.id);
    assert_eq!(before[0], after[0], "the first roll is reused");
    assert_ne!(before[1], after[1], "the second roll is sampled again");

    // nothing changed the originals
    assert_eq!(rt.load(&first.id).expect("load").record, first.record);
    assert!(rt.replay(&first.id).expect("replay").identical);
}

#[test]
fn replaying_a_complete_roll_sum_of_1000_instantiates_no_child() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 11);
    add(&rt, &["roll-die", "roll-sum"]);
    let roll_sum = rt.resolve_component("roll-sum").expect("roll-sum");
    let before = rt.instantiations();
    let recorded = rt.invoke(enact::Call::new(roll_sum).config("{}").input(r#"{"n":1000}"#)).expect("invoke");
    assert_eq!(rt.instantiations() - before, 1001, "the root and 1000 children");

    let before = rt.instantiations();
    let replay = rt.replay(&recorded.id).expect("replay");
    assert_eq!(rt.instantiations() - before, 1, "only the root runs again");
    assert!(replay.identical);
    assert_eq!(replay.invocation.output, recorded.output);
}

#[test]
fn the_depth_limit_stops_runaway_nesting_with_a_clear_error() {
    let home = Home::new();
    let limits = enact::Limits { max_depth: 4, ..Default::default() };
    let rt = crate::support::seeded_builder(&home, 12).limits(limits).build().expect("the runtime builds");
    add(&rt, &["nest"]);
    let nest = rt.resolve_component("nest").expect("nest");
    let ok = rt.invoke(enact::Call::new(nest).config("{}").input(r#"{"depth":4}"#)).expect("invoke");
    assert_eq!(ok.output, Some(serde_json::json!(4)));

    let deep = rt.invoke(enact::Call::new(nest).config("{}").input(r#"{"depth":5}"#)).expect("invoke");
    let enact::Outcome::Failed { error } = &deep.record.outcome else {
        panic!("expected a failure, got {:?}", deep.record.outcome);
    };
    assert_eq!(error.code, "trapped");
    assert!(error.message.contains("child depth limit of 4 exceeded"), "{error}");
    assert!(rt.replay(&deep.id).expect("replay").identical);
}

#[test]
fn an_override_replaces_one_response_and_goes_on_live() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 13);
    add(&rt, &["roll-die", "roll-sum"]);
    let roll_sum = rt.resolve_component("roll-sum").expect("roll-sum");
    let original = rt.invoke(enact::Call::new(roll_sum).config(r#"{"sides":6}"#).input(r#"{"n":3}"#)).expect("invoke");
    let first_roll = {
        let child = children(&rt, &original.id)[0].expect("a child");
        rt.load(&child).expect("load").output.expect("an output")
    };
    let options = ReplayOptions { override_event: Some((1, serde_json::json!(100))), ..Default::default() };
    let replay = rt.replay_with(&original.id, options).expect("replay");
    let fork = replay.invocation;
    assert_eq!(fork.record.parent, Some(original.id));
    let kids = children(&rt, &fork.id);
    assert_eq!(kids.len(), 3);
    assert_eq!(kids[0], children(&rt, &original.id)[0], "before the override: reused");
    assert_eq!(kids[1], None, "the overridden child did not run");
    let sum = fork.output.expect("an output").as_u64().expect("a number");
    let third = rt.load(&kids[2].expect("a live child")).expect("load").output.expect("output");
    assert_eq!(sum, first_roll.as_u64().expect("n") + 100 + third.as_u64().expect("n"));
    assert!(rt.replay(&original.id).expect("replay").identical, "the original is untouched");
}

#[test]
fn a_failed_child_is_reused_unless_asked_to_retry() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 14);
    add(&rt, &["catch", "fail", "roll-die"]);
    let catch = rt.resolve_component("catch").expect("catch");
    let recorded = rt.invoke(enact::Call::new(catch).config("{}").input("null")).expect("invoke");
    let caught = recorded.output.clone().expect("output");
    assert_eq!(caught["caught"], "deliberate: the child failed");

    let before = rt.instantiations();
    assert!(rt.replay(&recorded.id).expect("replay").identical);
    assert_eq!(rt.instantiations() - before, 1, "the failed child is reused");

    let before = rt.instantiations();
    let options = ReplayOptions { retry_failed: true, ..Default::default() };
    let retried = rt.replay_with(&recorded.id, options).expect("replay");
    assert!(!retried.identical);
    assert_eq!(rt.instantiations() - before, 3, "root, the failing child again, and a new roll");
    assert_eq!(retried.invocation.record.parent, Some(recorded.id));
    // `fail` is deterministic: running it again seals the very same record,
    // so content addressing gives the very same child id.
    assert_eq!(children(&rt, &retried.invocation.id)[0], children(&rt, &recorded.id)[0]);
}

#[test]
fn rewinding_past_the_start_is_an_error() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 15);
    add(&rt, &["roll-die", "roll-sum"]);
    let roll_sum = rt.resolve_component("roll-sum").expect("roll-sum");
    let inv = rt.invoke(enact::Call::new(roll_sum).config("{}").input(r#"{"n":2}"#)).expect("invoke");
    let err = rt.rewind(&inv.id, 3).expect_err("too far").to_string();
    assert_eq!(err, "cannot rewind 3 events: the journal holds 2");
}

#[test]
fn the_quickstart_story_through_the_cli() {
    let home = Home::new();
    for name in ["roll-die", "roll-sum"] {
        home.add_rust(name);
    }
    let first = home.enact_seeded(1, &["invoke", "roll-sum", "--input", r#"{"n":2}"#, "--json"]);
    first.success();
    let id = first.json()["invocation"].as_str().expect("id").to_string();
    let show_first = home.enact(&["show", &id]);
    show_first.success();
    insta::assert_snapshot!("roll_sum_tree", show_first.stdout());

    let rewind = home.enact(&["rewind", &id, "1"]);
    rewind.success();
    let rewound = rewind.stdout().trim().to_string();
    insta::assert_snapshot!("roll_sum_rewound", home.enact(&["show", &rewound]).stdout());

    let replay = home.enact_seeded(100, &["replay", &rewound, "--json"]);
    replay.success();
    let second = replay.json()["invocation"].as_str().expect("id").to_string();
    let show_second = home.enact(&["show", &second]).stdout();
    insta::assert_snapshot!("roll_sum_resampled", show_second);
    let first_lines: Vec<_> = show_first.stdout().lines().map(str::to_string).collect();
    let second_lines: Vec<_> = show_second.lines().map(str::to_string).collect();
    assert_eq!(first_lines[1], second_lines[1], "the first roll is kept");

    insta::assert_snapshot!("roll_sum_events", home.enact(&["show", &second, "--events"]).stdout());
    let depth0 = home.enact(&["show", &second, "--depth", "0"]).stdout();
    assert_eq!(depth0.lines().count(), 2, "{depth0}");
    assert!(depth0.ends_with("  … 2 more roll-die children not shown (depth limit 0)\n"), "{depth0}");
}

#[test]
fn show_marks_overridden_and_failed_children() {
    let home = Home::new();
    for name in ["catch", "fail", "roll-die"] {
        home.add_rust(name);
    }
    let inv = home.enact_seeded(3, &["invoke", "catch", "--json"]).json();
    let id = inv["invocation"].as_str().expect("id");
    insta::assert_snapshot!("catch_tree", home.enact(&["show", id]).stdout());
    let fork = home.enact_seeded(4, &["replay", id, "--override", "1=6", "--json"]);
    fork.success();
    let fork_id = fork.json()["invocation"].as_str().expect("id").to_string();
    insta::assert_snapshot!("catch_overridden", home.enact(&["show", &fork_id]).stdout());
    let tree = home.enact(&["show", &fork_id, "--json"]).json();
    assert_eq!(tree["children"][1]["overridden"], true);
    assert_eq!(tree["children"][0]["status"], "failed");
}

#[test]
fn replaying_a_caller_continues_a_child_that_did_not_finish() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 16);
    add(&rt, &["roll-die", "roll-sum"]);
    let roll_sum = rt.resolve_component("roll-sum").expect("roll-sum");
    let inv = rt.invoke(enact::Call::new(roll_sum).config("{}").input(r#"{"n":2}"#)).expect("invoke");
    let kids = children(&rt, &inv.id);
    // A caller cut off inside its second child: the child is incomplete.
    let cut = rt.rewind(&kids[1].expect("a child"), 1).expect("rewind");
    let mut journal = rt.journal_of(&inv.record).expect("journal");
    let Event::Invoke(call) = journal[1].clone() else {
        panic!("an invoke event");
    };
    let cut_journal = rt.journal_of(&cut.record).expect("journal");
    let sealed = enact::SealedChild::seal(cut.record.clone(), cut_journal, &[]);
    assert_eq!(sealed.id, cut.id, "sealed in its caller, a record keeps its id");
    journal[1] = Event::Invoke(Box::new(enact::ChildCall {
        child: Some(cut.id),
        result: enact::ChildResult::Incomplete,
        sealed: Some(enact::Sealed::Inline(std::sync::Arc::new(sealed))),
        ..*call
    }));
    let mut record = inv.record.clone();
    let chunks = enact::chunks::chunks(&journal);
    rt.storage()
        .write(|w| w.put_hashed_blobs(chunks.iter().map(|(digest, bytes)| (digest, bytes.as_slice()))))
        .expect("write");
    record.journal = chunks.last().expect("a chunk").0;
    record.outcome = enact::Outcome::Incomplete;
    let caller = crate::support::store_record(&rt, &record);

    let before = rt.instantiations();
    let replay = rt.replay(&caller).expect("replay");
    assert_eq!(rt.instantiations() - before, 2, "the caller and the continued child");
    let fork = replay.invocation;
    assert_eq!(fork.record.outcome.status(), "completed", "{:?}", fork.record.outcome);
    let new_kids = children(&rt, &fork.id);
    assert_eq!(new_kids[0], kids[0]);
    let continued = rt.load(&new_kids[1].expect("a child")).expect("load");
    assert_eq!(continued.record.parent, Some(cut.id), "the child continued from where it was cut");
}

#[test]
fn a_pure_child_seen_before_is_answered_from_the_store() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 17);
    add(&rt, &["catch", "fail", "roll-die"]);
    let catch = rt.resolve_component("catch").expect("catch");
    let before = rt.instantiations();
    let first = rt.invoke(enact::Call::new(catch).config("{}").input("null")).expect("invoke");
    assert_eq!(rt.instantiations() - before, 3);

    // `fail` imports nothing nondeterministic: its earlier result is reused.
    let before = rt.instantiations();
    let second = rt.invoke(enact::Call::new(catch).config("{}").input("null")).expect("invoke");
    assert_eq!(rt.instantiations() - before, 2, "catch and roll-die run; fail does not");
    let journal = rt.journal_of(&second.record).expect("journal");
    let Event::Invoke(call) = &journal[0] else { panic!("an invoke event") };
    assert!(call.memoized);
    assert_eq!(call.child, children(&rt, &first.id)[0]);
    assert_eq!(second.output.as_ref().expect("output")["caught"], "deliberate: the child failed");
    assert!(rt.replay(&second.id).expect("replay").identical);
}

#[test]
fn overrides_take_values_as_show_prints_them_and_answers_fit_their_schema() {
    let home = Home::new();
    home.add_rust("clock");
    home.add_rust("ask-dice");
    let clock = home.enact(&["invoke", "clock", "--json"]).json();
    let clock = clock["invocation"].as_str().expect("id").to_string();
    // event 1 is the wall clock, shown as RFC 3339: override it in that form
    let shown = home.enact(&["show", &clock, "--events"]).stdout();
    assert!(shown.contains("#1 wasi:clocks/wall-clock.now -> 20"), "{shown}");
    let forked = home.enact(&["replay", &clock, "--override", "1=2030-01-01T00:00:00Z", "--json"]).json();
    assert_eq!(forked["output"]["seconds"], 1_893_456_000, "{forked}");

    let asked = home.enact(&["invoke", "ask-dice", "--answers", "[2, 3, 4]", "--json"]).json();
    let asked = asked["invocation"].as_str().expect("id").to_string();
    let refused = home.enact(&["replay", &asked, "--override", "1=9"]);
    assert_eq!(refused.code(), 2, "{}", refused.stderr());
    assert!(refused.stderr().contains("cannot override event 1"), "{}", refused.stderr());

    // one way to continue: a rewound run replays with answers for what it asks anew
    let zero = home.enact(&["rewind", &asked, "0"]);
    assert_eq!(zero.code(), 2);
    assert!(zero.stderr().contains("would keep the whole journal"), "{}", zero.stderr());
    let rewound = home.enact(&["rewind", &asked, "1"]).success().stdout().trim().to_string();
    let done = home.enact(&["replay", &rewound, "--answers", "[6]", "--json"]).json();
    assert_eq!(done["output"], 9, "{done}");
}

#[test]
fn show_at_scale_says_what_it_cut_and_collapses_like_events() {
    let home = Home::new();
    home.add_rust("roll-die");
    home.add_rust("roll-sum");
    home.add_rust("dice");
    let sum = home.enact(&["invoke", "roll-sum", "--input", r#"{"n":30}"#, "--json"]).json();
    let shown = home.enact(&["show", sum["invocation"].as_str().expect("id")]).stdout();
    assert_eq!(shown.lines().count(), 22, "the root, 20 children, and what was cut: {shown}");
    assert!(shown.ends_with("  … 10 more roll-die children not shown (`--children N` shows more)\n"), "{shown}");

    let dice = home.enact(&["invoke", "dice", "--input", r#"{"n":500}"#, "--json"]).json();
    let id = dice["invocation"].as_str().expect("id");
    let events = home.enact(&["show", id, "--events"]).stdout();
    assert_eq!(events.lines().count(), 2, "{events}");
    assert!(events.contains("#0-#499 random.next-u64 ×500 (first: random.next-u64 -> "), "{events}");
    // long values are cut to their start and size unless --full
    assert!(events.lines().next().expect("a line").contains("… ("), "{events}");
    assert!(!home.enact(&["show", id, "--full"]).stdout().contains("… ("));
    assert_eq!(home.enact(&["show", id, "--events", "clock"]).stdout().lines().count(), 1, "no clock events");
}

/// The packs a sealed invocation's journal keeps its children in, each once.
fn packs(rt: &Runtime, id: &Digest) -> Vec<Digest> {
    let mut packs = Vec::new();
    for event in rt.journal_of(&rt.load(id).expect("load").record).expect("journal") {
        if let Event::Invoke(call) = event
            && let Some(enact::Sealed::Packed { pack, .. }) = call.sealed
            && !packs.contains(&pack)
        {
            packs.push(pack);
        }
    }
    packs
}

#[test]
fn a_tree_is_sealed_as_a_few_blobs_and_a_fork_names_the_pack_it_went_on_from() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 23);
    add(&rt, &["roll-die", "roll-sum"]);
    let roll_sum = rt.resolve_component("roll-sum").expect("roll-sum");
    let blobs = || rt.storage().read().expect("a reader").verify_blobs().expect("blobs").0;
    let before = blobs();
    let inv = rt.invoke(enact::Call::new(roll_sum).config("{}").input(r#"{"n":200}"#)).expect("invoke");
    // Values (the die has six faces), the journal, one pack and the record:
    // not two hundred records and journals.
    let added = blobs() - before;
    assert!(added <= 20, "{added} blobs for a tree of 200 children");
    let original = packs(&rt, &inv.id);
    assert_eq!(original.len(), 1, "one pack holds the tree's children");

    let rewound = rt.rewind(&inv.id, 1).expect("rewind");
    assert_eq!(packs(&rt, &rewound.id), original, "the rewound copy names the original's pack");
    let fork = rt.resume(&rewound.id, None, enact::ReplayOptions::default()).expect("resume");
    let forked = packs(&rt, &fork.id);
    assert_eq!(forked.len(), 2, "{forked:?}");
    assert_eq!(forked[0], original[0], "199 children are the original's, shared");

    // A child is found by its id alone, and it replays where it was.
    let kids = children(&rt, &fork.id);
    let last = kids[199].expect("a child");
    assert_eq!(rt.load(&last).expect("a child loads by its id").id, last);
    assert_eq!(rt.resolve_invocation(&last.hex()[..12]).expect("a prefix resolves"), last);
    assert_eq!(kids[..199], children(&rt, &inv.id)[..199]);
    assert!(rt.replay(&last).expect("a child replays").identical);
    let report = rt.verify().expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[test]
fn a_tree_says_how_long_each_run_took_and_its_id_does_not_depend_on_it() {
    let home = Home::new();
    home.add_rust("roll-sum");
    home.add_rust("roll-die");
    let first = home.enact_seeded(5, &["invoke", "roll-sum", "--input", r#"{"n":3}"#, "--json"]);
    let tree = home.enact(&["show", first.success().json()["invocation"].as_str().expect("an id"), "--json"]).json();
    let took = |node: &serde_json::Value| node["took_us"].as_u64();
    assert!(took(&tree).is_some(), "{tree}");
    let children = tree["children"].as_array().expect("children");
    assert_eq!(children.len(), 3);
    assert!(children.iter().all(|c| took(c).is_some_and(|us| us <= took(&tree).unwrap_or(0))), "{tree}");
    // The same run again, with the same live values: the same invocation, however long it took.
    let again = home.enact_seeded(5, &["invoke", "roll-sum", "--input", r#"{"n":3}"#, "--json"]);
    assert_eq!(again.success().json()["invocation"], first.json()["invocation"]);
}
