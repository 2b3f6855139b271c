use serde_json::json;

use crate::support::{Home, guest};

#[test]
fn dice_invoke_then_replay_gives_the_same_output_and_a_journal_of_1000_random_events() {
    let home = Home::new();
    home.add_rust("dice");
    let invoke = home.enact(&["invoke", "dice", "--config", r#"{"sides":6}"#, "--input", r#"{"n":1000}"#, "--json"]);
    invoke.success();
    let recorded = invoke.json();
    assert_eq!(recorded["status"], "completed");
    assert_eq!(recorded["events"], 1000);
    let rolls = recorded["output"]["rolls"].as_array().expect("rolls");
    assert_eq!(rolls.len(), 1000);
    assert!(rolls.iter().all(|r| (1..=6).contains(&r.as_u64().expect("a number"))));
    let sum: u64 = rolls.iter().map(|r| r.as_u64().expect("a number")).sum();
    assert_eq!(recorded["output"]["sum"], sum);

    let id = recorded["invocation"].as_str().expect("an id");
    let replay = home.enact(&["replay", id, "--json"]);
    replay.success();
    let replayed = replay.json();
    assert_eq!(replayed["output"], recorded["output"]);
    assert_eq!(replayed["identical"], true);
    assert_eq!(replayed["invocation"], recorded["invocation"]);

    let show = home.enact(&["show", id, "--events", "--json"]);
    show.success();
    let journal = show.json()["journal"].as_array().expect("a journal").clone();
    assert_eq!(journal.len(), 1000);
    assert!(journal.iter().all(|e| e["request"] == "random.next-u64"));
}

#[test]
fn invoke_prints_output_on_stdout_and_the_invocation_on_stderr() {
    let home = Home::new();
    home.add_rust("echo");
    let run = home.enact(&["invoke", "echo", "--input", r#"{ "b": 1, "a": [true, null] }"#]);
    run.success();
    assert_eq!(run.stdout(), "{\"a\":[true,null],\"b\":1}\n");
    // people get the short id, which resolves like the full one
    let line = run.stderr().lines().find(|l| l.starts_with("invocation ")).map(str::to_string);
    let short = line.as_deref().and_then(|l| l.split_whitespace().nth(1)).expect("an invocation line");
    assert_eq!(short.len(), 12, "{}", run.stderr());
    home.enact(&["show", short]).success();
    assert!(run.stderr().contains("completed"), "{}", run.stderr());
}

#[test]
fn a_target_resolves_by_name_full_id_and_prefix() {
    let home = Home::new();
    let id = home.add_rust("echo");
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
    for target in [&id[..], &id[7..], &id[7..19], "echo"] {
        let run = home.enact(&["invoke", target, "--input", "5"]);
        run.success();
        assert_eq!(run.stdout().trim(), "5", "target {target}");
    }
}

#[test]
fn a_failed_guest_exits_1_with_its_error() {
    let home = Home::new();
    home.add_rust("fail");
    let run = home.enact(&["invoke", "fail", "--input", r#""no luck""#, "--json"]);
    assert_eq!(run.code(), 1);
    let out = run.json();
    assert_eq!(out["status"], "failed");
    assert_eq!(out["error"]["code"], "deliberate");
    assert_eq!(out["error"]["message"], "no luck");
}

#[test]
fn config_and_input_are_checked_against_the_components_schemas() {
    let home = Home::new();
    home.add_rust("dice");
    let before = home.contents();
    let run = home.enact(&["invoke", "dice", "--config", r#"{"sides":0}"#, "--input", r#"{"n":1}"#]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("config does not fit the component's schema"), "{}", run.stderr());
    let run = home.enact(&["invoke", "dice", "--input", r#"{"count":1}"#]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("input does not fit"), "{}", run.stderr());
    assert_eq!(home.contents(), before);

    let described = home.enact(&["describe", "dice", "--json"]).json();
    assert_eq!(described["name"], "dice");
    assert_eq!(described["sources"], serde_json::json!(["enact:runtime/random"]));
    assert_eq!(described["pure"], false);
    assert_eq!(described["input_schema"]["required"], serde_json::json!(["n"]));
}

#[test]
fn show_prints_one_line_per_call_and_the_events_beneath() {
    let home = Home::new();
    home.add_rust("dice");
    let invoke = home.enact(&["invoke", "dice", "--input", r#"{"n":2}"#, "--json"]);
    let out = invoke.json();
    let id = out["invocation"].as_str().expect("an id");

    let show = home.enact(&["show", id]);
    show.success();
    let expected = format!("->dice({{\"n\":2}}) = {}\n", out["output"]);
    assert_eq!(show.stdout(), expected);

    let events = home.enact(&["show", id, "--events"]);
    let lines: Vec<_> = events.stdout().lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "{}", events.stdout());
    assert!(lines[1].starts_with("  #0 random.next-u64 -> "), "{}", lines[1]);
    assert!(lines[2].starts_with("  #1 random.next-u64 -> "), "{}", lines[2]);
}

#[test]
fn the_clock_guest_reads_wasi_clocks_through_the_journal() {
    let home = Home::new();
    home.add_rust("clock");
    let invoke = home.enact(&["invoke", "clock", "--json"]);
    invoke.success();
    let out = invoke.json();
    let id = out["invocation"].as_str().expect("an id");
    let show = home.enact(&["show", id, "--events", "--json"]).json();
    let journal = show["journal"].as_array().expect("a journal");
    let wall =
        journal.iter().find(|e| e["request"] == "wasi:clocks/wall-clock.now").expect("a journaled wall-clock reading");
    // the guest saw exactly the journaled time
    assert_eq!(wall["response"]["seconds"], out["output"]["seconds"]);
    assert_eq!(wall["response"]["nanoseconds"], out["output"]["nanoseconds"]);
    // its stdout was captured, not printed
    assert!(!invoke.stdout().contains("the time is"));
    assert_eq!(show["logs"][0]["level"], "stdout");

    let replay = home.enact(&["replay", id, "--json"]);
    replay.success();
    assert_eq!(replay.json()["output"], out["output"]);
}

#[test]
fn ls_lists_components_names_and_invocations() {
    let home = Home::new();
    let dice = home.add_rust("dice");
    let echo = home.add_rust("echo");
    let short = |id: &str| id.trim_start_matches("sha256:")[..12].to_string();
    let components = home.enact(&["ls", "components"]);
    let table = components.success().stdout();
    assert!(table.starts_with("ID "), "a header: {table}");
    assert!(table.contains(&short(&dice)) && table.contains(&short(&echo)), "{table}");
    let names = home.enact(&["ls", "names"]).stdout();
    assert_eq!(names, format!("NAME  COMPONENT\ndice  {}\necho  {}\n", short(&dice), short(&echo)));
    let listed = home.enact(&["ls", "components", "--json"]).json();
    assert_eq!(listed.as_array().expect("a list").len(), 2);
    assert!(listed.as_array().expect("a list").iter().any(|c| c["id"] == dice.as_str() && c["names"][0] == "dice"));

    let first = home.enact(&["invoke", "echo", "--input", "1", "--json"]).json();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let second = home.enact(&["invoke", "dice", "--input", r#"{"n":1}"#, "--json"]).json();
    let invocations = home.enact(&["ls", "invocations"]).stdout();
    let rows: Vec<&str> = invocations.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{invocations}");
    let id = |out: &serde_json::Value| short(out["invocation"].as_str().expect("an id"));
    assert!(rows[0].starts_with(&id(&second)), "newest first: {invocations}");
    assert!(rows[1].starts_with(&id(&first)) && rows[1].contains("completed"), "{invocations}");
    let json = home.enact(&["ls", "invocations", "--json", "--limit", "1"]).json();
    assert_eq!(json.as_array().expect("a list").len(), 1);
    assert_eq!(json[0]["id"], second["invocation"]);
    assert_eq!(json[0]["short"], id(&second).as_str());
    let failed = home.enact(&["ls", "invocations", "--status", "failed", "--json"]).json();
    assert_eq!(failed, serde_json::json!([]));
}

#[test]
fn the_json_object_has_the_contract_fields() {
    let home = Home::new();
    home.add_rust("echo");
    let out = home.enact(&["invoke", "echo", "--input", r#"{"x":1}"#, "--json"]).json();
    assert_eq!(out["status"], "completed");
    assert_eq!(out["output"], json!({"x": 1}));
    assert!(out["invocation"].as_str().expect("an id").starts_with("sha256:"));
}

#[test]
fn invoke_loads_the_code_compiled_by_add_instead_of_recompiling() {
    let home = Home::new();
    let path = crate::support::guest("rust", "dice");
    let add = home.enact_logged(&["add", path.to_str().expect("utf-8"), "--name", "dice"]);
    add.success();
    assert!(add.stderr().contains("compiling component"), "{}", add.stderr());
    for _ in 0..2 {
        let invoke = home.enact_logged(&["invoke", "dice", "--input", r#"{"n":1}"#]);
        invoke.success();
        assert!(!invoke.stderr().contains("compiling component"), "{}", invoke.stderr());
        assert!(invoke.stderr().contains("loaded compiled component"), "{}", invoke.stderr());
    }

    // The code is a file beside the store; changed behind enact's back, it
    // is dropped and compiled again, and the invocation runs the same.
    let add = add.stdout();
    let dir = home.path().join("artifacts").join(add.trim().trim_start_matches("sha256:"));
    let files: Vec<_> =
        std::fs::read_dir(&dir).expect("the component's artifacts").flatten().map(|e| e.path()).collect();
    let code = files.iter().find(|p| p.extension().is_some_and(|e| e == "cwasm")).expect("a .cwasm file");
    let mut bytes = std::fs::read(code).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(code, bytes).expect("write");
    let invoke = home.enact_logged(&["invoke", "dice", "--input", r#"{"n":1}"#]);
    invoke.success();
    assert!(invoke.stderr().contains("dropping compiled code that changed on disk"), "{}", invoke.stderr());
    assert!(invoke.stderr().contains("compiling component"), "{}", invoke.stderr());
    let again = home.enact_logged(&["invoke", "dice", "--input", r#"{"n":1}"#]);
    assert!(again.success().stderr().contains("loaded compiled component"), "{}", again.stderr());
}

#[test]
fn a_reader_that_goes_away_stops_enact_quietly() {
    use std::io::{BufRead, BufReader, Read};
    let home = Home::new();
    home.add_rust("roll-die");
    home.add_rust("roll-sum");
    let run = home.enact(&["invoke", "roll-sum", "--input", r#"{"n":5000}"#, "--json"]).json();
    let id = run["invocation"].as_str().expect("id");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(["show", id, "--children", "5000"])
        .env("ENACT_HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("enact starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("a line");
    assert!(first.starts_with("->roll-sum"), "{first}");
    // the pipe's reader end is closed here, like `enact show ... | head -1`
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    let status = child.wait().expect("enact exits");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!status.success(), "5,000 lines cannot all fit in the pipe");
}

#[test]
fn the_binary_behaves_as_run_does_in_process() {
    let home = Home::new();
    home.add_rust("echo");
    let spawned = home.spawn(&["invoke", "echo", "--input", "7", "--json"]);
    let out = spawned.success().json();
    assert_eq!(out["output"], 7);
    let in_process = home.enact(&["show", out["invocation"].as_str().expect("id")]);
    assert_eq!(in_process.success().stdout(), home.spawn(&["show", out["invocation"].as_str().expect("id")]).stdout());
    let usage = home.spawn(&["ls", "nothing-of-the-kind"]);
    assert_eq!(usage.code(), 2, "{}", usage.stderr());
    assert_eq!(home.enact(&["ls", "nothing-of-the-kind"]).code(), 2);
}

/// The `enact ...` commands quoted in the `hint:` lines of `stderr`, with
/// their placeholders filled in.
fn hinted_commands(stderr: &str) -> Vec<Vec<String>> {
    stderr
        .lines()
        .filter_map(|line| line.split_once("hint:").map(|(_, hint)| hint.to_string()))
        .flat_map(|hint| {
            hint.split('`')
                .skip(1)
                .step_by(2)
                .filter(|quoted| quoted.starts_with("enact "))
                .map(|command| {
                    command
                        .split_whitespace()
                        .map(|word| match word {
                            "TARGET" | "INVOCATION" => "dice".to_string(),
                            "JSON" => "3".to_string(),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .collect::<Vec<Vec<String>>>()
        })
        .collect()
}

#[test]
fn every_command_a_hint_names_exists() {
    let home = Home::new();
    home.add_rust("ask-dice");
    home.add_rust("dice");
    let waiting = home.enact(&["invoke", "ask-dice", "--json"]).json();
    let waiting = waiting["invocation"].as_str().expect("id").to_string();
    let done = home.enact(&["invoke", "dice", "--input", r#"{"n":2}"#, "--json"]).json();
    let done = done["invocation"].as_str().expect("id").to_string();
    let rewound = home.enact(&["rewind", &done, "1"]).success().stdout().trim().to_string();
    let error_paths: Vec<Vec<&str>> = vec![
        vec!["invoke", "ask-dice"],                       // awaits input: how to answer
        vec!["invoke", "no-such-component"],              // unknown component
        vec!["show", "0123456789abcdef"],                 // unknown invocation
        vec!["resume", "run:0123456789abcdef"],           // unknown cut-off run
        vec!["resume", &waiting],                         // awaits an answer
        vec!["resume", &waiting, "--answer", "99"],       // an answer that does not fit
        vec!["resume", &done],                            // finished: nothing to resume
        vec!["resume", &rewound, "--answer", "1"],        // incomplete: awaits no answer
        vec!["rewind", &done],                            // rewound: how to continue
        vec!["rewind", &done, "9"],                       // too far
        vec!["invoke", "dice", "--input", r#"{"n":-1}"#], // does not fit the schema
    ];
    let mut checked = 0;
    for args in error_paths {
        let run = home.enact(&args);
        let commands = hinted_commands(&run.stderr());
        assert!(!commands.is_empty() || run.stderr().contains("hint:"), "{args:?} gives a hint: {}", run.stderr());
        for command in commands {
            if let Err(e) = <enact::Cli as clap::Parser>::try_parse_from(&command) {
                panic!("{args:?} hints at `{}`, which does not parse: {e}", command.join(" "));
            }
            checked += 1;
        }
    }
    assert!(checked >= 9, "only {checked} hinted commands were checked");
}

#[test]
fn a_guest_that_panics_shows_its_panic_message_under_the_trap() {
    let home = Home::new();
    home.add_rust("fail");
    let run = home.enact(&["invoke", "fail", "--config", r#"{"panic":true}"#, "--input", r#""out of dice""#]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let stderr = run.stderr();
    assert!(stderr.contains("trapped: "), "{stderr}");
    assert!(stderr.lines().any(|l| l.starts_with("  | ") && l.contains("out of dice")), "{stderr}");
    assert!(stderr.contains("--events` shows the whole log"), "{stderr}");
}

#[test]
fn an_invocation_is_named_by_last_by_its_components_name_or_by_any_unique_prefix() {
    let home = Home::new();
    home.add_rust("dice");
    home.add_rust("echo");
    let dice = home.enact(&["invoke", "dice", "--input", r#"{"n":2}"#, "--json"]).json();
    let dice = dice["invocation"].as_str().expect("id").to_string();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let echo = home.enact(&["invoke", "echo", "--input", "7", "--json"]).json();
    let echo = echo["invocation"].as_str().expect("id").to_string();

    let shown = |target: &str| home.enact(&["show", target, "--json"]).success().json()["invocation"].clone();
    assert_eq!(shown("last"), echo.as_str(), "the latest invocation");
    assert_eq!(shown("dice"), dice.as_str(), "the latest invocation of `dice`");
    // the shortest prefix that tells the two apart
    let hex = |id: &str| id.trim_start_matches("sha256:").to_string();
    let (a, b) = (hex(&dice), hex(&echo));
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    assert_eq!(shown(&a[..=common]), dice.as_str());
    if common > 0 {
        let ambiguous = home.enact(&["show", &a[..common]]);
        assert_eq!(ambiguous.code(), 2);
        assert!(ambiguous.stderr().contains("is ambiguous"), "{}", ambiguous.stderr());
    }
    assert_eq!(home.enact(&["replay", "last", "--json"]).success().json()["identical"], true);
}

#[test]
fn add_binds_the_components_own_name_and_never_moves_a_name_silently() {
    let home = Home::new();
    let clock = crate::support::guest("rust", "clock");
    let echo = crate::support::guest("rust", "echo");
    let (clock, echo) = (clock.to_str().expect("utf-8"), echo.to_str().expect("utf-8"));

    let added = home.enact(&["add", clock]);
    assert!(added.success().stderr().contains("added `clock` as `clock`"), "{}", added.stderr());
    home.enact(&["invoke", "clock"]).success();

    // a name that points at another component moves only with --force
    let before = home.contents();
    let refused = home.enact(&["add", echo, "--name", "clock"]);
    assert_eq!(refused.code(), 2, "{}", refused.stderr());
    assert!(refused.stderr().contains("`clock` names `sha256:"), "{}", refused.stderr());
    assert!(refused.stderr().contains("--force"), "{}", refused.stderr());
    assert_eq!(home.contents(), before, "nothing was written");
    let moved = home.enact(&["add", echo, "--name", "clock", "--force"]);
    assert!(moved.success().stderr().contains("the name moved from"), "{}", moved.stderr());
    assert_eq!(home.enact(&["invoke", "clock", "--input", "5"]).success().stdout().trim(), "5");

    // name and unname, with a .wasm path where a component is expected
    home.enact(&["name", "timepiece", clock]).success();
    home.enact(&["invoke", "timepiece"]).success();
    home.enact(&["unname", "timepiece"]).success();
    assert_eq!(home.enact(&["invoke", "timepiece"]).code(), 2);
    assert_eq!(home.enact(&["unname", "timepiece"]).code(), 2);
    let hexlike = home.enact(&["name", "cafe", clock]);
    assert_eq!(hexlike.code(), 2);
    assert!(hexlike.stderr().contains("looks like an id prefix"), "{}", hexlike.stderr());
    let reserved = home.enact(&["name", "last", clock]);
    assert_eq!(reserved.code(), 2);
    assert!(reserved.stderr().contains("`last` is reserved"), "{}", reserved.stderr());
    assert_eq!(home.enact(&["invoke", echo, "--input", "3"]).success().stdout().trim(), "3");

    // adding stored bytes again compiles nothing
    let again = home.enact_logged(&["add", clock]);
    again.success();
    assert!(!again.stderr().contains("compiling component"), "{}", again.stderr());
}

#[test]
fn a_missing_or_mangled_input_is_explained_with_an_example() {
    let home = Home::new();
    home.add_rust("dice");
    let missing = home.enact(&["invoke", "dice"]);
    assert_eq!(missing.code(), 2, "{}", missing.stderr());
    assert!(missing.stderr().contains("`dice` needs an input"), "{}", missing.stderr());
    // the example in the hint runs as it is
    let hinted = hinted_commands(&missing.stderr());
    let command = hinted.first().expect("a hinted command");
    let args: Vec<String> = command[1..].iter().map(|a| a.trim_matches('\'').to_string()).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    home.enact(&args).success();

    let mangled = home.enact(&["invoke", "dice", "--input", "{n:3}"]);
    assert_eq!(mangled.code(), 2);
    assert!(mangled.stderr().contains("got: {n:3}"), "{}", mangled.stderr());
}

#[test]
fn with_json_an_error_is_a_json_object_too_and_completions_print() {
    let home = Home::new();
    let run = home.enact(&["show", "no-such-invocation", "--json"]);
    assert_eq!(run.code(), 2);
    let out = run.json();
    assert_eq!(out["error"]["message"], "no invocation matches `no-such-invocation`", "{out}");
    assert_eq!(out["error"]["hint"], "`enact ls invocations` lists them", "{out}");
    assert!(run.stderr().starts_with("error: "), "people still read it on stderr");

    let bash = home.enact(&["completions", "bash"]);
    assert!(bash.success().stdout().contains("_enact()"), "{}", &bash.stdout()[..200.min(bash.stdout().len())]);
}

#[test]
fn help_shows_examples_and_global_options_apart_and_raw_prints_text() {
    let home = Home::new();
    let help = home.enact(&["invoke", "--help"]);
    let text = help.success().stdout();
    assert!(text.contains("Examples:\n  enact invoke dice --input"), "{text}");
    assert!(text.contains("Global options:\n      --home <DIR>"), "{text}");
    home.add_rust("echo");
    assert_eq!(home.enact(&["invoke", "echo", "--input", r#""hi there""#, "--raw"]).success().stdout(), "hi there\n");
    assert_eq!(home.enact(&["invoke", "echo", "--input", r#""hi there""#]).success().stdout(), "\"hi there\"\n");
}

#[test]
fn every_command_has_examples_in_its_help_and_prints_json_with_json() {
    let cli = <enact::Cli as clap::CommandFactory>::command();
    // A group (`flow`, `session`) is checked command by command.
    let mut commands = Vec::new();
    for command in cli.get_subcommands().filter(|c| c.get_name() != "completions") {
        if command.has_subcommands() {
            for sub in command.get_subcommands().filter(|c| c.get_name() != "help") {
                commands.push((vec![command.get_name().to_string(), sub.get_name().to_string()], sub.clone()));
            }
        } else {
            commands.push((vec![command.get_name().to_string()], command.clone()));
        }
    }
    for (words, command) in commands {
        let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
        args.push("--help");
        let help = Home::new().enact(&args).stdout();
        assert!(help.contains("Examples:\n  enact "), "`enact {} --help` shows no examples", words.join(" "));
        let takes_json = command.get_arguments().any(|a| a.get_long() == Some("json"));
        assert!(takes_json, "`enact {}` has no --json", words.join(" "));
    }

    let home = Home::new();
    let bundle = home.path().join("b.bundle");
    let bundle = bundle.to_str().expect("utf-8");
    let dice = guest("rust", "dice");
    let lines: Vec<Vec<&str>> = vec![
        vec!["add", dice.to_str().expect("utf-8")],
        vec!["name", "roll", "dice"],
        vec!["unname", "roll"],
        vec!["describe", "dice"],
        vec!["invoke", "dice", "--input", r#"{"n":2}"#],
        vec!["show", "last"],
        vec!["replay", "last"],
        vec!["rewind", "last", "1"],
        vec!["resume", "last"],
        vec!["ls", "invocations"],
        vec!["export", "last", "-o", bundle],
        vec!["import", bundle],
        vec!["verify"],
        vec!["rm", "last"],
        vec!["gc"],
    ];
    for mut line in lines {
        line.push("--json");
        let run = home.enact(&line);
        assert_eq!(run.code(), 0, "{line:?}: {}", run.stderr());
        let out: serde_json::Value = serde_json::from_str(&run.stdout())
            .unwrap_or_else(|e| panic!("{line:?} prints no JSON ({e}): {}", run.stdout()));
        assert!(out.is_object() || out.is_array(), "{line:?}: {out}");
    }
}
