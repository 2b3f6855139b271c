//! `enact serve`: the HTTP API against a real server on 127.0.0.1, the web
//! UI in a real browser, the CLI through the server, load, and faults.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Home, guest};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository")
}

/// A running `enact serve` on a home, stopped with SIGTERM when dropped.
pub struct Served {
    child: Option<Child>,
    pub url: String,
    pub token: Option<String>,
}

impl Served {
    /// `enact serve --addr ADDR --json ARGS…` in the repository's root.
    pub fn start(home: &Home, addr: &str, args: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_enact"))
            .args(["serve", "--addr", addr, "--json"])
            .args(args)
            .current_dir(repo())
            .env("ENACT_HOME", home.path())
            .env_remove("ENACT_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("enact serve runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("a line");
        let Ok(started) = serde_json::from_str::<Value>(&line) else {
            let _ = child.kill();
            let mut stderr = String::new();
            let _ = child.stderr.take().expect("stderr").read_to_string(&mut stderr);
            panic!("enact serve did not start: {line} {stderr}");
        };
        let url = started["url"].as_str().expect("a url").to_string();
        let token = started["token"].as_str().map(str::to_string);
        Served { child: Some(child), url, token }
    }

    /// Sends `signal` and waits for the server to end; its exit status.
    pub fn stop_with(&mut self, signal: i32) -> Option<i32> {
        let mut child = self.child.take()?;
        // SAFETY: `kill` on a child this test started.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(child.id() as i32, signal);
        }
        let status = child.wait().expect("the server ends");
        status.code()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop_with(libc::SIGTERM);
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(180)))
        .build()
        .new_agent()
}

/// `(status, JSON body)` of a request.
fn call(server: &Served, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    call_with(server, method, path, body, server.token.as_deref())
}

fn call_with(server: &Served, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> (u16, Value) {
    let url = format!("{}{path}", server.url);
    let agent = agent();
    let auth = token.map(|t| format!("Bearer {t}"));
    let response = match method {
        "GET" => {
            let mut get = agent.get(&url);
            if let Some(auth) = &auth {
                get = get.header("authorization", auth);
            }
            get.call()
        }
        _ => {
            let mut post = agent.post(&url).header("content-type", "application/json");
            if let Some(auth) = &auth {
                post = post.header("authorization", auth);
            }
            post.send(body.unwrap_or(json!({})).to_string().as_bytes())
        }
    };
    let mut response = response.expect("the server answers");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Uploads a built Rust guest under its own name.
fn upload(server: &Served, name: &str) -> Value {
    let bytes = std::fs::read(guest("rust", name)).expect("the guest");
    let mut post = agent().post(&format!("{}/api/v1/components?name={name}", server.url));
    if let Some(token) = &server.token {
        post = post.header("authorization", &format!("Bearer {token}"));
    }
    let mut response = post.header("content-type", "application/wasm").send(&bytes[..]).expect("an answer");
    assert_eq!(response.status().as_u16(), 201);
    serde_json::from_str(&response.body_mut().read_to_string().expect("a body")).expect("JSON")
}

#[test]
fn the_cli_runs_through_a_running_server() {
    crate::forward::same_through(&["serve", "--addr", "127.0.0.1:0"]);
}

#[test]
fn the_api_document_is_openapi_3_and_names_every_route() {
    let home = Home::new();
    let server = Served::start(&home, "127.0.0.1:0", &[]);
    let (status, doc) = call(&server, "GET", "/api/v1/openapi.json", None);
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().expect("a version").starts_with("3."), "{doc}");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 20, "{}", paths.len());
    let mut operations = 0;
    let parameter = regex::Regex::new(r"\{[^}]+\}").expect("a regex");
    let reference = regex::Regex::new(r##""\$ref":"#/([^"]+)""##).expect("a regex");
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("a path item") {
            // The event stream never ends: it is tested on its own.
            if !["get", "post"].contains(&method.as_str()) || path == "/api/v1/events" {
                continue;
            }
            operations += 1;
            assert!(op["responses"].is_object() && op["operationId"].is_string(), "{method} {path}");
            // Every documented route is routed: never the fallback's answer.
            let concrete = parameter.replace_all(path, "x");
            let (_, body) = call(&server, &method.to_uppercase(), &format!("{concrete}"), None);
            assert_ne!(body["error"], "no such route", "{method} {path} is documented but not routed");
            // Every `$ref` resolves.
            for found in reference.captures_iter(&op.to_string()) {
                let pointer = format!("/{}", &found[1]);
                assert!(doc.pointer(&pointer).is_some(), "{method} {path}: {pointer} does not resolve");
            }
        }
    }
    assert!(operations >= 24, "{operations}");
    let (status, body) = call(&server, "GET", "/api/v1/nothing-here", None);
    assert_eq!((status, body["error"].as_str()), (404, Some("no such route")));
}

