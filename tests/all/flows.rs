use std::path::PathBuf;

use serde_json::{Value, json};

use crate::llm_server::{Canned, Server};
use crate::support::Home;

/// A file of `examples/flows`, as a path argument.
fn example(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/flows").join(name);
    assert!(path.exists(), "{} is missing", path.display());
    path.to_str().expect("a UTF-8 path").to_string()
}

/// `--llm scripted:` with an example's script.
fn scripted(name: &str) -> String {
    format!("scripted:{}", example(name))
}

/// An LLM that cannot be reached: a replay must not need one.
const UNREACHABLE: &str = "http://127.0.0.1:9/v1";

/// The steps of a flow run, from `enact flow steps --json`.
fn steps(home: &Home, invocation: &str) -> Vec<Value> {
    let run = home.enact(&["flow", "steps", invocation, "--json"]);
    run.success().json()["steps"].as_array().cloned().unwrap_or_default()
}

fn step_names(steps: &[Value]) -> Vec<String> {
    steps.iter().map(|s| s["step"].as_str().unwrap_or_default().to_string()).collect()
}

/// Replays `invocation` with no reachable model and asserts it is identical.
#[track_caller]
fn replays_identically(home: &Home, invocation: &str) {
    let replay = home.enact(&["replay", invocation, "--llm", UNREACHABLE, "--json"]);
    let out = replay.success().json();
    assert_eq!(out["identical"], true, "{out}");
    assert_eq!(out["invocation"], invocation, "{out}");
}

/// Writes an llm.json pointing at `server`, with no retries.
fn use_server(home: &Home, server: &Server) {
    let config = json!({"url": server.url, "model": "test-model", "retries": 0});
    std::fs::write(home.path().join("llm.json"), config.to_string()).expect("write llm.json");
}

#[test]
fn the_counter_counts_to_ten_in_eleven_steps_and_replays_identically() {
    let home = Home::new();
    let run = home.enact(&["flow", "run", &example("counter.toml"), "--json"]);
    let out = run.success().json();
    assert_eq!(out["output"]["state"]["count"], 10, "{out}");
    assert_eq!(out["output"]["status"], "ended");
    let id = out["invocation"].as_str().expect("an id").to_string();
    let listed = steps(&home, &id);
    assert_eq!(listed.len(), 11);
    assert_eq!(listed[0]["step"], "increment");
    assert_eq!(listed[0]["diff"], json!({"count": 1}));
    assert_eq!(listed[0]["reads"], json!(["count"]));
    assert_eq!(listed[10]["step"], "done");
    assert_eq!(listed[9]["state"]["count"], 10);
    replays_identically(&home, &id);

    // The table a person reads.
    let table = home.enact(&["flow", "steps", &id]);
    let text = table.success().stdout();
    assert!(text.contains("increment") && text.contains("count=10"), "{text}");
    assert!(table.stderr().contains("11 steps of flow `counter`"), "{}", table.stderr());
}

