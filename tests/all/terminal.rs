//! What a person at a terminal sees: progress, colours, `-q`. A pseudo-
//! terminal comes from util-linux's `script`.

use std::process::{Command, Stdio};

use crate::llm_server::{Canned, Server};
use crate::support::{Home, guest};

/// Runs `enact ARGS` with `vars` on a pseudo-terminal; what it showed, and
/// its exit code.
fn on_terminal(home: &Home, args: &[&str], vars: &[(&str, &str)]) -> (String, i32) {
    let quote = |word: &str| format!("'{}'", word.replace('\'', r"'\''"));
    let words: Vec<String> =
        std::iter::once(env!("CARGO_BIN_EXE_enact")).chain(args.iter().copied()).map(quote).collect();
    let output = Command::new("script")
        .args(["-qefc", &words.join(" "), "/dev/null"])
        .env("ENACT_HOME", home.path())
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    (String::from_utf8_lossy(&output.stdout).into_owned(), output.status.code().unwrap_or(-1))
}

/// `chat` against a server that rate-limits the first request.
fn chat_args(home: &Home, server: &Server) -> Vec<String> {
    home.add_rust("chat");
    let answers = home.path().join("answers.json");
    std::fs::write(&answers, r#"["hi", "stop"]"#).expect("write");
    ["invoke", "chat", "--llm", &server.url, "--model", "m", "--answers", answers.to_str().expect("utf-8")]
        .map(str::to_string)
        .to_vec()
}

#[test]
fn a_terminal_sees_the_llm_retry_and_a_pipe_or_json_sees_no_progress() {
    let home = Home::new();
    let limited = || vec![Canned::status(429, r#"{"error":"slow down"}"#), Canned::completion("Hello!")];
    let server = Server::start(limited());
    let args = chat_args(&home, &server);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (shown, code) = on_terminal(&home, &args, &[]);
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("LLM rate limited, retry 1/3 in 0.5 s"), "{shown}");
    assert!(shown.contains("Hello!"), "{shown}");

    // Not a terminal: the same run draws nothing.
    let server = Server::start(limited());
    let args = chat_args(&home, &server);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = home.spawn(&args);
    assert!(!run.success().stderr().contains("retry") && !run.stderr().contains('\r'), "{}", run.stderr());

    // `--json` on a terminal: no progress either.
    let server = Server::start(limited());
    let mut args = chat_args(&home, &server);
    args.push("--json".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (shown, code) = on_terminal(&home, &args, &[]);
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains("retry"), "{shown}");
}

#[test]
fn errors_are_coloured_on_a_terminal_unless_no_color_is_set() {
    let home = Home::new();
    let (shown, code) = on_terminal(&home, &["show", "nothing-here"], &[]);
    assert_eq!(code, 2);
    assert!(shown.contains("\x1b[") && shown.contains("error:"), "{shown:?}");
    let (shown, _) = on_terminal(&home, &["show", "nothing-here"], &[("NO_COLOR", "1")]);
    assert!(!shown.contains("\x1b[") && shown.contains("error: no invocation matches"), "{shown:?}");
    let run = home.spawn(&["show", "nothing-here"]);
    assert!(!run.stderr().contains("\x1b["), "{:?}", run.stderr());
    // Usage errors too: coloured on a terminal, plain when piped or with NO_COLOR.
    let (shown, code) = on_terminal(&home, &["invoke", "--bogus"], &[]);
    assert_eq!(code, 2);
    assert!(shown.contains("\x1b["), "{shown:?}");
    let (shown, _) = on_terminal(&home, &["invoke", "--bogus"], &[("NO_COLOR", "1")]);
    assert!(!shown.contains("\x1b[") && shown.contains("unexpected argument"), "{shown:?}");
    let run = home.spawn(&["invoke", "--bogus"]);
    assert!(!run.stderr().contains("\x1b[") && run.stderr().contains("unexpected argument"), "{:?}", run.stderr());
}

#[test]
fn quiet_prints_data_and_errors_only() {
    let home = Home::new();
    let echo = guest("rust", "echo");
    let add = home.enact(&["-q", "add", echo.to_str().expect("utf-8")]);
    assert_eq!(add.success().stderr(), "");
    assert!(add.stdout().starts_with("sha256:"), "{}", add.stdout());
    let invoke = home.enact(&["invoke", "echo", "-q", "--input", r#""x""#]);
    assert_eq!(invoke.success().stderr(), "");
    assert_eq!(invoke.stdout().trim(), r#""x""#);
    let missing = home.enact(&["-q", "show", "nothing-here"]);
    assert_eq!(missing.code(), 2);
    assert!(missing.stderr().starts_with("error: no invocation matches"), "{}", missing.stderr());
    assert!(home.enact(&["-q", "-v", "ls"]).stderr().contains("cannot be used with"));
}
