//! Processes killed with SIGKILL: what was acknowledged survives, the store
//! stays sound, and every cut-off run can be continued.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::llm_server::{Canned, Server};
use crate::support::Home;

/// Reads `child`'s stderr until it has shown `text`.
fn wait_for(stderr: &mut impl Read, seen: &mut String, text: &str) {
    let start = Instant::now();
    let mut buf = [0u8; 256];
    while !seen.contains(text) {
        assert!(start.elapsed() < Duration::from_secs(60), "`{text}` never came: {seen}");
        let n = stderr.read(&mut buf).expect("read stderr");
        assert!(n > 0, "stderr closed before `{text}`: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

/// The cut-off runs `enact ls invocations` lists.
fn cut_off_runs(home: &Home) -> Vec<String> {
    let listed = home.enact(&["ls", "invocations", "--json"]).success().json();
    listed
        .as_array()
        .expect("rows")
        .iter()
        .filter(|row| row["cut_off"] == true)
        .map(|row| row["id"].as_str().expect("an id").to_string())
        .collect()
}

#[test]
fn a_persons_answer_is_durable_once_the_next_question_is_shown() {
    let home = Home::new();
    home.add_rust("ask-dice");
    let mut child = Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(["invoke", "ask-dice", "--interactive"])
        .env("ENACT_HOME", home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("enact runs");
    let (mut stdin, mut stderr) = (child.stdin.take().expect("stdin"), child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    wait_for(&mut stderr, &mut seen, "How many dice?");
    stdin.write_all(b"3\n").expect("answer");
    wait_for(&mut stderr, &mut seen, "Roll die 1 of 3");
    stdin.write_all(b"4\n").expect("answer");
    wait_for(&mut stderr, &mut seen, "Roll die 2 of 3");
    // Both answers were taken: the next question shows it. Now the power goes.
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    home.enact(&["verify"]).success();
    let runs = cut_off_runs(&home);
    assert_eq!(runs.len(), 1, "{runs:?}");
    let shown = home.enact(&["show", &runs[0], "--events"]).success().stdout();
    assert!(shown.contains("cut off after 2 persisted events"), "{shown}");
    assert_eq!(shown.matches("by person").count(), 2, "{shown}");
    let done = home.enact(&["resume", &runs[0], "--answers", "[5, 6]", "--json"]).success().json();
    assert_eq!(done["output"], 15, "3 dice: 4 + 5 + 6");
    home.enact(&["verify"]).success();
}

/// One of three workloads, each a few tens of milliseconds: a tree of
/// children, answers from a file (committed with the journal's next
/// commit), and a chat whose every LLM call goes to the local server.
fn start_workload(home: &Home, which: u32, server: &Server) -> Child {
    let answers = home.path().join("answers.json");
    let mut command = Command::new(env!("CARGO_BIN_EXE_enact"));
    command.env("ENACT_HOME", home.path()).stdout(Stdio::null()).stderr(Stdio::null());
    match which {
        0 => command.args(["invoke", "roll-sum", "--input", r#"{"n":3000}"#]),
        1 => {
            let dice: Vec<u32> = std::iter::once(300).chain((0..300).map(|i| 1 + i % 6)).collect();
            std::fs::write(&answers, serde_json::to_string(&dice).expect("JSON")).expect("write");
            command.args(["invoke", "ask-dice", "--answers", answers.to_str().expect("utf-8")])
        }
        _ => {
            let said: Vec<String> = (0..12).map(|i| format!("message {i}")).chain(["stop".to_string()]).collect();
            std::fs::write(&answers, serde_json::to_string(&said).expect("JSON")).expect("write");
            command.args(["invoke", "chat", "--answers", answers.to_str().expect("utf-8")]).args([
                "--llm",
                &server.url,
                "--model",
                "test-model",
            ])
        }
    };
    command.spawn().expect("enact runs")
}

#[test]
fn a_hundred_kills_at_random_moments_leave_a_sound_store_whose_runs_continue() {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    let home = Home::new();
    for guest in ["roll-die", "roll-sum", "ask-dice", "chat"] {
        home.add_rust(guest);
    }
    let slow = |text: &str| Canned { delay: Duration::from_millis(10), ..Canned::completion(text) };
    let server = Server::start((0..2000).map(|i| slow(&format!("reply {i}"))).collect());
    // How long each workload takes here uninterrupted, the fastest of three
    // runs (a first run also warms the page cache and the compiled code): each
    // kill lands at a random point between a tenth of that and a fifth past
    // it, so most land mid-run and some after the run finished, on a slow
    // machine or a fast one.
    let whole: Vec<Duration> = (0..3)
        .map(|which| {
            (0..3)
                .map(|_| {
                    let start = Instant::now();
                    let status = start_workload(&home, which, &server).wait().expect("wait");
                    assert!(status.success(), "workload {which} runs uninterrupted");
                    start.elapsed()
                })
                .min()
                .expect("three runs")
        })
        .collect();
    let (mut cut, mut finished) = (0, 0);
    for round in 0..100 {
        let which = round % 3;
        let mut child = start_workload(&home, which, &server);
        std::thread::sleep(whole[which as usize].mul_f64(rng.random_range(0.1..1.2)));
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait");
        if status.success() || status.code().is_some() {
            finished += 1;
        }
        let verify = home.enact(&["verify"]);
        assert_eq!(verify.code(), 0, "round {round}: {}{}", verify.stdout(), verify.stderr());
        for run in cut_off_runs(&home) {
            cut += 1;
            let resumed = Command::new(env!("CARGO_BIN_EXE_enact"))
                .args(["resume", &run, "--json"])
                .env("ENACT_HOME", home.path())
                .env("ENACT_LLM_URL", &server.url)
                .env("ENACT_LLM_MODEL", "test-model")
                .output()
                .expect("enact runs");
            let out: serde_json::Value = serde_json::from_slice(&resumed.stdout)
                .unwrap_or_else(|e| panic!("round {round}: {e}: {}", String::from_utf8_lossy(&resumed.stderr)));
            // Sealed: completed, or waiting for the answers the file gave the killed process.
            assert!(["completed", "awaiting-input"].contains(&out["status"].as_str().unwrap_or("")), "{out}");
            let id = out["invocation"].as_str().expect("an id");
            let replay = home.enact_with(&["replay", id, "--json"], &[("ENACT_LLM_URL", "http://127.0.0.1:1/v1")]);
            let replayed = replay.json();
            if out["status"] == "completed" {
                assert_eq!(replayed["identical"], true, "round {round}: {out} {replayed}");
                assert_eq!(replayed["output"], out["output"], "round {round}");
            } else {
                // It stops at the same question again, asking no model.
                assert_eq!(replayed["request"], out["request"], "round {round}: {out} {replayed}");
            }
        }
        assert!(cut_off_runs(&home).is_empty(), "round {round}: every cut-off run was continued");
    }
    home.enact(&["verify"]).success();
    // The kills landed both mid-run and after some runs had finished. A
    // chat persists before its first request, so most kills of it leave a
    // cut-off run; the other two, shorter than a chunk, persist at the seal.
    assert!(cut >= 15 && finished > 0, "{cut} runs were cut off, {finished} finished; whole runs took {whole:?}");
}