#[test]
fn a_flow_that_asks_with_no_answer_at_hand_suspends_and_resume_goes_on() {
    let home = Home::new();
    let llm = scripted("chatbot.llm.json");
    let run = home.enact(&["flow", "run", &example("chatbot.toml"), "--llm", &llm]);
    assert_eq!(run.code(), 3, "{}", run.stderr());
    assert!(run.stderr().contains("awaiting input: \"What would you like to do?\""), "{}", run.stderr());
    let resumed =
        home.enact(&["resume", "last", "--answer", "Write a poem", "--answers", r#"["bye"]"#, "--llm", &llm, "--json"]);
    let out = resumed.success().json();
    assert_eq!(out["output"]["step"], "bye", "{out}");
    assert_eq!(out["output"]["state"]["mode"], "poem");
}

#[test]
fn a_run_merges_its_state_and_halts_where_asked() {
    let home = Home::new();
    let counter = example("counter.toml");
    let from_seven = home.enact(&["flow", "run", &counter, "--state", r#"{"count": 7}"#, "--json"]).success().json();
    assert_eq!(from_seven["output"]["steps"], 4, "{from_seven}");

    let halted = home.enact(&["flow", "run", &counter, "--halt-after", "increment", "--json"]).success().json();
    assert_eq!(halted["output"]["status"], "halted", "{halted}");
    assert_eq!(halted["output"]["state"]["count"], 1);
    // A fork from the step it halted after goes on, and halts after the next one.
    let id = halted["invocation"].as_str().expect("an id");
    let next = home.enact(&["flow", "fork", id, "--step", "0", "--json"]).success().json();
    assert_eq!(next["output"]["status"], "halted", "{next}");
    assert_eq!(next["output"]["state"]["count"], 2);
    let before = home.enact(&["flow", "run", &counter, "--halt-before", "done", "--json"]).success().json();
    assert_eq!(before["output"]["step"], "done", "{before}");
    assert_eq!(before["output"]["steps"], 10);

    let unknown = home.enact(&["flow", "run", &counter, "--halt-after", "nowhere"]);
    assert_eq!(unknown.code(), 2);
    assert!(unknown.stderr().contains("no step `nowhere`"), "{}", unknown.stderr());
}

#[test]
fn every_example_runs_and_replays_identically_without_a_model() {
    let home = Home::new();
    let cases: [(&str, Option<&str>, Option<&str>); 5] = [
        ("counter.toml", None, None),
        ("cowsay.toml", None, None),
        ("chatbot.toml", Some("chatbot.llm.json"), Some(r#"["Write a poem about replay", "bye"]"#)),
        ("qa_cond.toml", Some("qa_cond.llm.json"), Some(r#"["What is replay?", "What else?", "stop"]"#)),
        ("map_reduce.toml", Some("map_reduce.llm.json"), None),
    ];
    for (file, llm, answers) in cases {
        let mut args = vec!["flow".to_string(), "run".into(), example(file), "--json".into()];
        if let Some(llm) = llm {
            args.extend(["--llm".into(), scripted(llm)]);
        }
        if let Some(answers) = answers {
            args.extend(["--answers".into(), answers.to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = home.enact(&args);
        let out = run.success().json();
        assert_eq!(out["status"], "completed", "{file}: {out}");
        let id = out["invocation"].as_str().expect("an id").to_string();
        replays_identically(&home, &id);
    }

    // The chatbot took the poem path; map/reduce made one child per document.
    let chat = home
        .enact(&[
            "flow",
            "run",
            &example("chatbot.toml"),
            "--llm",
            &scripted("chatbot.llm.json"),
            "--answers",
            r#"["Write a poem", "bye"]"#,
            "--json",
        ])
        .success()
        .json();
    let id = chat["invocation"].as_str().expect("an id");
    assert_eq!(
        step_names(&steps(&home, id)),
        ["prompt", "check_safety", "decide_mode", "generate_poem", "prompt", "bye"]
    );
    let map = home
        .enact(&["flow", "run", &example("map_reduce.toml"), "--llm", &scripted("map_reduce.llm.json"), "--json"])
        .success()
        .json();
    let tree = home.enact(&["show", map["invocation"].as_str().expect("an id"), "--json"]).success().json();
    assert_eq!(tree["children"].as_array().map(Vec::len), Some(3), "{tree}");
    assert_eq!(map["output"]["state"]["summaries"][1]["summary"], "Replays make no LLM request.");

    // The cow's words are journaled draws: a replay says the same.
    let cow = home.enact(&["flow", "run", &example("cowsay.toml"), "--json"]).success().json();
    let events = home
        .enact(&["show", cow["invocation"].as_str().expect("an id"), "--events", "random", "--json"])
        .success()
        .json();
    assert!(events.to_string().contains("random.next-u64"), "{events}");
}

#[test]
fn a_fork_of_the_chatbot_reuses_the_steps_before_it_and_asks_the_model_after() {
    let home = Home::new();
    let server = Server::start(vec![
        Canned::completion(r#"{"safe": true}"#),
        Canned::completion("poem"),
        Canned::completion("Roses are red."),
        Canned::completion("Violets are blue."),
        Canned::completion("fn main() {}"),
    ]);
    use_server(&home, &server);
    let chatbot = example("chatbot.toml");
    let run = home.enact(&["flow", "run", &chatbot, "--answers", r#"["Write a poem", "bye"]"#, "--json"]);
    let original = run.success().json();
    let id = original["invocation"].as_str().expect("an id").to_string();
    assert_eq!(server.count(), 3, "safety, mode, poem");
    let before = steps(&home, &id);

    // Fork after step 2 (decide_mode): steps 0-2 come from the journal.
    let fork = home.enact(&["flow", "fork", &id, "--step", "2", "--answers", r#"["bye"]"#, "--json"]);
    let forked = fork.success().json();
    assert_eq!(server.count(), 4, "only the poem after step 2 was asked for");
    assert_eq!(forked["output"]["state"]["response"], "Violets are blue.", "{forked}");
    let fid = forked["invocation"].as_str().expect("an id").to_string();
    assert_ne!(fid, id);
    let after = steps(&home, &fid);
    assert_eq!(&after[..3], &before[..3], "the same steps, states and events up to step 2");
    // The journal's prefix is the original's, event for event.
    let journal = |inv: &str| home.enact(&["show", inv, "--events", "--json"]).success().json()["journal"].clone();
    let (a, b) = (journal(&id), journal(&fid));
    let cut = before[2]["event"].as_u64().expect("an event index") as usize;
    assert_eq!(a.as_array().map(|e| e[..cut].to_vec()), b.as_array().map(|e| e[..cut].to_vec()));

    // An edited state: the mode is now code.
    let edited =
        home.enact(&["flow", "fork", &id, "--step", "2", "--set", "mode=code", "--answers", r#"["bye"]"#, "--json"]);
    let out = edited.success().json();
    assert_eq!(out["output"]["state"]["response"], "fn main() {}", "{out}");
    assert_eq!(server.count(), 5);
    let names = step_names(&steps(&home, out["invocation"].as_str().expect("an id")));
    assert_eq!(names[3], "generate_code");

    let too_far = home.enact(&["flow", "fork", &id, "--step", "40"]);
    assert_eq!(too_far.code(), 2);
    assert!(too_far.stderr().contains("ran 6 steps"), "{}", too_far.stderr());
}

#[test]
fn on_error_routes_a_failed_model_call_to_its_handler_with_the_error_in_the_state() {
    let home = Home::new();
    let server = Server::start(vec![Canned::status(500, r#"{"error": {"message": "the model is down"}}"#)]);
    use_server(&home, &server);
    let run =
        home.enact(&["flow", "run", &example("chatbot.toml"), "--answers", r#"["Tell me a joke", "bye"]"#, "--json"]);
    let out = run.success().json();
    let state = &out["output"]["state"];
    assert_eq!(state["error"]["step"], "check_safety", "{out}");
    assert!(state["error"]["code"].as_str().is_some_and(|c| c.starts_with("llm-")), "{out}");
    let id = out["invocation"].as_str().expect("an id");
    assert_eq!(step_names(&steps(&home, id)), ["prompt", "check_safety", "error_response", "prompt", "bye"]);
    let said = state["dialogue"][2]["content"].as_str().unwrap_or_default();
    assert!(said.starts_with("Something went wrong"), "{said}");
    replays_identically(&home, id);
}

/// Writes `text` as a flow file in `home` and returns its path.
fn flow_file(home: &Home, name: &str, text: &str) -> String {
    let path = home.path().join(name);
    std::fs::write(&path, text).expect("write the flow");
    path.to_str().expect("a UTF-8 path").to_string()
}

#[test]
fn a_bad_flow_is_refused_with_its_line_and_stores_nothing() {
    let home = Home::new();
    let cases = [
        (
            "undeclared write",
            "flow = \"f\"\nentry = \"a\"\nstate = { n = 0 }\n[step.a]\nset = { n = \"n + 1\", m = \"1\" }\nwrites = [\"n\"]\n",
            ":6:10: step.a.writes: the step writes `m`",
        ),
        (
            "bad guard",
            "flow = \"f\"\nentry = \"a\"\nstate = { n = 0 }\n[step.a]\nset = { n = \"n + 1\" }\n[[next]]\nfrom = \"a\"\nto = \"a\"\nwhen = \"n <\"\n",
            ":9:8: next[0].when: guard `n <`",
        ),
        (
            "bad template",
            "flow = \"f\"\nentry = \"a\"\n[step.a]\nsay = \"\"\"hello\n{{ name }\"\"\"\n",
            "step.a.say: template `step.a.say` line 2",
        ),
        (
            "unknown step",
            "flow = \"f\"\nentry = \"a\"\n[step.a]\nend = true\n[[next]]\nfrom = \"b\"\nto = \"a\"\n",
            ":6:8: next[0].from: unknown step `b`",
        ),
        (
            "unknown read",
            "flow = \"f\"\nentry = \"a\"\n[step.a]\nsay = \"{{ nobody }}\"\n",
            "reads `nobody`, which neither the initial state holds nor any step writes",
        ),
        (
            "two kinds",
            "flow = \"f\"\nentry = \"a\"\n[step.a]\nsay = \"hi\"\nend = true\n",
            "a step has one kind, this one has say and end",
        ),
        (
            "unreachable",
            "flow = \"f\"\nentry = \"a\"\n[step.a]\nend = true\n[step.b]\nend = true\n",
            "step.b: unreachable",
        ),
        (
            "duplicate default",
            "flow = \"f\"\nentry = \"a\"\n[step.a]\nsay = \"hi\"\n[step.b]\nend = true\n[step.c]\nend = true\n[[next]]\nfrom = \"a\"\nto = \"b\"\n[[next]]\nfrom = \"a\"\nto = \"c\"\n",
            ":12:1: next[1]: never taken: next[0] from `a` has no `when`",
        ),
        ("not TOML", "flow = \"f\"\nentry = \n", "line 2"),
        ("unknown field", "flow = \"f\"\nentry = \"a\"\n[step.a]\nsett = {}\n", "unknown field `sett`"),
    ];
    for (what, text, expected) in cases {
        let file = flow_file(&home, "bad.toml", text);
        let run = home.enact(&["flow", "run", &file]);
        assert_eq!(run.code(), 2, "{what}: {}", run.stderr());
        assert!(run.stderr().contains(expected), "{what}: expected `{expected}` in:\n{}", run.stderr());
        assert_eq!(home.contents(), "[] [] [] []", "{what}: nothing is stored");
        let check = home.enact(&["flow", "check", &file]);
        assert_ne!(check.code(), 0, "{what}");
    }
    let fine = home.enact(&["flow", "check", &example("chatbot.toml")]);
    assert!(fine.success().stderr().contains("is valid"), "{}", fine.stderr());
    let json = home.enact(&["flow", "check", &flow_file(&home, "b.toml", cases[3].1), "--json"]).json();
    assert_eq!(json["problems"][0]["line"], 6, "{json}");
}

#[test]
fn a_step_that_writes_an_undeclared_key_at_run_time_fails_the_run_clearly() {
    let home = Home::new();
    home.add_rust("echo");
    let text = "flow = \"f\"\nentry = \"a\"\nstate = { a = 1, b = 2 }\n[step.a]\ncall = \"echo\"\nreads = [\"a\", \"b\"]\nwrites = [\"a\"]\n";
    let run = home.enact(&["flow", "run", &flow_file(&home, "w.toml", text), "--json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let out = run.json();
    assert_eq!(out["error"]["code"], "undeclared-write", "{out}");
    assert!(out["error"]["message"].as_str().is_some_and(|m| m.contains("step `a`") && m.contains("`b`")), "{out}");
}

#[test]
fn a_genie_session_captures_the_name_after_one_undefined_and_keeps_every_turn() {
    let home = Home::new();
    // A server, not a script file: each turn is a process of its own, and the server remembers what it answered.
    let server = Server::start(vec![Canned::completion("UNDEFINED"), Canned::completion("Ada")]);
    use_server(&home, &server);
    let start = home.enact(&["session", "start", &example("qa_capture.toml"), "--name", "ada"]);
    assert_eq!(start.code(), 3, "{}", start.stderr());
    assert!(start.stdout().contains("what is your name?"), "{}", start.stdout());
    let first = home.enact(&["session", "send", "ada", "hello there"]);
    assert_eq!(first.code(), 3, "{}", first.stderr());
    assert!(first.stdout().contains("did not get your name"), "{}", first.stdout());
    let second = home.enact(&["session", "send", "ada", "I am Ada", "--json"]);
    assert_eq!(second.code(), 3, "{}", second.stderr());
    let turn = second.json();
    assert_eq!(turn["state"]["name"], "Ada", "{turn}");
    assert_eq!(turn["said"][0]["content"], "Welcome, Ada! How can I help?", "{turn}");

    assert_eq!(server.count(), 2, "each turn asked only for its own completion");
    let id = turn["invocation"].as_str().expect("an id").to_string();
    let names = step_names(&steps(&home, &id));
    assert_eq!(names, ["intro", "ai_extracts_name", "need_to_retry", "ai_extracts_name", "welcome"]);
    let shown = home.enact(&["session", "show", "ada", "--json"]).success().json();
    assert_eq!(shown["invocation"], id.as_str());
    assert_eq!(shown["dialogue"].as_array().map(Vec::len), Some(5), "{shown}");
    let listed = home.enact(&["session", "ls", "--json"]).success().json();
    assert_eq!(listed[0]["session"], "ada", "{listed}");
    // A replay with no model at hand comes to the same question with the same journal.
    let original = home.enact(&["show", &id, "--json"]).success().json();
    let replay = home.enact(&["replay", &id, "--llm", UNREACHABLE, "--json"]);
    assert_eq!(replay.code(), 3, "{}", replay.stderr());
    let again = replay.json();
    assert_eq!(again["events"], original["events"], "{again}");
    assert_eq!(server.count(), 2, "the replay asked no model");

    let taken = home.enact(&["session", "start", &example("qa_capture.toml"), "--name", "ada"]);
    assert_eq!(taken.code(), 2);
    assert!(taken.stderr().contains("session `ada` exists"), "{}", taken.stderr());
    let unknown = home.enact(&["session", "send", "bob", "hi"]);
    assert_eq!(unknown.code(), 2);
    assert!(unknown.stderr().contains("no session `bob`"), "{}", unknown.stderr());
}

#[test]
fn a_session_of_twenty_turns_keeps_the_whole_dialogue() {
    let home = Home::new();
    let answers: Vec<Canned> = (0..20).map(|i| Canned::completion(&format!("answer {i}"))).collect();
    let server = Server::start(answers);
    use_server(&home, &server);
    home.enact(&["session", "start", &example("qa.toml"), "--name", "qa"]);
    for i in 0..20 {
        let turn = home.enact(&["session", "send", "qa", &format!("question {i}")]);
        assert_eq!(turn.code(), 3, "turn {i}: {}", turn.stderr());
        assert!(turn.stdout().contains(&format!("answer {i}")), "turn {i}: {}", turn.stdout());
    }
    assert_eq!(server.count(), 20);
    // The model saw the dialogue so far: the last prompt holds the first question.
    let last = &server.requests()[19];
    assert!(last.to_string().contains("question 0") && last.to_string().contains("answer 18"), "{last}");
    let shown = home.enact(&["session", "show", "qa", "--json"]).success().json();
    let dialogue = shown["dialogue"].as_array().cloned().unwrap_or_default();
    // The intro, then for each turn the question asked and the user's answer.
    assert_eq!(dialogue.len(), 1 + 2 * 20, "{shown}");
    assert_eq!(dialogue[2]["content"], "question 0");
    assert_eq!(dialogue[40]["content"], "question 19");
    assert_eq!(shown["asks"], "answer 19");
    let text = home.enact(&["session", "show", "qa"]).success().stdout();
    assert!(text.contains("user: question 7"), "{text}");
}

#[test]
fn the_chatbot_graph() {
    let home = Home::new();
    let dot = home.enact(&["flow", "graph", &example("chatbot.toml")]);
    insta::assert_snapshot!("chatbot_dot", dot.success().stdout());
    let mermaid = home.enact(&["flow", "graph", &example("chatbot.toml"), "--format", "mermaid"]);
    insta::assert_snapshot!("chatbot_mermaid", mermaid.success().stdout());
}

#[test]
fn a_hand_written_component_marks_its_steps_and_forks_from_one() {
    let home = Home::new();
    home.add_rust("counter");
    let run = home.enact(&["invoke", "counter", "--input", r#"{"n": 3}"#, "--json"]).success().json();
    assert_eq!(run["output"], json!({"count": 3}));
    let id = run["invocation"].as_str().expect("an id").to_string();
    let listed = steps(&home, &id);
    assert_eq!(step_names(&listed), ["increment", "increment", "increment"]);
    assert_eq!(listed[1]["state"], json!({"count": 2}));
    // A fork hands the component the edited state at its step 0.
    let fork = home.enact(&["flow", "fork", &id, "--step", "0", "--set", "count=1", "--json"]).success().json();
    assert_eq!(fork["output"], json!({"count": 3}));
    let jump = home.enact(&["flow", "fork", &id, "--step", "0", "--set", "count=7", "--json"]).success().json();
    assert_eq!(jump["output"], json!({"count": 7}), "the loop ends at once: 7 is past 3");
    assert_eq!(steps(&home, jump["invocation"].as_str().expect("an id")).len(), 1);

    home.add_rust("dice");
    let dice = home.enact(&["invoke", "dice", "--input", r#"{"n": 1}"#, "--json"]).success().json();
    let none = home.enact(&["flow", "steps", dice["invocation"].as_str().expect("an id")]);
    assert_eq!(none.code(), 2);
    assert!(none.stderr().contains("marked no steps"), "{}", none.stderr());
}

/// What a tree's observer saw of its children, in order: `started` or `sealed`.
#[derive(Default)]
struct Children(std::sync::Mutex<Vec<&'static str>>);

impl enact::Observer for Children {
    fn child_started(&self, _depth: u32, _target: &str) {
        self.0.lock().expect("lock").push("started");
    }

    fn sealed(&self, depth: u32, _id: &enact::Digest, _outcome: &enact::Outcome) {
        if depth > 0 {
            self.0.lock().expect("lock").push("sealed");
        }
    }
}

#[test]
fn a_map_runs_its_children_at_once_and_records_them_in_order() {
    let home = Home::new();
    // Live sources, with a real clock: each child sleeps for real.
    let storage = enact::Storage::open(&home.store_file()).expect("the store opens");
    let rt = enact::Runtime::new(std::sync::Arc::new(storage)).expect("the runtime builds");
    let interpreter =
        rt.add(&std::fs::read(crate::support::guest("rust", "flow")).expect("the interpreter"), None).expect("add").0;
    rt.add(&std::fs::read(crate::support::guest("rust", "timers")).expect("timers"), Some("timers")).expect("add");
    let flow = json!({
        "flow": "sleepers", "entry": "sleep", "state": {"naps": [600, 500, 400]},
        "step": {"sleep": {"map": {"over": "naps", "as": "ms", "call": "timers", "input": {"sleep_ms": "ms"}, "into": "slept"}}},
    });
    let seen = std::sync::Arc::new(Children::default());
    let call = enact::Call::new(interpreter).config(&flow.to_string()).input("null").observer(seen.clone());
    let inv = rt.invoke(call).expect("invoke");
    let slept = inv.output.as_ref().map(|o| o["state"]["slept"].clone()).unwrap_or_default();
    let asked: Vec<u64> = slept.as_array().into_iter().flatten().filter_map(|s| s["slept_ns"].as_u64()).collect();
    assert_eq!(asked.len(), 3, "{:?}", inv.output);
    assert!(asked[0] >= 600_000_000 && asked[2] >= 400_000_000, "{asked:?}");
    // Every child started before the first one (of 0.4 s) was sealed: they ran at once.
    let order = seen.0.lock().expect("lock").clone();
    assert_eq!(&order[..3], ["started", "started", "started"], "{order:?}");
    // The journal holds them in the order of the list, and a replay reuses them.
    let journal = rt.journal_of(&inv.record).expect("journal");
    let inputs: Vec<String> = journal
        .iter()
        .filter_map(|e| match e {
            enact::Event::Invoke(call) => Some(call.input.short()),
            _ => None,
        })
        .collect();
    let input_of = |ms: u64| enact::Digest::of(&enact::canonical_bytes(&json!({"sleep_ms": ms}))).short();
    assert_eq!(inputs, [input_of(600), input_of(500), input_of(400)]);
    let replay = rt.replay(&inv.id).expect("replay");
    assert!(replay.identical);
}
