//! Whoever holds the store serves the others: while one enact process holds
//! a home's store, other enact commands on that home run in it, with the
//! same output and exit codes as on their own.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{Home, guest};

/// The CLI's main cases, in order: `(arguments, standard input)`. They run
/// in a directory holding `dice.wasm`, so relative paths are exercised.
fn main_cases() -> Vec<(Vec<&'static str>, Option<&'static str>)> {
    vec![
        (vec!["add", "dice.wasm", "--name", "dice"], None),
        (vec!["ls", "--json"], None),
        (vec!["invoke", "dice", "--input", "{\"n\":3}"], None),
        (vec!["invoke", "dice", "--input", "@-", "--json"], Some("{\"n\":2}")),
        (vec!["show", "last"], None),
        (vec!["show", "last", "--events", "--json"], None),
        (vec!["replay", "last"], None),
        (vec!["rewind", "last", "1"], None),
        (vec!["replay", "last", "--override", "0=6"], None),
        (vec!["invoke", "ask-dice"], None),
        (vec!["resume", "last", "--answers", "[1, 2]"], None),
        (vec!["invoke", "ask-dice", "--answers", "-"], Some("[2, 3, 4]")),
        (vec!["invoke", "fail", "--input", "{}"], None),
        (vec!["describe", "dice", "--json"], None),
        (vec!["export", "dice", "-o", "dice.bundle"], None),
        (vec!["import", "dice.bundle", "--json"], None),
        (vec!["ls", "names"], None),
        (vec!["show", "0000000000ff"], None),
        (vec!["invoke"], None),
        (vec!["verify"], None),
    ]
}

/// What a case printed, with what differs from run to run (wall-clock
/// times) blanked.
fn normalized(text: &str) -> String {
    let time = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").expect("a regex");
    let took = regex::Regex::new(r"\d+(\.\d+)? ?(µs|ms|s)\b").expect("a regex");
    let took_us = regex::Regex::new(r#""took_us":\d+"#).expect("a regex");
    let text = took_us.replace_all(text, r#""took_us":DURATION"#);
    took.replace_all(&time.replace_all(&text, "TIME"), "DURATION").into_owned()
}

/// Runs every main case as a process on `home`, in `dir`: `(code, stdout, stderr)` each.
fn run_cases(home: &Home, dir: &Path) -> Vec<(i32, String, String)> {
    main_cases()
        .into_iter()
        .map(|(args, stdin)| {
            let mut child = Command::new(env!("CARGO_BIN_EXE_enact"))
                .args(&args)
                .current_dir(dir)
                .env("ENACT_HOME", home.path())
                .env("ENACT_SEED", "7")
                .env_remove("ENACT_LOG")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("enact runs");
            let mut input = child.stdin.take().expect("stdin");
            input.write_all(stdin.unwrap_or_default().as_bytes()).expect("write stdin");
            drop(input);
            let output = child.wait_with_output().expect("enact ends");
            let text = |b: &[u8]| normalized(&String::from_utf8_lossy(b));
            (output.status.code().unwrap_or(-1), text(&output.stdout), text(&output.stderr))
        })
        .collect()
}

/// A home with the cases' other components, and a directory with `dice.wasm`.
fn prepared() -> (Home, tempfile::TempDir) {
    let home = Home::new();
    home.add_rust("ask-dice");
    home.add_rust("fail");
    let dir = tempfile::tempdir().expect("a directory");
    std::fs::copy(guest("rust", "dice"), dir.path().join("dice.wasm")).expect("copy dice");
    (home, dir)
}

/// Starts `args` on `home` as the process that holds its store, and waits
/// until its socket answers.
pub fn holder(home: &Home, args: &[&str]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(args)
        .env("ENACT_HOME", home.path())
        .env_remove("ENACT_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("enact runs");
    let socket = home.path().join("enact.sock");
    for _ in 0..200 {
        if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the holder never listened on {}", socket.display());
}

/// The main cases give the same output and exit codes through `holder_args`
/// (a process holding the store) as on their own.
pub fn same_through(holder_args: &[&str]) {
    let (alone, alone_dir) = prepared();
    let expected = run_cases(&alone, alone_dir.path());

    let (home, dir) = prepared();
    let mut holder = holder(&home, holder_args);
    let got = run_cases(&home, dir.path());
    assert!(holder.try_wait().expect("a status").is_none(), "the holder ran to the end");
    for (((args, _), expected), got) in main_cases().iter().zip(&expected).zip(&got) {
        assert_eq!(got, expected, "`enact {}` through a holder differs", args.join(" "));
    }
    // The codes themselves: completed, failed, awaiting input, usage errors.
    let codes: Vec<i32> = got.iter().map(|(code, _, _)| *code).collect();
    assert!(codes.contains(&1) && codes.contains(&2) && codes.contains(&3), "{codes:?}");
    drop(holder.stdin.take());
    let _ = holder.kill();
    let _ = holder.wait();
}

#[test]
fn a_long_invocation_serves_other_commands_with_their_own_output() {
    same_through(&["invoke", "ask-dice", "--interactive"]);
}

#[test]
fn a_run_of_this_process_is_running_not_cut_off() {
    let home = Home::new();
    home.add_rust("ask-dice");
    let mut holder = holder(&home, &["invoke", "ask-dice", "--interactive"]);
    // A person's answer is durable before the guest sees it: with it the
    // run is in the store, and it waits for the next one, live.
    let stdin = holder.stdin.as_mut().expect("stdin");
    stdin.write_all(b"3\n").expect("answer");
    stdin.flush().expect("flush");
    let mut rows = Vec::new();
    for _ in 0..200 {
        let listed = home.spawn(&["ls", "invocations", "--json"]);
        listed.success();
        rows = listed.json().as_array().expect("a list").clone();
        if !rows.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["status"], "running");
    assert_eq!(rows[0]["cut_off"], false);
    // Killed, the same run is cut off.
    holder.kill().expect("kill");
    let _ = holder.wait();
    let rows = home.spawn(&["ls", "invocations", "--json"]).json();
    assert_eq!(rows[0]["status"], "incomplete", "{rows}");
    assert_eq!(rows[0]["cut_off"], true);
}

#[test]
fn standard_input_reaches_an_interactive_command_through_the_holder() {
    let home = Home::new();
    home.add_rust("ask-dice");
    let mut holder = holder(&home, &["invoke", "ask-dice", "--interactive"]);
    let asked = home.spawn_with_stdin(&["invoke", "ask-dice", "--interactive", "--json"], "2\n5\n6\n");
    asked.success();
    assert_eq!(asked.json()["output"], 11, "the answers 5 and 6 reached it: {}", asked.stdout());
    assert!(asked.stderr().contains("How many dice?"), "the prompt is on stderr: {}", asked.stderr());
    drop(holder.stdin.take());
    let _ = holder.wait();
}
