//! Replay fidelity: every answer about time a guest gets comes from the
//! journal (clock readings, timer readiness, random bytes), and a run the
//! wall-time limit stopped replays to the same point.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Home, guest};

/// `enact ARGS` in `home`, with how long the process took.
fn timed(home: &Home, args: &[&str]) -> (Value, Duration) {
    let start = Instant::now();
    let run = home.enact(args);
    let elapsed = start.elapsed();
    (run.json(), elapsed)
}

fn invocation(out: &Value) -> String {
    out["invocation"].as_str().expect("an invocation id").to_string()
}

/// The requests of an invocation's journal.
fn requests(home: &Home, id: &str) -> Vec<String> {
    let show = home.enact(&["show", id, "--events", "--json"]).json();
    show["journal"].as_array().expect("journal").iter().map(|e| e["request"].as_str().unwrap_or("").into()).collect()
}

/// Replays `original` in `home`: identical, with the same output, and far
/// faster than the `waited` the live run spent on its timers.
#[track_caller]
fn replays_without_waiting(home: &Home, original: &Value, waited: Duration, what: &str) {
    let (replay, elapsed) = timed(home, &["replay", &invocation(original), "--json"]);
    assert_eq!(replay["identical"], true, "{what}: {replay}");
    assert_eq!(replay["output"], original["output"], "{what}");
    assert!(elapsed < waited / 2, "{what}: the replay took {elapsed:?}; the live run waited {waited:?}");
}

#[test]
fn timers_are_journaled_and_replay_without_waiting_in_every_language() {
    let home = Home::new();
    let elsewhere = Home::new();
    for language in ["rust", "python", "js"] {
        let what = format!("timers in {language}");
        let name = format!("timers-{language}");
        let path = guest(language, "timers");
        home.enact(&["add", path.to_str().expect("utf-8"), "--name", &name]).success();

        // Rust: a 1 s sleep, then a 2 ms timer and a poll of 2 ms and 100 ms
        // timers. Python and JavaScript: a 0.5 s sleep, then two timers of
        // 0.25 s and 1 s at once.
        let (input, waited) = match language {
            "rust" => (json!({"sleep_ms": 1000, "poll_ms": 2}), Duration::from_millis(1000)),
            _ => (json!({"sleep_ms": 500}), Duration::from_millis(1500)),
        };
        let (out, elapsed) = timed(&home, &["invoke", &name, "--input", &input.to_string(), "--json"]);
        assert_eq!(out["status"], "completed", "{what}: {out}");
        assert!(elapsed >= waited, "{what}: a live run waits for real ({elapsed:?})");
        let output = &out["output"];
        match language {
            "rust" => {
                assert!(output["slept_ns"].as_u64().expect("slept_ns") >= 1_000_000_000, "{what}: {output}");
                assert!(output["polls"].as_u64().expect("polls") > 0, "{what}: the timer was polled: {output}");
                assert_eq!(output["ready"], json!([0]), "{what}: only the short timer is ready");
            }
            "python" => {
                assert!(output["slept_ns"].as_u64().expect("slept_ns") >= 500_000_000, "{what}: {output}");
                assert_eq!(output["order"], json!(["fast", "slow"]), "{what}");
                assert!(output["process_time"].as_f64().expect("process_time") >= 0.0, "{what}: {output}");
            }
            _ => {
                assert!(output["slept_ms"].as_f64().expect("slept_ms") >= 500.0, "{what}: {output}");
                assert_eq!(output["order"], json!(["fast", "slow"]), "{what}");
                assert_eq!(output["fetch"], "TypeError: no network: fetch is not available to enact guests");
            }
        }

        let id = invocation(&out);
        let requests = requests(&home, &id);
        let timers = requests.iter().filter(|r| r.starts_with("wasi:io/poll timer")).count();
        assert!(timers >= 2, "{what}: the timers' readings are events: {requests:?}");
        if language == "js" {
            // crypto.getRandomValues of 16 bytes: one event of 16 bytes
            assert_eq!(requests.iter().filter(|r| r.starts_with("wasi:random/")).count(), 1, "{what}: {requests:?}");
            assert!(requests.contains(&"wasi:random/random(16)".to_string()), "{what}: {requests:?}");
        }
        replays_without_waiting(&home, &out, waited, &what);

        // in another home, from a bundle (where the first use compiles the
        // component, so only the outcome is compared)
        let bundle = home.path().join(format!("{name}.bundle"));
        home.enact(&["export", &id, "-o", bundle.to_str().expect("utf-8")]).success();
        elsewhere.enact(&["import", bundle.to_str().expect("utf-8")]).success();
        let replay = elsewhere.enact(&["replay", &id, "--json"]).success().json();
        assert_eq!(replay["identical"], true, "{what}, imported: {replay}");
        assert_eq!(replay["output"], out["output"], "{what}, imported");
    }
}

#[test]
fn cpython_start_up_entropy_is_one_event_and_replays_read_by_read() {
    let home = Home::new();
    let path = guest("python", "dice");
    home.enact(&["add", path.to_str().expect("utf-8"), "--name", "dice"]).success();
    let out = home.enact(&["invoke", "dice", "--input", r#"{"n":3}"#, "--json"]).success().json();
    let random: Vec<String> =
        requests(&home, &invocation(&out)).into_iter().filter(|r| r.starts_with("wasi:random/")).collect();
    // Thousands of bytes in a score of consecutive reads: one event.
    assert_eq!(random.len(), 1, "{random:?}");
    assert!(random[0].starts_with("wasi:random/random ×") && random[0].ends_with(" bytes)"), "{random:?}");
    let events = out["events"].as_u64().expect("events");
    assert!(events < 20, "the whole journal: {events} events");
    let replay = home.enact(&["replay", &invocation(&out), "--json"]).success().json();
    assert_eq!(replay["identical"], true);
    assert_eq!(replay["output"], out["output"]);
}

#[test]
fn a_run_stopped_by_the_wall_time_limit_replays_to_the_same_point() {
    let home = Home::new();
    home.add_rust("dice");
    let run = home.enact(&["invoke", "dice", "--input", r#"{"n":10000000}"#, "--timeout", "300ms", "--json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let out = run.json();
    assert_eq!(out["status"], "trapped", "{out}");
    assert_eq!(out["error"]["message"], "wall-time limit of 300 ms exceeded", "{out}");
    let events = out["events"].as_u64().expect("events");
    assert!(events > 0 && events < 10_000_000, "{out}");

    let replay = home.enact(&["replay", &invocation(&out), "--json"]);
    assert_eq!(replay.code(), 1, "{}", replay.stderr());
    let replayed = replay.json();
    assert_eq!(replayed["identical"], true, "{replayed}");
    assert_eq!(replayed["events"], events, "{replayed}");
    assert_eq!(replayed["error"], out["error"]);
}

#[test]
fn the_monotonic_clock_starts_a_day_in() {
    let home = Home::new();
    home.add_rust("clock");
    let out = home.enact(&["invoke", "clock", "--json"]).success().json();
    let show = home.enact(&["show", &invocation(&out), "--events", "--json"]).json();
    let readings: Vec<u64> = show["journal"]
        .as_array()
        .expect("journal")
        .iter()
        .filter(|e| e["request"] == "wasi:clocks/monotonic-clock.now")
        .map(|e| e["response"].as_u64().expect("nanoseconds"))
        .collect();
    assert!(!readings.is_empty(), "{show}");
    // at or after one day, and not the host's uptime: within a minute of it
    let day = 86_400_000_000_000u64;
    assert!(readings.iter().all(|r| (day..day + 60_000_000_000).contains(r)), "{readings:?}");
}