#[test]
fn the_api_runs_answers_replays_and_rewinds() {
    let home = Home::new();
    let server = Served::start(&home, "127.0.0.1:0", &[]);
    upload(&server, "dice");
    upload(&server, "ask-dice");
    let (status, components) = call(&server, "GET", "/api/v1/components", None);
    assert_eq!((status, components.as_array().map(Vec::len)), (200, Some(2)));

    // Invoke, and wait for the end.
    let (status, job) =
        call(&server, "POST", "/api/v1/invocations", Some(json!({"component": "dice", "input": {"n": 4}})));
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["status"], "done");
    let id = job["invocation"]["invocation"].as_str().expect("an id").to_string();
    assert_eq!(job["invocation"]["output"]["rolls"].as_array().map(Vec::len), Some(4));

    // Its tree, with events.
    let (status, tree) = call(&server, "GET", &format!("/api/v1/invocations/{id}?events=true"), None);
    assert_eq!(status, 200);
    assert_eq!(tree["journal"].as_array().map(Vec::len), Some(4));

    // Replay is identical; an override changes the run from there.
    let (_, replayed) = call(&server, "POST", &format!("/api/v1/invocations/{id}/replay"), Some(json!({})));
    assert_eq!(replayed["invocation"], id.as_str());
    let (_, rewound) = call(&server, "POST", &format!("/api/v1/invocations/{id}/rewind"), Some(json!({"n": 1})));
    assert_eq!(rewound["status"], "incomplete", "{rewound}");
    let (_, overridden) = call(
        &server,
        "POST",
        &format!("/api/v1/invocations/{id}/replay"),
        Some(json!({"override": {"event": 0, "value": 6}})),
    );
    assert_ne!(overridden["invocation"], id.as_str());

    // A run that asks waits live; the inbox lists it; an answer reaches it.
    let (status, asking) = call(&server, "POST", "/api/v1/invocations", Some(json!({"component": "ask-dice"})));
    assert_eq!((status, asking["status"].as_str()), (200, Some("awaiting-input")), "{asking}");
    let (_, inbox) = call(&server, "GET", "/api/v1/inbox", None);
    let key = format!("job-{}", asking["job"]);
    assert!(inbox.as_array().expect("a list").iter().any(|item| item["key"] == key.as_str()), "{inbox}");
    let (status, bad) = call(&server, "POST", &format!("/api/v1/inbox/{key}/answer"), Some(json!({"answer": 0})));
    assert_eq!(status, 400, "an answer that does not fit the schema: {bad}");
    let (_, next) = call(&server, "POST", &format!("/api/v1/inbox/{key}/answer"), Some(json!({"answer": 1})));
    assert_eq!(next["status"], "awaiting-input", "{next}");
    let (_, done) = call(&server, "POST", &format!("/api/v1/inbox/{key}/answer"), Some(json!({"answer": 5})));
    assert_eq!((done["status"].as_str(), &done["invocation"]["output"]), (Some("done"), &json!(5)), "{done}");
    // Answered live: one invocation, no replay in between.
    let (_, listed) = call(&server, "GET", "/api/v1/invocations?name=ask-dice", None);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
}

