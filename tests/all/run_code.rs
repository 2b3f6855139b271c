use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::Home;

/// A file of `examples/code`, as a path argument.
fn example(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/code").join(name);
    path.to_str().expect("a UTF-8 path").to_string()
}

/// Writes `source` as `name` in `home` and returns its path.
fn source(home: &Home, name: &str, text: &str) -> String {
    let path = home.path().join(name);
    std::fs::write(&path, text).expect("write the source");
    path.to_str().expect("a UTF-8 path").to_string()
}

fn journal(home: &Home, id: &str) -> Vec<Value> {
    home.enact(&["show", id, "--events", "--json"]).success().json()["journal"].as_array().cloned().unwrap_or_default()
}

/// One home for every case: each runner is compiled once, when first named.
#[test]
fn python_and_javascript_source_runs_sandboxed_journaled_and_replayable() {
    let home = Home::new();

    // Python: main(input)'s return value, print captured, the kit importable.
    let double = source(
        &home,
        "double.py",
        "def main(input):\n    print('doubling', input)\n    return {'twice': input * 2, 'die': enact.below(6) + 1}\n",
    );
    let out = home.enact(&["run", &double, "--input", "21", "--json"]).success().json();
    assert_eq!(out["output"]["twice"], 42, "{out}");
    let id = out["invocation"].as_str().expect("an id").to_string();
    let shown = home.enact(&["show", &id, "--events"]).success().stdout();
    assert!(shown.starts_with("->python[\"def main(input):\"…](21)"), "{shown}");
    assert!(shown.contains("stdout: doubling 21"), "{shown}");
    let replay = home.enact(&["replay", &id, "--json"]).success().json();
    assert_eq!(replay["identical"], true, "{replay}");
    // The same source is the same invokable: the runner, with that config.
    let again = home.enact(&["run", &double, "--input", "21", "--json"]).success().json();
    assert_eq!(again["component"], out["component"]);
    let added = home.enact(&["ls", "names", "--json"]).success().json();
    assert!(added.to_string().contains("\"python\""), "the runner is named `python` once added: {added}");

    // An exception fails the invocation with its traceback.
    let boom = source(&home, "boom.py", "def main(input):\n    return input['missing']\n");
    let failed = home.enact(&["run", &boom, "--input", "{}", "--json"]);
    assert_eq!(failed.code(), 1);
    let error = &failed.json()["error"];
    assert_eq!(error["code"], "exception", "{error}");
    let details: Value = serde_json::from_str(error["details"].as_str().unwrap_or("{}")).expect("details are JSON");
    assert!(details["traceback"].as_str().is_some_and(|t| t.contains("File \"<source>\", line 2")), "{details}");
    // No output at all is an error too; source may come on standard input.
    let none = home.enact(&["run", &source(&home, "none.py", "x = 1\n"), "--json"]);
    assert_eq!(none.json()["error"]["code"], "no-output");
    let piped =
        home.spawn_with_stdin(&["run", "--lang", "python", "-", "--input", "41", "--json"], "output = input + 1\n");
    assert_eq!(piped.success().json()["output"], 42);

    // JavaScript: the same contract.
    let hello = home.enact(&["run", &example("hello.js"), "--input", r#"{"name": "Ada"}"#, "--json"]).success().json();
    assert_eq!(hello["output"]["greeting"], "Hello, Ada!", "{hello}");
    let js_id = hello["invocation"].as_str().expect("an id");
    assert_eq!(home.enact(&["replay", js_id, "--json"]).success().json()["identical"], true);
    let thrown = home.enact(&["run", &source(&home, "boom.js", "output = JSON.parse('{nope');\n"), "--json"]);
    assert_eq!(thrown.code(), 1);
    assert_eq!(thrown.json()["error"]["code"], "exception");

    // Generated code as a child: the model writes source, the parent runs it.
    let llm = format!("scripted:{}", example("squares.llm.json"));
    let squares =
        home.enact(&["run", &example("squares.py"), "--input", "7", "--llm", &llm, "--json"]).success().json();
    assert_eq!(squares["output"]["result"], 49, "{squares}");
    let parent = squares["invocation"].as_str().expect("an id").to_string();
    let tree = home.enact(&["show", &parent, "--json"]).success().json();
    assert_eq!(tree["children"][0]["output"], 49, "{tree}");
    let replay = home.enact(&["replay", &parent, "--llm", "http://127.0.0.1:9/v1", "--json"]).success().json();
    assert_eq!(replay["identical"], true, "a replay asks no model and runs no code again: {replay}");
    // Other source in place of the model's answer runs the new source.
    let at = journal(&home, &parent)
        .iter()
        .position(|e| e["request"].as_str().is_some_and(|r| r.starts_with("llm.complete")))
        .expect("the completion is journaled");
    let other = format!("{at}={}", json!("def main(input):\n    return input + 1\n"));
    let changed = home.enact(&["replay", &parent, "--override", &other, "--json"]).success().json();
    assert_eq!(changed["output"]["result"], 8, "{changed}");
}

#[test]
fn generated_code_cannot_reach_files_or_the_network_and_cannot_run_forever() {
    let home = Home::new();
    let cases = [
        ("files.py", "def main(input):\n    return open('/etc/passwd').read()\n", "exception"),
        (
            "socket.py",
            "import socket\ndef main(input):\n    s = socket.create_connection(('127.0.0.1', 80))\n    return 'connected'\n",
            "exception",
        ),
    ];
    for (name, text, code) in cases {
        let run = home.enact(&["run", &source(&home, name, text), "--json"]);
        assert_eq!(run.code(), 1, "{name}: {}", run.stdout());
        assert_eq!(run.json()["error"]["code"], code, "{name}: {}", run.stdout());
    }
    let forever = source(&home, "forever.py", "def main(input):\n    while True:\n        pass\n");
    let run = home.enact(&["run", &forever, "--fuel", "200000000", "--json"]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let out = run.json();
    assert_eq!(out["status"], "trapped", "{out}");
    assert!(
        out["error"]["message"].as_str().unwrap_or_default().contains("fuel") || out.to_string().contains("fuel"),
        "{out}"
    );
}

#[test]
fn the_code_agent_retries_with_the_error_until_a_program_works_and_replays_without_the_model() {
    let home = Home::new();
    home.add_rust("code-agent");
    let program = |body: &str| {
        crate::llm_server::Canned::completion(&format!("Here it is:\n```python\ndef main(input):\n{body}\n```"))
    };
    let server = crate::llm_server::Server::start(vec![
        program("    return open('/etc/passwd').read()"),
        program("    while True:\n        pass"),
        program("    return sum(input)"),
    ]);
    let config = json!({"url": server.url, "model": "test-model", "retries": 0});
    std::fs::write(home.path().join("llm.json"), config.to_string()).expect("write llm.json");
    let agent_config = json!({"attempts": 3, "fuel": 500_000_000}).to_string();
    let input = json!({"task": "Sum the numbers in the input list.", "input": [1, 2, 3]}).to_string();
    let run = home.enact(&["invoke", "code-agent", "--config", &agent_config, "--input", &input, "--json"]);
    let out = run.success().json();
    assert_eq!(out["output"]["output"], 6, "{out}");
    assert_eq!(out["output"]["attempts"], 3);
    assert!(out["output"]["source"].as_str().is_some_and(|s| s.contains("sum(input)")), "{out}");
    // The model heard why each program failed.
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let second = requests[1]["messages"].to_string();
    assert!(second.contains("Running it failed") && second.contains("passwd"), "{second}");
    let third = requests[2]["messages"].to_string();
    assert!(third.contains("fuel"), "the loop ran out of fuel: {third}");
    // Each program ran as a child, contained: an exception, a trap, an output.
    let id = out["invocation"].as_str().expect("an id").to_string();
    let tree = home.enact(&["show", &id, "--json"]).success().json();
    let children = tree["children"].as_array().cloned().unwrap_or_default();
    let statuses: Vec<&str> = children.iter().filter_map(|c| c["status"].as_str()).collect();
    assert_eq!(statuses, ["failed", "trapped", "completed"], "{tree}");
    // Each child's source is traced to the completion that wrote it.
    let shown = home.enact(&["show", &id]).success().stdout();
    for event in [0, 2, 4] {
        let written = format!("(written by invocation {}, event #{event})", &id[7..19]);
        assert!(shown.contains(&written), "{written} in:\n{shown}");
    }
    // `describe` of the program that worked names who wrote it; `ls --made-by` lists all three.
    let second = children[2]["invocation"].as_str().expect("an id");
    let described = home.enact(&["describe", second, "--json"]).success().json();
    assert_eq!(described["written_by"], json!({"invocation": id, "event": 4}), "{described}");
    let text = home.enact(&["describe", second]).success().stdout();
    assert!(text.contains(&format!("written by invocation {}, event #4", &id[7..19])), "{text}");
    let made = home.enact(&["ls", "invocations", "--made-by", &id, "--json"]).success().json();
    let events: Vec<u64> = made.as_array().into_iter().flatten().filter_map(|r| r["event"].as_u64()).collect();
    assert_eq!(events, [0, 2, 4], "{made}");
    // The whole tree replays with no model reachable.
    let replay = home.enact(&["replay", &id, "--llm", "http://127.0.0.1:9/v1", "--json"]).success().json();
    assert_eq!(replay["identical"], true, "{replay}");
    assert_eq!(server.count(), 3);
}

#[test]
fn a_plain_wasi_program_runs_with_recorded_args_env_and_stdin_and_replays() {
    let home = Home::new();
    let added = home.enact(&["add", crate::support::guest("rust", "hello").to_str().expect("utf-8"), "--json"]);
    assert_eq!(added.success().json()["name"], "hello", "a program is named after its file");
    let described = home.enact(&["describe", "hello", "--json"]).success().json();
    assert_eq!(described["world"], "wasi:cli/command", "{described}");
    let config = json!({"args": ["a", "b"], "env": {"EXIT": "0"}}).to_string();
    let out = home.enact(&["invoke", "hello", "--config", &config, "--input", "\"Ada\"", "--json"]).success().json();
    let output = &out["output"];
    assert_eq!(output["exit"], 0, "{out}");
    let stdout = output["stdout"].as_str().unwrap_or_default();
    assert!(stdout.starts_with("hello, Ada! args [\"a\", \"b\"], lucky "), "{stdout}");
    assert_eq!(output["stderr"], "greeted\n");
    // Its random source is WASI's, journaled: a replay prints the same number.
    let id = out["invocation"].as_str().expect("an id").to_string();
    assert!(journal(&home, &id).iter().any(|e| e["request"].as_str().is_some_and(|r| r.starts_with("wasi:random"))));
    assert_eq!(home.enact(&["replay", &id, "--json"]).success().json()["identical"], true);
    // A failing exit is an output, not an error (WASI 0.2 exits with 0 or 1).
    let failing = json!({"env": {"EXIT": "3"}}).to_string();
    let out = home.enact(&["invoke", "hello", "--config", &failing, "--json"]).success().json();
    assert_eq!(out["output"]["exit"], 1, "{out}");
    // Nothing from the host: config and input that do not fit are refused.
    let refused = home.enact(&["invoke", "hello", "--input", "5"]);
    assert_eq!(refused.code(), 2, "{}", refused.stderr());
}

#[test]
fn a_wasi_preview_1_program_is_adapted_into_a_component_when_added() {
    let home = Home::new();
    let module = crate::support::guest("c", "hello-p1");
    let bytes = std::fs::read(&module).expect("the module");
    assert_eq!(&bytes[4..8], [1, 0, 0, 0], "built as a core module");
    let added = home.enact(&["add", module.to_str().expect("utf-8"), "--json"]).success().json();
    assert_eq!(added["name"], "hello-p1");
    // The same module always makes the same component.
    let again = home.enact(&["add", module.to_str().expect("utf-8"), "--json"]).success().json();
    assert_eq!(again["id"], added["id"]);
    let described = home.enact(&["describe", "hello-p1", "--json"]).success().json();
    assert_eq!(described["world"], "wasi:cli/command");
    let out = home.enact(&["invoke", "hello-p1", "--config", r#"{"args": ["x"]}"#, "--input", "\"Bob\"", "--json"]);
    let out = out.success().json();
    let stdout = out["output"]["stdout"].as_str().unwrap_or_default();
    assert!(stdout.starts_with("hello, Bob! 1 args (first: x), lucky "), "{out}");
    let id = out["invocation"].as_str().expect("an id");
    assert_eq!(home.enact(&["replay", id, "--json"]).success().json()["identical"], true);
}

#[test]
fn run_name_makes_source_an_invokable_any_caller_reaches_by_name() {
    let home = Home::new();
    let doubler = source(&home, "doubler.py", "def main(input):\n    return input * 2\n");
    let named = home.enact(&["run", &doubler, "--name", "doubler", "--input", "4", "--json"]);
    assert_eq!(named.success().json()["output"], 8);
    assert_eq!(home.enact(&["invoke", "doubler", "--input", "21", "--json"]).success().json()["output"], 42);
    // A guest reaches it by name, with no config of its own.
    let caller = source(&home, "caller.py", "def main(input):\n    return enact.invoke('doubler', None, input) + 1\n");
    assert_eq!(home.enact(&["run", &caller, "--input", "5", "--json"]).success().json()["output"], 11);
    let names = home.enact(&["ls", "names", "--json"]).success().json();
    let entry = names.as_array().into_iter().flatten().find(|n| n["name"] == "doubler").cloned().unwrap_or_default();
    assert!(entry["config"]["source"].as_str().is_some_and(|s| s.contains("input * 2")), "{names}");
    // It outlives gc, a config given with it is refused, and unname removes it.
    home.enact(&["gc"]).success();
    assert_eq!(home.enact(&["invoke", "doubler", "--input", "1", "--json"]).success().json()["output"], 2);
    let with_config = home.enact(&["invoke", "doubler", "--config", r#"{"source": "x"}"#, "--input", "1"]);
    assert_eq!(with_config.code(), 2);
    assert!(with_config.stderr().contains("config of its own"), "{}", with_config.stderr());
    let taken = home.enact(&["run", &doubler, "--name", "python"]);
    assert_eq!(taken.code(), 2, "the runner's own name is not given away: {}", taken.stderr());
    home.enact(&["unname", "doubler"]).success();
    assert_eq!(home.enact(&["invoke", "doubler", "--input", "1"]).code(), 2);
}

#[test]
fn a_zig_program_rolls_dice_with_journaled_random_and_replays() {
    let home = Home::new();
    let dice = crate::support::guest("zig", "dice-main");
    home.enact(&["add", dice.to_str().expect("utf-8"), "--name", "zig-dice"]).success();
    let out = home.enact(&["invoke", "zig-dice", "--config", r#"{"args": ["5"]}"#, "--json"]).success().json();
    let printed: Value =
        serde_json::from_str(out["output"]["stdout"].as_str().unwrap_or_default()).expect("JSON on stdout");
    let rolls: Vec<u64> = printed["rolls"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect();
    assert_eq!(rolls.len(), 5, "{out}");
    assert!(rolls.iter().all(|r| (1..=6).contains(r)), "{rolls:?}");
    assert_eq!(printed["sum"], rolls.iter().sum::<u64>());
    let id = out["invocation"].as_str().expect("an id").to_string();
    assert!(journal(&home, &id).iter().any(|e| e["request"].as_str().is_some_and(|r| r.starts_with("wasi:random"))));
    assert_eq!(home.enact(&["replay", &id, "--json"]).success().json()["identical"], true);
}

#[test]
fn the_rust_dice_as_a_plain_main_program_rolls_journaled_dice() {
    let home = Home::new();
    home.enact(&["add", crate::support::guest("rust", "dice-main").to_str().expect("utf-8")]).success();
    let out = home.enact(&["invoke", "dice-main", "--config", r#"{"args": ["4"]}"#, "--json"]).success().json();
    let printed: Value =
        serde_json::from_str(out["output"]["stdout"].as_str().unwrap_or_default()).expect("JSON on stdout");
    let rolls: Vec<u64> = printed["rolls"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect();
    assert_eq!(rolls.len(), 4, "{out}");
    assert!(rolls.iter().all(|r| (1..=6).contains(r)), "{rolls:?}");
    let id = out["invocation"].as_str().expect("an id");
    assert_eq!(home.enact(&["replay", id, "--json"]).success().json()["identical"], true);
}

#[test]
fn named_invokables_travel_in_bundles_with_their_config() {
    let home = Home::new();
    let doubler = source(&home, "doubler.py", "def main(input):\n    return input * 2\n");
    home.enact(&["run", &doubler, "--name", "doubler", "--input", "1"]).success();
    let caller = source(&home, "caller.py", "def main(input):\n    return enact.invoke('doubler', None, input) + 1\n");
    let run = home.enact(&["run", &caller, "--input", "5", "--json"]).success().json();
    assert_eq!(run["output"], 11);
    let id = run["invocation"].as_str().expect("an id").to_string();
    // The config the caller gave (none) is kept as well as the one the name holds.
    home.enact(&["verify"]).success();

    // The tree carries the name its child was called by, as an invokable's.
    let tree = home.path().join("tree.bundle");
    home.enact(&["export", &id, "-o", tree.to_str().expect("utf-8")]).success();
    let there = Home::new();
    there.enact(&["import", tree.to_str().expect("utf-8")]).success();
    let names = there.enact(&["ls", "names", "--json"]).success().json();
    let entry = names.as_array().into_iter().flatten().find(|n| n["name"] == "doubler").cloned().unwrap_or_default();
    assert!(entry["config"]["source"].as_str().is_some_and(|s| s.contains("input * 2")), "{names}");
    assert_eq!(there.enact(&["invoke", "doubler", "--input", "21", "--json"]).success().json()["output"], 42);
    assert_eq!(there.enact(&["replay", &id, "--json"]).success().json()["identical"], true);

    // A name exported by itself goes with its config; a store that names
    // another invokable so keeps its own, and says so.
    let named = home.path().join("doubler.bundle");
    let exported = home.enact(&["export", "doubler", "-o", named.to_str().expect("utf-8"), "--json"]);
    assert_eq!(exported.success().json()["carried"]["names"], 1);
    let tripler = source(&there, "tripler.py", "def main(input):\n    return input * 3\n");
    there.enact(&["run", &tripler, "--name", "doubler", "--force", "--input", "1"]).success();
    let imported = there.enact(&["import", named.to_str().expect("utf-8"), "--json"]);
    let kept = imported.success().json()["names_kept"].clone();
    assert_eq!(kept[0]["name"], "doubler", "{kept}");
    assert!(kept[0]["config"].is_string(), "{kept}");
    assert_eq!(there.enact(&["invoke", "doubler", "--input", "2", "--json"]).success().json()["output"], 6);
}
