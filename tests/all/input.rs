use serde_json::json;

use crate::support::{Home, guest, seeded_runtime};

#[test]
fn ask_dice_suspends_and_resumes_one_answer_at_a_time() {
    let home = Home::new();
    home.add_rust("ask-dice");
    let first = home.enact(&["invoke", "ask-dice", "--json"]);
    assert_eq!(first.code(), 3, "{}", first.stderr());
    let out = first.json();
    assert_eq!(out["status"], "awaiting-input");
    assert_eq!(out["request"]["prompt"], "How many dice?");
    assert_eq!(out["request"]["schema"], json!({"type": "integer", "minimum": 1}));

    let mut id = crate::support::Run::invocation(&first);
    let resume = home.enact(&["resume", &id, "--answer", "3", "--json"]);
    assert_eq!(resume.code(), 3);
    assert_eq!(resume.json()["request"]["prompt"], "Roll die 1 of 3: what did it show?");
    assert_eq!(resume.json()["parent"], json!(id));
    id = crate::support::Run::invocation(&resume);

    // a wrong answer exits 2 and changes nothing
    let before = home.contents();
    for wrong in ["7", "\"four\"", "0"] {
        let run = home.enact(&["resume", &id, "--answer", wrong]);
        assert_eq!(run.code(), 2, "{}", run.stderr());
        assert!(run.stderr().contains("does not fit the schema"), "{}", run.stderr());
    }
    assert_eq!(home.contents(), before);

    for roll in ["4", "5"] {
        let run = home.enact(&["resume", &id, "--answer", roll, "--json"]);
        assert_eq!(run.code(), 3);
        id = crate::support::Run::invocation(&run);
    }
    let last = home.enact(&["resume", &id, "--answer", "6", "--json"]);
    last.success();
    assert_eq!(last.json()["output"], 15);
    let done = crate::support::Run::invocation(&last);

    let show = home.enact(&["show", &done, "--events"]);
    show.success();
    let lines: Vec<_> = show.stdout().lines().map(str::to_string).collect();
    assert_eq!(lines[0], "->ask-dice() = 15");
    assert_eq!(lines[1], r#"  #0 input "How many dice?" -> 3 (person)"#);
    assert_eq!(lines[4], r#"  #3 input "Roll die 3 of 3: what did it show?" -> 6 (person)"#);

    let finished = home.enact(&["resume", &done, "--answer", "1"]);
    assert_eq!(finished.code(), 2);
    assert!(finished.stderr().contains("nothing to resume"), "{}", finished.stderr());
    assert_eq!(home.enact(&["replay", &done]).code(), 0);
}

#[test]
fn an_answers_file_completes_in_one_command() {
    let home = Home::new();
    home.add_rust("ask-dice");
    let list = home.path().join("list.json");
    std::fs::write(&list, "[3, 1, 2, 3]").expect("write");
    let run = home.enact(&["invoke", "ask-dice", "--answers", list.to_str().expect("utf-8"), "--json"]);
    run.success();
    assert_eq!(run.json()["output"], 6);

    let map = home.path().join("map.json");
    std::fs::write(&map, r#"{"How many dice?": 1, "Roll die 1 of 1: what did it show?": 4}"#).expect("write");
    let run = home.enact(&["invoke", "ask-dice", "--answers", map.to_str().expect("utf-8"), "--json"]);
    run.success();
    assert_eq!(run.json()["output"], 4);

    // a file that runs out suspends, and a resume takes it from there
    let short = home.path().join("short.json");
    std::fs::write(&short, "[2, 6]").expect("write");
    let run = home.enact(&["invoke", "ask-dice", "--answers", short.to_str().expect("utf-8"), "--json"]);
    assert_eq!(run.code(), 3);
    assert_eq!(run.json()["request"]["prompt"], "Roll die 2 of 2: what did it show?");
    let done = home.enact(&["resume", &crate::support::Run::invocation(&run), "--answer", "1", "--json"]);
    assert_eq!(done.json()["output"], 7);
}

#[test]
fn interactive_answers_are_asked_again_until_they_fit() {
    let home = Home::new();
    home.add_rust("ask-dice");
    let run = home.spawn_with_stdin(&["invoke", "ask-dice", "--interactive"], "two\n2\n9\n3\n4\n");
    let stderr = run.stderr();
    assert_eq!(run.success().stdout().trim(), "7");
    assert_eq!(stderr.matches("try again").count(), 2, "{stderr}");
    assert!(stderr.contains("How many dice?"));
}

#[test]
fn identical_requests_at_different_points_are_distinct() {
    // chat asks `You:` every turn: each answer goes to the pending request only
    let home = Home::new();
    home.add_rust("chat");
    let script = home.path().join("script.json");
    std::fs::write(&script, r#"["Hello!"]"#).expect("write");
    let llm = format!("scripted:{}", script.display());
    let first = home.enact(&["invoke", "chat", "--llm", &llm, "--json"]);
    assert_eq!(first.code(), 3);
    let second =
        home.enact(&["resume", &crate::support::Run::invocation(&first), "--answer", "hi", "--llm", &llm, "--json"]);
    assert_eq!(second.code(), 3, "{}", second.stderr());
    assert_eq!(second.json()["request"]["prompt"], "You:");
    let third = home.enact(&["resume", &crate::support::Run::invocation(&second), "--answer", "stop", "--json"]);
    third.success();
    assert_eq!(
        third.json()["output"],
        json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello!"}])
    );
}

#[test]
fn chat_with_a_scripted_llm_completes_and_replays_with_no_provider() {
    let home = Home::new();
    home.add_rust("chat");
    let script = home.path().join("script.json");
    std::fs::write(&script, r#"["Hello!", {"text": "Four.", "finish_reason": "stop"}]"#).expect("write");
    let answers = home.path().join("answers.json");
    std::fs::write(&answers, r#"["hi", "what is 2+2?", "stop"]"#).expect("write");
    let llm = format!("scripted:{}", script.display());
    let run = home.enact(&["invoke", "chat", "--llm", &llm, "--answers", answers.to_str().expect("utf-8"), "--json"]);
    run.success();
    let transcript = run.json()["output"].clone();
    assert_eq!(transcript[3], json!({"role": "assistant", "content": "Four."}));

    let replay = std::process::Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(["replay", &crate::support::Run::invocation(&run), "--json"])
        .env("ENACT_HOME", home.path())
        .env("ENACT_LLM_URL", "http://127.0.0.1:1/v1")
        .output()
        .expect("enact runs");
    assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stderr));
    let replayed: serde_json::Value = serde_json::from_slice(&replay.stdout).expect("JSON");
    assert_eq!(replayed["output"], transcript);
    assert_eq!(replayed["identical"], true);
}

#[test]
fn an_llm_can_answer_input_requests() {
    let home = Home::new();
    home.add_rust("ask-dice");
    let script = home.path().join("script.json");
    std::fs::write(&script, r#"["2", "5", "6"]"#).expect("write");
    let llm = format!("scripted:{}", script.display());
    let run = home.enact(&["invoke", "ask-dice", "--llm", &llm, "--answers", "llm", "--json"]);
    run.success();
    assert_eq!(run.json()["output"], 11);
    let show = home.enact(&["show", &crate::support::Run::invocation(&run), "--events"]).stdout();
    assert!(show.contains(r#"#0 input "How many dice?" -> 2 (llm:scripted)"#), "{show}");
}

#[test]
fn a_session_answers_in_process_without_replaying() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 20);
    let bytes = std::fs::read(guest("rust", "ask-dice")).expect("guest");
    let ask_dice = rt.add(&bytes, Some("ask-dice")).expect("add").0;
    let before = rt.instantiations();
    let mut session = rt.start(enact::Call::new(ask_dice)).expect("start");
    let mut asked = Vec::new();
    let invocation = loop {
        match session.step().expect("a step") {
            enact::Step::Input(request) => {
                asked.push(request.prompt_text());
                if asked.len() == 2 {
                    let err = session.answer(json!(7)).expect_err("out of range");
                    assert!(err.to_string().contains("does not fit the schema"), "{err}");
                }
                session.answer(json!(if asked.len() == 1 { 3 } else { 2 })).expect("an answer that fits");
            }
            enact::Step::Finished(invocation) => break invocation,
        }
    };
    assert_eq!(invocation.output, Some(json!(6)));
    assert_eq!(asked.len(), 4);
    assert_eq!(rt.instantiations() - before, 1, "one instance, never replayed");
}

#[test]
fn a_suspended_session_leaves_an_invocation_that_resume_finishes() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 21);
    let bytes = std::fs::read(guest("rust", "ask-dice")).expect("guest");
    let ask_dice = rt.add(&bytes, Some("ask-dice")).expect("add").0;
    let mut session = rt.start(enact::Call::new(ask_dice)).expect("start");
    assert!(matches!(session.step().expect("a step"), enact::Step::Input(_)));
    session.answer(json!(1)).expect("answer");
    assert!(matches!(session.step().expect("a step"), enact::Step::Input(_)));
    let suspended = session.suspend().expect("suspend");
    assert_eq!(suspended.record.outcome.status(), "awaiting-input");
    assert_eq!(suspended.record.events, 1);
    let done = rt.resume(&suspended.id, Some(json!(5)), enact::ReplayOptions::default()).expect("resume");
    assert_eq!(done.output, Some(json!(5)));
}

#[test]
fn input_asked_by_a_child_suspends_its_callers_and_resume_continues_the_child() {
    let home = Home::new();
    home.add_rust("ask-dice");
    home.add_rust("ask-twice");
    let first = home.enact(&["invoke", "ask-twice", "--json"]);
    assert_eq!(first.code(), 3, "{}", first.stderr());
    assert_eq!(first.json()["request"]["prompt"], "How many dice?");
    let mut id = crate::support::Run::invocation(&first);
    let mut prompts = Vec::new();
    for answer in ["1", "4", "2", "5"] {
        let run = home.enact(&["resume", &id, "--answer", answer, "--json"]);
        if run.code() == 3 {
            prompts.push(run.json()["request"]["prompt"].as_str().expect("a prompt").to_string());
        } else {
            run.success();
        }
        id = crate::support::Run::invocation(&run);
    }
    assert_eq!(
        prompts,
        [
            "Roll die 1 of 1: what did it show?",
            "How many dice?",
            "Roll die 1 of 2: what did it show?",
            "Roll die 2 of 2: what did it show?"
        ]
    );
    let last = home.enact(&["resume", &id, "--answer", "6", "--json"]);
    last.success();
    assert_eq!(last.json()["output"], json!([4, 11]));
    let tree = home.enact(&["show", &crate::support::Run::invocation(&last)]).stdout();
    assert_eq!(tree, "->ask-twice() = [4,11]\n  ->ask-dice() = 4\n  ->ask-dice() = 11\n");
    assert_eq!(home.enact(&["replay", &crate::support::Run::invocation(&last), "--json"]).json()["identical"], true);

    // With answers at hand the whole tree completes in one command, in process.
    let answers = home.path().join("answers.json");
    std::fs::write(&answers, "[1, 3, 1, 2]").expect("write");
    let run = home.enact(&["invoke", "ask-twice", "--answers", answers.to_str().expect("utf-8"), "--json"]);
    run.success();
    assert_eq!(run.json()["output"], json!([3, 2]));
}

#[test]
fn a_typed_answer_is_text_where_the_schema_asks_for_a_string_and_answers_come_inline() {
    let home = Home::new();
    home.add_rust("chat");
    home.add_rust("ask-dice");
    let script = home.path().join("script.json");
    std::fs::write(&script, r#"["Hello!", "Fine."]"#).expect("write");
    let llm = format!("scripted:{}", script.display());
    // `42` answers a string prompt: it is the text "42", not the number
    let run = home.enact(&[
        "invoke",
        "chat",
        "--llm",
        &llm,
        "--answer",
        "42",
        "--answers",
        r#"["how are you?", "stop"]"#,
        "--json",
    ]);
    let out = run.success().json();
    assert_eq!(out["output"][0], json!({"role": "user", "content": "42"}), "{out}");
    assert_eq!(out["output"][2], json!({"role": "user", "content": "how are you?"}), "{out}");

    // where the schema asks for a number, the same text is JSON
    let asked = home.enact(&["invoke", "ask-dice", "--answer", "1", "--json"]).json();
    assert_eq!(asked["status"], "awaiting-input", "{asked}");
    let resumed = home.enact(&["resume", asked["invocation"].as_str().expect("id"), "--answer", "6"]);
    assert_eq!(resumed.success().stdout().trim(), "6");
}

#[test]
fn ls_shows_what_an_answered_invocation_went_on_as() {
    let home = Home::new();
    home.add_rust("ask-dice");
    let asked = home.enact(&["invoke", "ask-dice", "--json"]).json();
    let asked = asked["invocation"].as_str().expect("id").to_string();
    let answered = home.enact(&["resume", &asked, "--answers", "[1, 4]", "--json"]).success().json();
    let listed = home.enact(&["ls", "invocations", "--json"]).json();
    let row = listed.as_array().expect("a list").iter().find(|r| r["id"] == asked.as_str()).cloned();
    let row = row.expect("the asked invocation is listed");
    assert_eq!(row["status"], "awaiting-input");
    assert_eq!(row["continued_as"], answered["invocation"], "{row}");
    let table = home.enact(&["ls", "invocations"]).stdout();
    let short = &answered["invocation"].as_str().expect("id")[7..19];
    assert!(table.contains(&format!("-> {short}")), "{table}");
}