#[test]
fn a_bundle_exported_from_one_server_imports_into_another_and_replays() {
    let (home, other) = (Home::new(), Home::new());
    let (server, elsewhere) = (Served::start(&home, "127.0.0.1:0", &[]), Served::start(&other, "127.0.0.1:0", &[]));
    upload(&server, "dice");
    let (_, job) = call(&server, "POST", "/api/v1/invocations", Some(json!({"component": "dice", "input": {"n": 3}})));
    let id = job["invocation"]["invocation"].as_str().expect("an id").to_string();
    let mut exported = agent()
        .post(&format!("{}/api/v1/bundles/export", server.url))
        .header("content-type", "application/json")
        .send(json!({"targets": [id]}).to_string().as_bytes())
        .expect("an answer");
    assert_eq!(exported.status().as_u16(), 200);
    let bundle = exported.body_mut().read_to_vec().expect("the bundle");
    let mut imported = agent()
        .post(&format!("{}/api/v1/bundles/import", elsewhere.url))
        .header("content-type", "application/octet-stream")
        .send(&bundle[..])
        .expect("an answer");
    assert_eq!(imported.status().as_u16(), 200, "{}", imported.body_mut().read_to_string().unwrap_or_default());
    let (status, replayed) = call(&elsewhere, "POST", &format!("/api/v1/invocations/{id}/replay"), None);
    assert_eq!((status, replayed["invocation"].as_str()), (200, Some(id.as_str())), "{replayed}");
    // A corrupt bundle is refused and changes nothing.
    let mut corrupt = bundle.clone();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0xff;
    let refused = agent()
        .post(&format!("{}/api/v1/bundles/import", elsewhere.url))
        .header("content-type", "application/octet-stream")
        .send(&corrupt[..])
        .expect("an answer");
    assert_eq!(refused.status().as_u16(), 400);
}

#[test]
fn bad_requests_get_json_errors_and_change_nothing() {
    let home = Home::new();
    let server = Served::start(&home, "127.0.0.1:0", &[]);
    let agent = agent();
    let post = |path: &str, content_type: &str, body: &[u8]| {
        let mut response = agent
            .post(&format!("{}{path}", server.url))
            .header("content-type", content_type)
            .send(body)
            .expect("an answer");
        let text = response.body_mut().read_to_string().expect("a body");
        (response.status().as_u16(), serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text)))
    };
    for (path, content_type, body) in [
        ("/api/v1/invocations", "application/json", &b"{not json"[..]),
        ("/api/v1/invocations", "text/plain", br#"{"component":"dice"}"#),
        ("/api/v1/invocations", "application/json", br#"{"component":"dice","surprise":1}"#),
        ("/api/v1/invocations/x/rewind", "application/json", br#"{"n":"three"}"#),
        ("/api/v1/components", "application/wasm", b"\0asm not really"),
    ] {
        let (status, error) = post(path, content_type, body);
        assert_eq!(status, 400, "{path} {error}");
        assert!(error["error"].is_string() && error.get("hint").is_some(), "{path} {error}");
    }
    // A body over the limit is refused from its length alone; the server may
    // close the connection before the client has sent it all, so the client
    // does not always read the answer: it tries until it does.
    let over_limit = vec![b' '; (1 << 20) + 64];
    let refused = (0..10).find_map(|_| {
        let sent = agent
            .post(&format!("{}/api/v1/invocations", server.url))
            .header("content-type", "application/json")
            .send(&over_limit[..]);
        let mut response = sent.ok()?;
        let text = response.body_mut().read_to_string().ok()?;
        Some((response.status().as_u16(), serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text))))
    });
    let (status, error) = refused.expect("an answer to a body over the limit");
    assert_eq!(status, 413, "a body over the limit");
    assert!(error["error"].is_string(), "{error}");
    // A body a route may go without must still be JSON when it is there.
    let (status, error) = post("/api/v1/invocations/x/replay", "application/json", b"{\"override\": 3");
    assert_eq!(status, 400, "{error}");
    assert!(error["error"].as_str().is_some_and(|e| e.contains("not what this route takes")), "{error}");
    // A method a route does not take: 405, as JSON.
    let (status, error) = call(&server, "GET", "/api/v1/invocations/x/rewind", None);
    assert_eq!(status, 405, "{error}");
    assert!(error["error"].is_string() && error["hint"].is_string(), "{error}");
    for path in
        ["/api/v1/invocations/0000000000ff", "/api/v1/components/nothing", "/api/v1/jobs/99", "/api/v1/sessions/none"]
    {
        let (status, error) = call(&server, "GET", path, None);
        assert_eq!(status, 404, "{path} {error}");
    }
    let (status, _) = call(&server, "POST", "/api/v1/invocations", Some(json!({"component": "nothing"})));
    assert_eq!(status, 404);
    // A browser page of another origin may not write.
    let mut response = agent
        .post(&format!("{}/api/v1/invocations", server.url))
        .header("content-type", "application/json")
        .header("origin", "http://evil.example")
        .send(&br#"{"component":"dice"}"#[..])
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 403);
    assert!(response.headers().get("access-control-allow-origin").is_none());
    let _ = response.body_mut().read_to_string();
    let (_, listed) = call(&server, "GET", "/api/v1/invocations", None);
    assert_eq!(listed, json!([]), "nothing was run");
}

