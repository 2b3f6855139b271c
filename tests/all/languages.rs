//! The same scenarios written in every guest language, recorded and replayed
//! through the CLI.
//!
//! One home holds every language's components, each added once: the large
//! Python and JavaScript components are compiled once, when added, and every
//! later `enact` process loads the compiled artifact from the store.

use serde_json::{Value, json};

use crate::support::{Home, guest};

const LANGUAGES: [&str; 5] = ["rust", "python", "js", "c", "zig"];
const SCENARIOS: [&str; 5] = ["dice", "roll-die", "roll-sum", "ask-dice", "chat"];

/// The name a scenario is added under: `dice-python`, `roll-die-c`, ...
fn named(scenario: &str, language: &str) -> String {
    format!("{scenario}-{language}")
}

#[test]
fn every_scenario_records_and_replays_identically_in_every_language() {
    let home = Home::new();
    for language in LANGUAGES {
        for scenario in SCENARIOS {
            let path = guest(language, scenario);
            let name = named(scenario, language);
            home.enact(&["add", path.to_str().expect("utf-8"), "--name", &name]).success();
            let described = home.enact(&["describe", &name, "--json"]).json();
            assert_eq!(described["name"], scenario, "{language}");
        }
    }
    for language in LANGUAGES {
        dice(&home, language);
        // each roll-sum calls the die of its own language and of the one
        // listed before it: Python's calls Rust's, Rust's calls C's.
        let at = LANGUAGES.iter().position(|l| *l == language).expect("listed");
        let before = LANGUAGES[(at + LANGUAGES.len() - 1) % LANGUAGES.len()];
        roll_sum(&home, language, language);
        roll_sum(&home, language, before);
        a_childs_error_reaches_the_caller(&home, language);
        ask_dice(&home, language);
        chat(&home, language);
    }
}

/// Replays the invocation `original` with no LLM provider reachable, and
/// asserts it is identical, with the same status, output and error.
#[track_caller]
fn replays_identically(home: &Home, original: &Value, what: &str) {
    let replay =
        home.enact_with(&["replay", &invocation(original), "--json"], &[("ENACT_LLM_URL", "http://127.0.0.1:1/v1")]);
    let replayed: Value =
        serde_json::from_str(&replay.stdout()).unwrap_or_else(|e| panic!("{what}: {e}: {}", replay.stderr()));
    assert_eq!(replayed["identical"], true, "{what}");
    for field in ["status", "output", "error"] {
        assert_eq!(replayed[field], original[field], "{what}: {field}");
    }
}

fn invocation(run: &Value) -> String {
    run["invocation"].as_str().expect("an invocation id").to_string()
}

/// The requests of an invocation's journal.
fn requests(home: &Home, id: &str) -> Vec<String> {
    let show = home.enact(&["show", id, "--events", "--json"]).json();
    show["journal"].as_array().expect("journal").iter().map(|e| e["request"].as_str().unwrap_or("").into()).collect()
}

