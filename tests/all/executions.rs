//! Executions as data: `diff` of two runs, `check` of an upgrade against
//! the stored runs, saved expectations and annotations, datasets, and the
//! engine in the record.

use serde_json::{Value, json};

use crate::support::{Home, guest, seeded_runtime, store_record};

#[test]
fn diff_of_a_run_and_its_rewound_fork_names_the_first_resampled_event() {
    let home = Home::new();
    home.add_rust("dice");
    let first = home.enact_seeded(1, &["invoke", "dice", "--input", r#"{"n":3}"#, "--json"]);
    let original = crate::support::Run::invocation(first.success());
    home.enact(&["rewind", &original, "1"]).success();
    let fork = crate::support::Run::invocation(home.enact_seeded(2, &["replay", "last", "--json"]).success());
    let diff = home.enact(&["diff", &original, &fork, "--json"]);
    assert_eq!(diff.code(), 1, "two runs that differ: {}", diff.stderr());
    let diff = diff.json();
    let first_divergence = &diff["first_divergence"];
    assert_eq!(first_divergence["index"], 2, "{diff}");
    assert_eq!(first_divergence["a"]["request"], "random.next-u64");
    assert_eq!(first_divergence["a"]["request"], first_divergence["b"]["request"]);
    assert_ne!(first_divergence["a"]["response"], first_divergence["b"]["response"], "{diff}");
    let (a, b) = (home.enact(&["show", &original, "--json"]).json(), home.enact(&["show", &fork, "--json"]).json());
    assert_eq!(diff["outcomes"]["same"], json!(a["output"] == b["output"]));
    assert_eq!(diff["outcomes"]["a"]["output"], a["output"]);
    let text = home.enact(&["diff", &original, &fork]).stdout();
    assert!(text.starts_with("first divergent event: #2\n"), "{text}");
    // A run against itself: the same, exit 0.
    let same = home.enact(&["diff", &original, &original, "--json"]);
    assert_eq!((same.code(), &same.json()["same"]), (0, &json!(true)));
    assert_eq!(same.json()["first_divergence"], Value::Null);
}

#[test]
fn diff_names_the_children_that_changed() {
    let home = Home::new();
    home.add_rust("roll-sum");
    home.add_rust("roll-die");
    let original = crate::support::Run::invocation(
        home.enact_seeded(1, &["invoke", "roll-sum", "--input", r#"{"n":3}"#, "--json"]).success(),
    );
    home.enact(&["rewind", &original, "2"]).success();
    let fork = crate::support::Run::invocation(home.enact_seeded(7, &["replay", "last", "--json"]).success());
    let diff = home.enact(&["diff", &original, &fork, "--json"]).json();
    let changed: Vec<u64> =
        diff["children"]["changed"].as_array().expect("a list").iter().filter_map(|c| c["event"].as_u64()).collect();
    assert!(changed.iter().all(|e| *e >= 1), "the first child is shared: {diff}");
    assert_eq!(diff["first_divergence"]["index"].as_u64(), changed.first().copied(), "{diff}");
    assert_eq!(diff["children"]["added"], json!([]));
    assert_eq!(diff["children"]["removed"], json!([]));
}

/// The children's outputs of a roll-sum run, in order.
fn rolls(home: &Home, id: &str) -> Vec<u64> {
    let tree = home.enact(&["show", id, "--json"]).json();
    tree["children"].as_array().expect("children").iter().map(|c| c["output"].as_u64().expect("a roll")).collect()
}

#[test]
fn check_of_a_changed_roll_sum_reports_which_runs_diverge_and_where() {
    let home = Home::new();
    home.add_rust("roll-sum");
    home.add_rust("roll-die");
    let mut runs = Vec::new();
    for seed in 1..=8 {
        let run = home.enact_seeded(seed, &["invoke", "roll-sum", "--input", r#"{"n":3}"#, "--json"]);
        runs.push(crate::support::Run::invocation(run.success()));
    }
    let v2 = guest("rust", "roll-sum-v2");
    home.enact(&["add", v2.to_str().expect("utf-8"), "--name", "roll-sum-v2"]).success();
    let before = home.contents();
    let check = home.enact(&["check", "roll-sum-v2", "--against", "roll-sum", "--json"]);
    assert_eq!(home.contents(), before, "a check writes nothing");
    let results = check.json()["results"].as_array().cloned().expect("results");
    assert_eq!(results.len(), runs.len());
    // Version 2 rolls a 1 again: a run with a 1 asks for a fourth die.
    let mut seen = std::collections::BTreeSet::new();
    for result in &results {
        let id = result["invocation"].as_str().expect("an id");
        let expected = if rolls(&home, id).contains(&1) { "diverged" } else { "identical" };
        assert_eq!(result["result"], expected, "{result}");
        if expected == "diverged" {
            assert_eq!(result["event"], 3, "where: {result}");
            assert_eq!(result["recorded"], "the end of the journal");
            assert!(result["asked"].as_str().is_some_and(|a| a.contains("roll-die")), "{result}");
        }
        seen.insert(expected);
    }
    assert_eq!(seen.len(), 2, "the seeds give runs of both kinds: {results:?}");
    assert_eq!(check.code(), 1, "some differ");
    let text = home.enact(&["check", "roll-sum-v2", "--against", "roll-sum"]).stdout();
    assert!(text.contains("diverged at event #3: the journal has `the end of the journal`"), "{text}");
    // Checked against itself, every run is identical.
    let same = home.enact(&["check", "roll-sum", "--against", "roll-sum", "--json"]);
    assert_eq!(same.code(), 0);
    assert_eq!(same.json()["counts"], json!({"identical": 8}));
}

#[test]
fn expectations_follow_the_name_and_annotations_stay_beside_the_run() {
    let home = Home::new();
    home.add_rust("roll-sum");
    home.add_rust("roll-die");
    // A run that rolled a 1, and one that did not.
    let (mut with_one, mut without) = (None, None);
    for seed in 1..=20 {
        let id = crate::support::Run::invocation(
            home.enact_seeded(seed, &["invoke", "roll-sum", "--input", r#"{"n":3}"#, "--json"]).success(),
        );
        let slot = if rolls(&home, &id).contains(&1) { &mut with_one } else { &mut without };
        slot.get_or_insert(id);
    }
    let (with_one, without) = (with_one.expect("a run with a 1"), without.expect("a run without"));
    home.enact(&["expect", &with_one, "--name", "has-a-one"]).success();
    home.enact(&["expect", &without, "--name", "no-ones"]).success();
    let run = home.enact(&["expect", "run"]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
    assert_eq!(run.stdout().matches("as expected").count(), 2, "{}", run.stdout());
    // The name moves to version 2: the run with a 1 changes.
    let v2 = guest("rust", "roll-sum-v2");
    home.enact(&["add", v2.to_str().expect("utf-8"), "--name", "roll-sum", "--force"]).success();
    let run = home.enact(&["expect", "run", "--json"]);
    assert_eq!(run.code(), 1);
    let results = run.json()["results"].as_array().cloned().expect("results");
    let by_name = |name: &str| results.iter().find(|r| r["name"] == name).cloned().expect("a result");
    assert_eq!(by_name("has-a-one")["result"], "diverged");
    assert_eq!(by_name("no-ones")["result"], "identical");
    let listed = home.enact(&["expect", "ls", "--json"]).json();
    assert_eq!(listed.as_array().map(Vec::len), Some(2));

    // Annotations: a run's and an event's; a bad one changes nothing.
    home.enact(&["annotate", &with_one, "--label", "unlucky", "--score", "0.25"]).success();
    home.enact(&["annotate", &with_one, "--event", "1", "--label", "a one", "--note", "rolled 1"]).success();
    let bad = home.enact(&["annotate", &with_one, "--event", "9", "--label", "nowhere"]);
    assert_eq!(bad.code(), 2, "{}", bad.stderr());
    let rt = seeded_runtime(&home, 1);
    let digest: enact::Digest = with_one.parse().expect("a digest");
    let annotations: Vec<Value> = rt.storage().read().expect("read").annotations(&digest).expect("annotations");
    assert_eq!(annotations.len(), 2, "{annotations:?}");
    assert_eq!((&annotations[0]["label"], &annotations[0]["score"]), (&json!("unlucky"), &json!(0.25)));
    assert_eq!((&annotations[1]["event"], &annotations[1]["note"]), (&json!(1), &json!("rolled 1")));
    drop(rt);
    // The invocation is unchanged, and goes with what was said of it.
    home.enact(&["replay", &with_one]).success();
    home.enact(&["rm", &with_one]).success();
    let rt = seeded_runtime(&home, 1);
    let left: Vec<Value> = rt.storage().read().expect("read").annotations(&digest).expect("annotations");
    assert!(left.is_empty());
    drop(rt);
    let listed = home.enact(&["expect", "ls", "--json"]).json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
}

#[test]
fn dataset_export_of_chat_runs_is_chat_jsonl_that_matches_the_journals() {
    let home = Home::new();
    home.add_rust("chat");
    home.add_rust("dice");
    let script = home.path().join("script.json");
    std::fs::write(&script, r#"{"hi": "Hello!", "what is 2+2?": "Four.", "tell me a joke": "A pun."}"#).expect("write");
    let llm = format!("scripted:{}", script.display());
    let mut runs = Vec::new();
    for (i, said) in
        [r#"["hi", "stop"]"#, r#"["hi", "what is 2+2?", "stop"]"#, r#"["tell me a joke", "stop"]"#].iter().enumerate()
    {
        let answers = home.path().join(format!("answers{i}.json"));
        std::fs::write(&answers, said).expect("write");
        let run =
            home.enact(&["invoke", "chat", "--llm", &llm, "--answers", answers.to_str().expect("utf-8"), "--json"]);
        runs.push(crate::support::Run::invocation(run.success()));
    }
    home.enact(&["invoke", "dice", "--input", r#"{"n":1}"#]).success();
    home.enact(&["annotate", &runs[1], "--event", "3", "--label", "right", "--score", "1"]).success();
    let file = home.path().join("chats.jsonl");
    home.enact(&[
        "dataset",
        "export",
        "--component",
        "chat",
        "--format",
        "chat-jsonl",
        "-o",
        file.to_str().expect("utf-8"),
    ])
    .success();
    let lines: Vec<Value> = std::fs::read_to_string(&file)
        .expect("the file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 4, "one example per completion: {lines:?}");
    for line in &lines {
        let messages = line["messages"].as_array().expect("messages");
        assert_eq!(messages.last().expect("a reply")["role"], "assistant");
        assert!(messages.iter().all(|m| m["role"].is_string() && m["content"].is_string()), "{line}");
        // The reply is the last assistant message of the run's transcript with that many turns.
        let id = line["metadata"]["invocation"].as_str().expect("an id");
        let transcript = home.enact(&["show", id, "--json"]).json()["output"].clone();
        // messages: the system's, then the transcript up to this reply (the transcript has no system message).
        let reply = messages.len() - 1;
        assert_eq!(messages[0]["role"], "system");
        for (i, message) in messages.iter().enumerate().skip(1) {
            assert_eq!(transcript[i - 1], *message, "{line}");
        }
        assert_eq!(transcript[reply - 1]["role"], "assistant");
    }
    let scored: Vec<&Value> = lines.iter().filter(|l| l["metadata"]["score"] == 1.0).collect();
    assert_eq!(scored.len(), 1, "the annotated completion carries its score");
    assert_eq!(
        scored[0]["messages"].as_array().and_then(|m| m.last()).map(|m| m["content"].clone()),
        Some(json!("Four."))
    );
    // Input/output pairs of completed runs; annotated ones only.
    let pairs = home.enact(&["dataset", "export", "--annotated", "--format", "jsonl"]);
    let pairs: Vec<Value> = pairs.success().stdout().lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0]["metadata"]["invocation"], runs[1].as_str());
    assert_eq!(pairs[0]["output"][3]["content"], "Four.");
}

#[test]
fn a_run_of_another_engine_says_so_and_replays_identically() {
    let home = Home::new();
    home.add_rust("dice");
    let id =
        crate::support::Run::invocation(home.enact(&["invoke", "dice", "--input", r#"{"n":2}"#, "--json"]).success());
    let rt = seeded_runtime(&home, 1);
    let digest: enact::Digest = id.parse().expect("a digest");
    let mut record = rt.load(&digest).expect("the run").record;
    assert_eq!(record.engine.enact.as_deref(), Some(env!("CARGO_PKG_VERSION")), "the record names the runtime");
    record.engine.enact = Some("0.0.1".into());
    let older = store_record(&rt, &record);
    drop(rt);
    let replay = home.enact(&["replay", &older.to_string()]);
    replay.success();
    assert!(replay.stderr().contains("recorded by enact 0.0.1 on wasmtime"), "{}", replay.stderr());
    assert!(replay.stderr().contains("replay identical on this engine"), "{}", replay.stderr());
    let json = home.enact(&["replay", &older.to_string(), "--json"]).json();
    assert_eq!(json["other_engine"]["enact"], "0.0.1");
    assert_eq!(json["identical"], true);
    // The same engine says nothing of it.
    let same = home.enact(&["replay", &id]);
    assert!(!same.stderr().contains("recorded by"), "{}", same.stderr());
}

/// The journal chunks of invocation `id`: its last chunk first.
fn chunks_of(home: &Home, id: &str) -> (Vec<enact::Digest>, u64) {
    let rt = seeded_runtime(home, 1);
    let digest: enact::Digest = id.parse().expect("a digest");
    let record = rt.load(&digest).expect("the run").record;
    let reader = rt.storage().read().expect("read");
    let followed =
        enact::chunks::follow::<enact::Event, _>(&record.journal, |d| reader.find_blob(d)).expect("the chunks");
    (followed.chunks, record.events)
}

#[test]
fn a_fork_late_in_a_long_run_shares_the_chunks_before_it() {
    let home = Home::new();
    home.add_rust("digits");
    let config = r#"{"digits":1,"work":20000}"#;
    let run = crate::support::Run::invocation(
        home.enact_seeded(1, &["invoke", "digits", "--config", config, "--json"]).success(),
    );
    let fork = crate::support::Run::invocation(
        home.enact_seeded(2, &["replay", &run, "--live-from", "19000", "--json"]).success(),
    );
    let (a, a_events) = chunks_of(&home, &run);
    let (b, b_events) = chunks_of(&home, &fork);
    assert_eq!((a_events, b_events), (20_001, 20_001));
    let per = enact::chunks::CHUNK_EVENTS;
    assert_eq!(a.len(), 20_001_usize.div_ceil(per));
    // Every chunk before the one holding event 19,000 is the parent's.
    let shared = 19_000 / per;
    assert!(enact::chunks::agree_through(&a, a_events, &b, b_events, shared));
    assert!(!enact::chunks::agree_through(&a, a_events, &b, b_events, shared + 1));
    let new: Vec<_> = b.iter().filter(|d| !a.contains(d)).collect();
    assert_eq!(new.len(), b.len() - shared, "the fork stores its chunks from event {} on", shared * per);
    // Both replay, and verify finds every chunk.
    home.enact(&["replay", &fork]).success();
    home.enact(&["verify"]).success();
}

#[test]
fn explore_finds_the_hidden_optimum_that_independent_runs_miss() {
    let home = Home::new();
    home.add_rust("digits");
    let config = r#"{"digits":5,"work":300}"#;
    // 200 independent runs, each with its own seed.
    let mut independent = 0;
    for seed in 0..200 {
        let run = home.enact_seeded(1000 + seed, &["invoke", "digits", "--config", config, "--json"]);
        independent = independent.max(run.success().json()["output"]["score"].as_u64().expect("a score"));
    }
    assert!(independent < 5, "independent runs found it: {independent}");
    let explored = home
        .enact_seeded(1, &["explore", "digits", "--config", config, "--score", "/score", "--budget", "200", "--json"]);
    let explored = explored.success().json();
    assert_eq!(explored["best"]["score"], 5.0, "{explored}");
    assert!(explored["runs"].as_u64().is_some_and(|n| n <= 200), "{explored}");
    let best = explored["best"]["invocation"].as_str().expect("an id").to_string();
    assert_eq!(home.enact(&["show", &best, "--json"]).json()["output"]["digits"], "27182");
    // Every rollout is a stored fork of an earlier run, and stores only the
    // journal chunks from the one holding its first re-sampled event on.
    let listed = home.enact(&["ls", "invocations", "--json"]).json();
    let rows: Vec<&Value> = listed.as_array().expect("a list").iter().filter(|r| r["name"] == "digits").collect();
    let forks: Vec<&&Value> = rows.iter().filter(|r| r["parent"].is_string()).collect();
    assert_eq!(forks.len() as u64 + 1, explored["runs"].as_u64().expect("runs"), "one first run and its forks");
    let per = enact::chunks::CHUNK_EVENTS as u64;
    for fork in forks {
        let (id, parent) = (fork["id"].as_str().expect("an id"), fork["parent"].as_str().expect("a parent"));
        let at = home.enact(&["diff", parent, id, "--json"]).json()["first_divergence"]["index"].as_u64();
        let at = at.expect("a fork re-samples an event");
        let ((mine, _), (theirs, _)) = (chunks_of(&home, id), chunks_of(&home, parent));
        let own = mine.iter().filter(|d| !theirs.contains(d)).count() as u64;
        assert_eq!(own, mine.len() as u64 - at / per, "fork {id} at event {at}");
    }
    // The tree replays: the best run, with no live value.
    home.enact(&["replay", &best]).success();
}

#[test]
fn a_missing_chunk_early_in_a_journal_is_named_by_verify_and_export() {
    let home = Home::new();
    home.add_rust("digits");
    let run = crate::support::Run::invocation(
        home.enact(&["invoke", "digits", "--config", r#"{"digits":1,"work":1000}"#, "--json"]).success(),
    );
    let (chunks, _) = chunks_of(&home, &run);
    assert_eq!(chunks.len(), 4, "1,001 events in chunks of 256");
    let first = *chunks.last().expect("the first chunk");
    crate::support::remove_blob(&home, &first);
    let verify = home.enact(&["verify"]);
    assert_eq!(verify.code(), 1, "{}", verify.stdout());
    assert!(format!("{}{}", verify.stdout(), verify.stderr()).contains(&first.to_string()), "{}", verify.stdout());
    let export = home.enact(&["export", &run, "-o", home.path().join("b").to_str().expect("utf-8")]);
    assert_eq!(export.code(), 2);
    assert!(export.stderr().contains(&first.to_string()), "{}", export.stderr());
    let replay = home.enact(&["replay", &run]);
    assert_eq!(replay.code(), 2, "{}", replay.stderr());
}

#[test]
fn a_replay_right_after_a_rewind_in_one_runtime_seals_what_another_runtime_seals() {
    let home = Home::new();
    let dice = std::fs::read(guest("rust", "dice")).expect("the dice guest");
    // Each runtime's runs draw from seeds 7, 8, ... in turn.
    let rt = seeded_runtime(&home, 7);
    let component = rt.add(&dice, None).expect("add").0;
    let run = rt.invoke(enact::Call::new(component).input(r#"{"n":600}"#)).expect("invoke");
    let rewound = rt.rewind(&run.id, 1).expect("rewind");
    // This replay is handed the journal the rewind just sealed (seed 8 for its live draw).
    let here = rt.replay(&rewound.id).expect("replay").invocation;
    drop(rt);
    let rt = seeded_runtime(&home, 8);
    let elsewhere = rt.replay(&rewound.id).expect("replay").invocation;
    assert_eq!(here.id, elsewhere.id);
    assert_eq!(here.record.events, 600);
    drop(rt);
    home.enact(&["verify"]).success();
}