#[test]
fn off_loopback_every_request_needs_the_token() {
    let home = Home::new();
    let server = Served::start(&home, "0.0.0.0:0", &[]);
    let token = server.token.clone().expect("a generated token");
    let port = server.url.rsplit(':').next().expect("a port").to_string();
    let local = Served { child: None, url: format!("http://127.0.0.1:{port}"), token: None };
    let (status, error) = call_with(&local, "POST", "/api/v1/invocations", Some(json!({"component": "dice"})), None);
    assert_eq!(status, 401, "{error}");
    let (status, _) = call_with(&local, "GET", "/api/v1/invocations", None, Some("wrong"));
    assert_eq!(status, 401);
    let (status, _) = call_with(&local, "GET", "/api/v1/invocations", None, Some(&token));
    assert_eq!(status, 200);
    let (status, _) = call_with(&local, "GET", "/api/v1/openapi.json", None, None);
    assert_eq!(status, 200, "the API's document is public");
    // The token is in serve.json, for its owner only.
    let file = home.path().join("serve.json");
    let recorded: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("serve.json")).expect("JSON");
    assert_eq!(recorded["token"], token.as_str());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).expect("metadata").permissions().mode() & 0o777, 0o600);
}

#[test]
fn events_stream_what_a_run_does() {
    let home = Home::new();
    let server = Served::start(&home, "127.0.0.1:0", &[]);
    upload(&server, "dice");
    let stream = agent().get(&format!("{}/api/v1/events", server.url)).call().expect("the stream");
    assert_eq!(stream.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("text/event-stream"));
    let mut lines = BufReader::new(stream.into_body().into_reader()).lines();
    let (_, job) = call(&server, "POST", "/api/v1/invocations", Some(json!({"component": "dice", "input": {"n": 2}})));
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        if let Some(data) = line.strip_prefix("data: ") {
            let event: Value = serde_json::from_str(data).expect("JSON");
            if event["job"] == job["job"] {
                seen.push(event["type"].as_str().unwrap_or_default().to_string());
            }
            if event["type"] == "job-done" {
                break;
            }
        }
    }
    let random = seen.iter().filter(|t| *t == "event").count();
    assert_eq!(random, 2, "{seen:?}");
    assert!(seen.contains(&"sealed".to_string()) && seen.last().map(String::as_str) == Some("job-done"), "{seen:?}");
}