fn dice(home: &Home, language: &str) {
    let what = format!("dice in {language}");
    let name = named("dice", language);
    let run = home.enact_logged(&["invoke", &name, "--config", r#"{"sides":6}"#, "--input", r#"{"n":20}"#, "--json"]);
    let out = run.success().json();
    // compiled once, when added: this process loads the stored artifact
    assert!(run.stderr().contains("loaded compiled component"), "{what}: {}", run.stderr());
    assert!(!run.stderr().contains("compiling component"), "{what}: {}", run.stderr());
    let rolls: Vec<u64> =
        out["output"]["rolls"].as_array().expect("rolls").iter().map(|r| r.as_u64().expect("a number")).collect();
    assert_eq!(rolls.len(), 20, "{what}");
    assert!(rolls.iter().all(|r| (1..=6).contains(r)), "{what}: {rolls:?}");
    assert_eq!(out["output"]["sum"], rolls.iter().sum::<u64>(), "{what}");

    let id = invocation(&out);
    let requests = requests(home, &id);
    if matches!(language, "python" | "js") {
        // the language's own random and clock, served through journaled WASI
        assert!(requests.iter().any(|r| r.starts_with("wasi:random/")), "{what}: {requests:?}");
        assert!(requests.iter().any(|r| r.starts_with("wasi:clocks/")), "{what}: {requests:?}");
    } else {
        assert_eq!(requests.iter().filter(|r| r.starts_with("random.")).count(), 20, "{what}: {requests:?}");
    }
    replays_identically(home, &out, &what);
}

fn roll_sum(home: &Home, language: &str, die_language: &str) {
    let what = format!("roll-sum in {language} calling roll-die in {die_language}");
    let config = json!({"sides": 6, "die": named("roll-die", die_language)}).to_string();
    let run =
        home.enact(&["invoke", &named("roll-sum", language), "--config", &config, "--input", r#"{"n":3}"#, "--json"]);
    let out = run.success().json();
    let id = invocation(&out);
    let tree = home.enact(&["show", &id, "--json"]).json();
    let children = tree["children"].as_array().expect("children");
    assert_eq!(children.len(), 3, "{what}");
    let rolls: Vec<u64> = children.iter().map(|c| c["output"].as_u64().expect("a roll")).collect();
    assert!(rolls.iter().all(|r| (1..=6).contains(r)), "{what}: {rolls:?}");
    assert_eq!(out["output"], rolls.iter().sum::<u64>(), "{what}");
    let die = home.enact(&["describe", &named("roll-die", die_language), "--json"]).json();
    assert!(children.iter().all(|c| c["component"] == die["component"]), "{what}: {tree}");
    replays_identically(home, &out, &what);
}

/// The kit turns a child's error into the language's error and back into the
/// invocation's error, code intact.
fn a_childs_error_reaches_the_caller(home: &Home, language: &str) {
    let what = format!("roll-sum in {language} calling a missing die");
    let config = json!({"die": "no-such-die"}).to_string();
    let run =
        home.enact(&["invoke", &named("roll-sum", language), "--config", &config, "--input", r#"{"n":2}"#, "--json"]);
    assert_eq!(run.code(), 1, "{what}: {}", run.stderr());
    let out = run.json();
    assert_eq!(out["status"], "failed", "{what}");
    assert_eq!(out["error"]["code"], "unknown-target", "{what}: {out}");
    assert!(out["error"]["message"].as_str().is_some_and(|m| m.contains("no-such-die")), "{what}: {out}");
    replays_identically(home, &out, &what);
}

fn ask_dice(home: &Home, language: &str) {
    let what = format!("ask-dice in {language}");
    // no answer at hand: the invocation suspends on its first question
    let first = home.enact(&["invoke", &named("ask-dice", language), "--json"]);
    assert_eq!(first.code(), 3, "{what}: {}", first.stderr());
    let waiting = first.json();
    assert_eq!(waiting["request"]["prompt"], "How many dice?", "{what}");

    let answers = home.path().join(format!("answers-{language}.json"));
    std::fs::write(&answers, "[3, 4, 5, 6]").expect("write");
    let run = home.enact(&["resume", &invocation(&waiting), "--answers", answers.to_str().expect("utf-8"), "--json"]);
    let out = run.success().json();
    assert_eq!(out["output"], 15, "{what}");
    let id = invocation(&out);
    assert_eq!(requests(home, &id).iter().filter(|r| r.starts_with("input.")).count(), 4, "{what}");
    replays_identically(home, &out, &what);
}

fn chat(home: &Home, language: &str) {
    let what = format!("chat in {language}");
    let script = home.path().join("script.json");
    std::fs::write(&script, r#"["Hello!", {"text": "Four.", "finish_reason": "stop"}]"#).expect("write");
    let answers = home.path().join("chat-answers.json");
    std::fs::write(&answers, r#"["hi", "what is \"2+2\"?", "stop"]"#).expect("write");
    let llm = format!("scripted:{}", script.display());
    let answers = answers.to_str().expect("utf-8");
    let run = home.enact(&["invoke", &named("chat", language), "--llm", &llm, "--answers", answers, "--json"]);
    let out = run.success().json();
    let transcript = json!([
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "what is \"2+2\"?"},
        {"role": "assistant", "content": "Four."},
    ]);
    assert_eq!(out["output"], transcript, "{what}");
    replays_identically(home, &out, &what);

    // On a terminal, each question comes after the reply it answers.
    let what = format!("interactive chat in {language}");
    let args = ["invoke", &named("chat", language), "--llm", &llm, "--interactive"];
    let run = home.spawn_with_stdin(&args, "hi\nwhat is 2+2?\nstop\n");
    let stderr = run.success().stderr();
    let (first, rest) = stderr.split_once("Hello!\nYou:").unwrap_or_else(|| panic!("{what}: {stderr}"));
    assert!(first.contains("You:") && rest.contains("Four.\nYou:"), "{what}: {stderr}");

    // A model that cannot answer: the kit hands the guest the LLM's error,
    // and the guest returns it with its code.
    let what = format!("chat in {language} with no responses left");
    let empty = home.path().join("empty-script.json");
    std::fs::write(&empty, "[]").expect("write");
    let llm = format!("scripted:{}", empty.display());
    let run = home.enact(&["invoke", &named("chat", language), "--llm", &llm, "--answers", answers, "--json"]);
    assert_eq!(run.code(), 1, "{what}: {}", run.stderr());
    let out = run.json();
    assert_eq!(out["error"]["code"], "llm-unavailable", "{what}: {out}");
    assert!(out["error"]["message"].as_str().is_some_and(|m| m.contains("no more responses")), "{what}: {out}");
    replays_identically(home, &out, &what);
}

#[test]
fn an_exception_in_user_code_is_returned_with_code_exception_and_its_traceback() {
    let home = Home::new();
    for (language, message, trace) in [
        ("python", "KeyError: 'missing'", "Traceback (most recent call last)"),
        ("js", "TypeError: can't access property \"missing\", input is null", "run@"),
    ] {
        let path = guest(language, "fail");
        let name = named("fail", language);
        home.enact(&["add", path.to_str().expect("utf-8"), "--name", &name]).success();
        let run = home.enact(&["invoke", &name, "--json"]);
        assert_eq!(run.code(), 1, "{language}: {}", run.stderr());
        let out = run.json();
        assert_eq!(out["status"], "failed", "{language}: {out}");
        assert_eq!(out["error"]["code"], "exception", "{language}: {out}");
        assert_eq!(out["error"]["message"], message, "{language}");
        let details: Value = serde_json::from_str(out["error"]["details"].as_str().expect("details")).expect("JSON");
        let trace_text = details["traceback"].as_str().or(details["stack"].as_str()).expect("a trace");
        assert!(trace_text.contains(trace), "{language}: {details}");
        replays_identically(&home, &out, &format!("fail in {language}"));

        // for people, the trace is printed under the error
        let shown = home.enact(&["invoke", &name]);
        assert!(shown.stderr().contains(&format!("error: exception: {message}")), "{}", shown.stderr());
        assert!(shown.stderr().contains(&format!("  | {trace}")), "{language}: {}", shown.stderr());
    }
}
