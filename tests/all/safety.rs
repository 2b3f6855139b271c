use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Home;

/// Flips one byte of the first copy of `needle` in the store file.
fn flip_first(home: &Home, needle: &[u8]) {
    let path = home.store_file();
    let mut bytes = std::fs::read(&path).expect("the store file");
    let at = bytes.windows(needle.len()).position(|w| w == needle).expect("the bytes are in the store");
    bytes[at] ^= 0x01;
    std::fs::write(&path, bytes).expect("write the store file");
}

#[test]
fn verify_names_a_component_whose_bytes_were_flipped() {
    let home = Home::new();
    let id = home.add_rust("echo");
    home.enact(&["invoke", "echo", "--input", "1"]).success();
    let sound = home.enact(&["verify"]);
    sound.success();
    assert!(sound.stderr().contains("store is sound"), "{}", sound.stderr());

    // The component's own bytes: the part of the wasm after its header.
    let wasm = std::fs::read(crate::support::guest("rust", "echo")).expect("guest");
    flip_first(&home, &wasm[wasm.len() / 2..wasm.len() / 2 + 64]);
    let damaged = home.enact(&["verify"]);
    assert_eq!(damaged.code(), 1, "{}", damaged.stderr());
    assert!(
        damaged.stdout().contains(&format!("{id}: blob is corrupt")),
        "{}",
        damaged.stdout()
    );
}

#[test]
fn a_run_killed_midway_is_listed_incomplete_and_resume_finishes_it() {
    let home = Home::new();
    home.add_rust("dice");
    let n = 400_000;
    let mut child = Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(["invoke", "dice", "--input", &format!(r#"{{"n":{n}}}"#)])
        .env("ENACT_HOME", home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("enact runs");
    // Kill it once the first journal chunks are on disk: the store file grows.
    let start = Instant::now();
    let size = || std::fs::metadata(home.store_file()).map(|m| m.len()).unwrap_or(0);
    let initial = size();
    while size() < initial + 256 * 1024 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "the run was cut off before it finished");

    let listed = home.enact(&["ls", "invocations"]);
    listed.success();
    let line = listed.stdout().lines().find(|l| l.starts_with("run:")).map(str::to_string);
    let line = line.unwrap_or_else(|| panic!("no cut-off run listed: {}", listed.stdout()));
    assert!(line.contains("incomplete"), "{line}");
    let run = line.split_whitespace().next().expect("a run id").to_string();

    let resumed = home.enact(&["resume", &run, "--json"]);
    resumed.success();
    let out = resumed.json();
    assert_eq!(out["status"], "completed");
    assert_eq!(out["events"], n);
    assert_eq!(out["output"]["rolls"].as_array().expect("rolls").len(), n);

    assert!(!home.enact(&["ls", "invocations"]).stdout().contains("run:"), "the run is forgotten");
    home.enact(&["verify"]).success();
    let id = out["invocation"].as_str().expect("id");
    assert_eq!(home.enact(&["replay", id, "--json"]).json()["identical"], true);
}

#[test]
fn a_busy_store_gets_a_clear_message_not_a_hang() {
    let home = Home::new();
    home.add_rust("ask-dice");
    // An interactive invocation holds the store while it waits on stdin.
    let mut holder = Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(["invoke", "ask-dice", "--interactive"])
        .env("ENACT_HOME", home.path())
        .env("ENACT_LOCK_TIMEOUT_MS", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("enact runs");
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let busy = Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(["ls"])
        .env("ENACT_HOME", home.path())
        .env("ENACT_LOCK_TIMEOUT_MS", "300")
        .output()
        .expect("enact runs");
    assert_eq!(busy.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&busy.stderr);
    assert!(stderr.contains("is in use by another enact process"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(holder.stdin.take());
    let _ = holder.wait();
}