#[test]
fn a_stopped_server_suspends_waiting_runs_and_a_killed_one_leaves_them_to_resume() {
    let home = Home::new();
    let mut server = Served::start(&home, "127.0.0.1:0", &[]);
    upload(&server, "ask-dice");
    let (_, job) = call(&server, "POST", "/api/v1/invocations", Some(json!({"component": "ask-dice"})));
    assert_eq!(job["status"], "awaiting-input");
    // SIGTERM: the waiting run suspends, durably, and the server ends well.
    assert_eq!(server.stop_with(libc::SIGTERM), Some(0));
    let server = Served::start(&home, "127.0.0.1:0", &[]);
    let (_, inbox) = call(&server, "GET", "/api/v1/inbox", None);
    let item = inbox.as_array().and_then(|items| items.first()).cloned().expect("the suspended run is in the inbox");
    assert_eq!((item["live"].as_bool(), item["prompt"].as_str()), (Some(false), Some("How many dice?")));
    let key = item["key"].as_str().expect("a key").to_string();
    let (_, asked) = call(&server, "POST", &format!("/api/v1/inbox/{key}/answer"), Some(json!({"answer": 2})));
    assert_eq!(asked["status"], "awaiting-input", "{asked}");
    // A person's answer is durable before the run goes on: kill -9 now.
    let (_, _) =
        call(&server, "POST", &format!("/api/v1/inbox/job-{}/answer", asked["job"]), Some(json!({"answer": 3})));
    let mut server = server;
    server.stop_with(libc::SIGKILL);
    let server = Served::start(&home, "127.0.0.1:0", &[]);
    let (_, cut) = call(&server, "GET", "/api/v1/invocations?status=incomplete", None);
    let cut = cut.as_array().expect("a list");
    assert_eq!(cut.len(), 1, "nothing resumed silently: {cut:?}");
    assert_eq!(cut[0]["cut_off"], true);
    let run = cut[0]["id"].as_str().expect("run:…").to_string();
    let (_, resumed) = call(&server, "POST", &format!("/api/v1/invocations/{run}/resume"), Some(json!({})));
    assert_eq!(resumed["status"], "awaiting-input", "the last die is asked again: {resumed}");
    let (_, done) =
        call(&server, "POST", &format!("/api/v1/inbox/job-{}/answer", resumed["job"]), Some(json!({"answer": 6})));
    assert_eq!(done["invocation"]["output"], 9, "2 dice: 3 (kept across the kill) + 6: {done}");
}

#[test]
fn a_run_waiting_for_a_person_holds_no_worker_and_a_finished_one_cannot_resume() {
    let home = Home::new();
    let server = Served::start(&home, "127.0.0.1:0", &["--workers", "1"]);
    upload(&server, "ask-dice");
    upload(&server, "dice");
    let (_, waiting) = call(&server, "POST", "/api/v1/invocations", Some(json!({"component": "ask-dice"})));
    assert_eq!(waiting["status"], "awaiting-input", "{waiting}");
    // The one worker is free while the question is open.
    let (status, rolled) =
        call(&server, "POST", "/api/v1/invocations", Some(json!({"component": "dice", "input": {"n": 2}})));
    assert_eq!((status, rolled["status"].as_str()), (200, Some("done")), "{rolled}");
    let id = rolled["invocation"]["invocation"].as_str().expect("an id").to_string();
    let (status, error) = call(&server, "POST", &format!("/api/v1/invocations/{id}/resume"), None);
    assert_eq!(status, 409, "{error}");
    assert!(error["error"].as_str().is_some_and(|e| e.contains("nothing to resume")), "{error}");
    // The waiting run goes on once answered, and takes the worker again.
    let (_, asked) =
        call(&server, "POST", &format!("/api/v1/inbox/job-{}/answer", waiting["job"]), Some(json!({"answer": 1})));
    assert_eq!(asked["status"], "awaiting-input", "{asked}");
    let (_, done) =
        call(&server, "POST", &format!("/api/v1/inbox/job-{}/answer", waiting["job"]), Some(json!({"answer": 4})));
    assert_eq!((done["status"].as_str(), &done["invocation"]["output"]), (Some("done"), &json!(4)), "{done}");
}

#[test]
fn a_server_killed_while_it_computes_leaves_the_run_to_resume() {
    let home = Home::new();
    let mut server = Served::start(&home, "127.0.0.1:0", &[]);
    upload(&server, "roll-sum");
    upload(&server, "roll-die");
    let (status, _) = call(
        &server,
        "POST",
        "/api/v1/invocations",
        Some(json!({"component": "roll-sum", "input": {"n": 50_000}, "wait": false})),
    );
    assert_eq!(status, 202);
    // Kill -9 once the run has persisted a part of its journal.
    let started = std::time::Instant::now();
    loop {
        let (_, listed) = call(&server, "GET", "/api/v1/invocations", None);
        if listed.as_array().is_some_and(|rows| rows.iter().any(|row| row["status"] == "running")) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the run never persisted: {listed}");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.stop_with(libc::SIGKILL);
    let server = Served::start(&home, "127.0.0.1:0", &[]);
    let (_, cut) = call(&server, "GET", "/api/v1/invocations?status=incomplete", None);
    let cut = cut.as_array().cloned().unwrap_or_default();
    assert_eq!(cut.len(), 1, "one run cut off, none resumed silently: {cut:?}");
    let run = cut[0]["id"].as_str().expect("run:…").to_string();
    let (_, resumed) = call(&server, "POST", &format!("/api/v1/invocations/{run}/resume"), None);
    assert_eq!(
        (resumed["status"].as_str(), resumed["invocation"]["status"].as_str()),
        (Some("done"), Some("completed")),
        "{resumed}"
    );
    let output = resumed["invocation"]["output"].as_u64().expect("a sum");
    assert!((50_000..=300_000).contains(&output), "{resumed}");
    drop(server);
    home.spawn(&["verify"]).success();
}

/// 200 clients × 10 invocations against one server, then `enact verify`
/// and a replay of every one: nothing lost, all identical.
#[test]
fn two_hundred_clients_lose_nothing() {
    const CLIENTS: usize = 200;
    const EACH: usize = 10;
    let home = Home::new();
    let server = Served::start(&home, "127.0.0.1:0", &[]);
    upload(&server, "dice");
    let ids: Vec<String> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let server = &server;
                scope.spawn(move || {
                    (0..EACH)
                        .map(|i| {
                            let input = json!({"n": (client + i) % 5 + 1});
                            let (status, job) = call(
                                server,
                                "POST",
                                "/api/v1/invocations",
                                Some(json!({"component": "dice", "input": input})),
                            );
                            assert_eq!(status, 200, "{job}");
                            job["invocation"]["invocation"].as_str().expect("an id").to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        clients.into_iter().flat_map(|c| c.join().expect("a client")).collect()
    });
    assert_eq!(ids.len(), CLIENTS * EACH);
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    let (_, listed) = call(&server, "GET", "/api/v1/invocations", None);
    assert_eq!(listed.as_array().map(Vec::len), Some(distinct.len()), "every invocation is in the store");
    drop(server);
    home.spawn(&["verify"]).success();
    let rt = crate::support::seeded_runtime(&home, 1);
    for id in &distinct {
        let digest: enact::Digest = id.parse().expect("a digest");
        let replay = rt.replay(&digest).expect("it replays");
        assert_eq!(&replay.invocation.id, &digest, "a replay is identical");
    }
}

#[test]
fn the_web_ui_does_the_demo_in_a_real_browser() {
    let home = Home::new();
    let llm = repo().join("examples/flows/chatbot.llm.json");
    let server = Served::start(&home, "127.0.0.1:0", &["--llm", &format!("scripted:{}", llm.display())]);
    let shots = repo().join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("a directory for screenshots");
    let output = Command::new("node")
        .arg(repo().join("tests/browser/ui.mjs"))
        .args([&server.url, &repo().join("target/guests").display().to_string(), &shots.display().to_string()])
        .current_dir(repo().join("tests/browser"))
        .output()
        .expect("node runs; `make browser-setup` installs what it needs");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the browser test failed:\n{stdout}\n{stderr}");
    for picture in ["tree", "inbox", "chat", "flow"] {
        let size = std::fs::metadata(shots.join(format!("{picture}.png"))).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "the screenshot of the {picture} is missing or empty");
    }
}
