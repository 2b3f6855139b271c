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
    assert!(damaged.stdout().contains(&format!("{id}: blob is corrupt")), "{}", damaged.stdout());
}

#[test]
fn a_run_killed_midway_is_listed_incomplete_and_resume_finishes_it() {
    let home = Home::new();
    home.add_rust("dice");
    let n = 2_000_000;
    let input = format!(r#"{{"n":{n}}}"#);
    // How long the whole run takes here: it is killed a quarter of the way,
    // when many of its 122 journal chunks are on disk and the seal is not.
    let start = Instant::now();
    home.spawn(&["invoke", "dice", "--input", &input]).success();
    let whole = start.elapsed();
    let mut child = Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(["invoke", "dice", "--input", &input])
        .env("ENACT_HOME", home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("enact runs");
    std::thread::sleep(whole / 4);
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "the run was cut off before it finished");

    let listed = home.enact(&["ls", "invocations"]);
    listed.success();
    let line = listed.stdout().lines().find(|l| l.starts_with("run:")).map(str::to_string);
    let line = line.unwrap_or_else(|| panic!("no cut-off run listed: {}", listed.stdout()));
    assert!(line.contains("incomplete"), "{line}");
    let run = line.split_whitespace().next().expect("a run id").to_string();
    // what it ran and how far it got, before it is finished
    let shown = home.enact(&["show", &run, "--json"]).success().json();
    assert_eq!(shown["status"], "incomplete", "{shown}");
    assert!(shown["events"].as_u64().expect("events") > 0, "{shown}");
    assert!(home.enact(&["show", &run]).success().stdout().contains("->dice("), "the run's call");

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
    // A home whose path is too long for a socket: its holder cannot serve
    // other commands (see `forward`), so they wait for the store.
    let dir = Home::new();
    let home = dir.path().join("h".repeat(120));
    let add = Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(["add", crate::support::guest("rust", "ask-dice").to_str().expect("utf-8"), "--name", "ask-dice"])
        .env("ENACT_HOME", &home)
        .output()
        .expect("enact runs");
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    // An interactive invocation holds the store while it waits on stdin.
    let mut holder = Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(["invoke", "ask-dice", "--interactive"])
        .env("ENACT_HOME", &home)
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
        .env("ENACT_HOME", &home)
        .env("ENACT_LOCK_TIMEOUT_MS", "300")
        .output()
        .expect("enact runs");
    assert_eq!(busy.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&busy.stderr);
    assert!(stderr.contains("is in use by another enact process"), "{stderr}");
    // it said at once what it waited for, and who holds the store
    let holder_pid = holder.id();
    assert!(
        stderr.contains(&format!(
            "waiting for the store, held by pid {holder_pid}: `enact invoke ask-dice --interactive`"
        )),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(holder.stdin.take());
    let _ = holder.wait();
}

mod adversarial {
    use crate::fixtures::component;
    use crate::support::Home;

    /// Adds the fixture, invokes it with `flags`, and returns the `--json` object.
    fn run(home: &Home, name: &str, body: &str, flags: &[&str]) -> serde_json::Value {
        let path = home.path().join(format!("{name}.wasm"));
        std::fs::write(&path, component(body)).expect("write the fixture");
        home.enact(&["add", path.to_str().expect("utf-8"), "--name", name]).success();
        let mut args = vec!["invoke", name, "--json"];
        args.extend_from_slice(flags);
        let run = home.enact(&args);
        assert_eq!(run.code(), 1, "stdout: {}\nstderr: {}", run.stdout(), run.stderr());
        run.json()
    }

    fn reason(out: &serde_json::Value) -> String {
        assert_eq!(out["status"], "trapped", "{out}");
        out["error"]["message"].as_str().expect("a reason").to_string()
    }

    /// After any of them the runtime and the store stay healthy.
    fn healthy(home: &Home) {
        home.add_rust("echo");
        let echo = home.enact(&["invoke", "echo", "--input", "1"]);
        echo.success();
        assert_eq!(echo.stdout().trim(), "1");
        home.enact(&["verify"]).success();
    }

    #[test]
    fn an_infinite_loop_hits_the_wall_time_limit() {
        let home = Home::new();
        let out = run(&home, "spin", "(loop $l (br $l))", &["--timeout", "300ms"]);
        assert_eq!(reason(&out), "wall-time limit of 300 ms exceeded");
        healthy(&home);
    }

    #[test]
    fn a_memory_bomb_hits_the_memory_limit() {
        let home = Home::new();
        let body = "(loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))";
        let out = run(&home, "bomb", body, &["--memory", "64MiB"]);
        assert_eq!(reason(&out), "memory limit of 64 MiB exceeded");
        healthy(&home);
    }

    #[test]
    fn unbounded_recursion_exhausts_the_stack() {
        let home = Home::new();
        let out = run(&home, "recurse", "(call $recurse)", &[]);
        assert!(reason(&out).contains("stack"), "{out}");
        healthy(&home);
    }

    #[test]
    fn a_table_bomb_hits_the_table_limit() {
        let home = Home::new();
        let body = "(loop $l (br_if $l (i32.ne (table.grow $t (ref.null func) (i32.const 1000)) (i32.const -1))))";
        let out = run(&home, "tables", body, &[]);
        assert_eq!(reason(&out), "table limit of 100000 elements exceeded");
        healthy(&home);
    }

    #[test]
    fn a_huge_output_hits_the_output_limit() {
        let home = Home::new();
        // 2 MiB of `1`s returned as the output text
        let body = "(drop (memory.grow (i32.const 40)))
            (memory.fill (i32.const 1114112) (i32.const 49) (i32.const 2097152))
            (i32.store8 (i32.const 3072) (i32.const 0))
            (i32.store (i32.const 3076) (i32.const 1114112))
            (i32.store (i32.const 3080) (i32.const 2097152))
            (return (i32.const 3072))";
        let out = run(&home, "huge", body, &["--max-output", "1MiB"]);
        assert_eq!(reason(&out), "output limit of 1 MiB exceeded");
        healthy(&home);
    }

    #[test]
    fn a_tight_loop_of_journaled_calls_hits_the_journal_limit_and_keeps_the_journal() {
        let home = Home::new();
        let out = run(&home, "drain", "(loop $l (drop (call $next_u64)) (br $l))", &["--max-events", "50000"]);
        assert_eq!(reason(&out), "journal limit of 50000 events exceeded");
        assert_eq!(out["events"], 50000);
        let id = out["invocation"].as_str().expect("id");
        assert_eq!(home.enact(&["replay", id, "--json"]).json()["identical"], true);
        healthy(&home);
    }

    #[test]
    fn a_trap_midway_keeps_the_journal_up_to_it() {
        let home = Home::new();
        let body = "(drop (call $next_u64)) (drop (call $next_u64)) (drop (call $next_u64)) unreachable";
        let out = run(&home, "midway", body, &[]);
        assert!(reason(&out).contains("unreachable"), "{out}");
        assert_eq!(out["events"], 3);
        let id = out["invocation"].as_str().expect("id");
        assert_eq!(home.enact(&["replay", id, "--json"]).json()["identical"], true);
        healthy(&home);
    }
}

mod bad_input {
    use crate::support::Home;

    #[test]
    fn random_bytes_are_not_a_component() {
        let home = Home::new();
        let path = home.path().join("noise.wasm");
        let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        std::fs::write(&path, noise).expect("write");
        let run = home.enact(&["add", path.to_str().expect("utf-8")]);
        assert_eq!(run.code(), 2);
        assert!(run.stderr().contains("not a WebAssembly binary"), "{}", run.stderr());
    }

    #[test]
    fn deeply_nested_json_is_refused_and_huge_json_is_handled() {
        let home = Home::new();
        home.add_rust("echo");
        let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
        let run = home.enact(&["invoke", "echo", "--input", &deep]);
        assert_eq!(run.code(), 2);
        assert!(run.stderr().contains("input is not valid JSON: recursion limit exceeded"), "{}", run.stderr());

        let huge = serde_json::json!({"items": vec!["x".repeat(100); 20_000]}).to_string();
        let input = home.path().join("huge.json");
        std::fs::write(&input, &huge).expect("write");
        let at = format!("@{}", input.display());
        let run = home.enact(&["invoke", "echo", "--input", &at, "--json"]);
        run.success();
        assert_eq!(run.json()["output"]["items"].as_array().expect("items").len(), 20_000);
    }
}

#[test]
fn a_guest_has_no_ambient_authority() {
    let home = Home::new();
    home.add_rust("probe");
    let run = Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(["invoke", "probe", "--json"])
        .env("ENACT_HOME", home.path())
        .env("SECRET_TOKEN", "hunter2")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(b"data on stdin\n")?;
            child.wait_with_output()
        })
        .expect("enact runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let out: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON");
    let seen = &out["output"];
    for denied in ["read_file", "list_root", "write_file", "connect", "resolve"] {
        assert!(seen[denied]["denied"].is_string(), "{denied} was allowed: {seen}");
    }
    assert_eq!(seen["env"], serde_json::json!([]), "no environment");
    assert_eq!(seen["args"], serde_json::json!(["invokable"]), "no arguments");
    assert_eq!(seen["stdin"]["ok"], "(0, \"\")", "stdin is empty");

    // the time and the hash-map seed it saw came from the journal
    let id = out["invocation"].as_str().expect("id");
    let show = home.enact(&["show", id, "--events", "--json"]).json();
    let journal = show["journal"].as_array().expect("journal").clone();
    let wall = journal.iter().find(|e| e["request"] == "wasi:clocks/wall-clock.now").expect("a clock event");
    let ns = wall["response"]["seconds"].as_u64().expect("s") as u128 * 1_000_000_000
        + wall["response"]["nanoseconds"].as_u64().expect("ns") as u128;
    assert_eq!(seen["now_ns"], ns.to_string());
    assert!(journal.iter().any(|e| e["request"] == "wasi:random/insecure-seed"), "{journal:?}");
    assert_eq!(home.enact(&["replay", id, "--json"]).json()["output"], *seen);
}

#[test]
fn two_hundred_parallel_invocations_in_one_process_then_four_processes_at_once() {
    let home = Home::new();
    for guest in ["dice", "echo", "clock", "roll-die", "roll-sum"] {
        home.add_rust(guest);
    }
    let ids = {
        let rt = enact::Runtime::open(home.path()).expect("runtime");
        let mixed =
            [("dice", r#"{"n":50}"#), ("echo", r#"{"hello":"world"}"#), ("clock", "null"), ("roll-sum", r#"{"n":5}"#)];
        let targets: Vec<_> =
            mixed.iter().map(|(name, input)| (rt.resolve_component(name).expect("resolves"), *input)).collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|t| {
                    let (rt, targets) = (rt.clone(), &targets);
                    scope.spawn(move || {
                        (0..25)
                            .map(|i| {
                                let (component, input) = &targets[(t + i) % targets.len()];
                                let inv =
                                    rt.invoke(enact::Call::new(*component).config("{}").input(input)).expect("invoke");
                                assert_eq!(inv.record.outcome.status(), "completed");
                                inv.id
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().expect("a worker")).collect::<Vec<_>>()
        })
    };
    assert_eq!(ids.len(), 200);

    // Four processes at once: each waits its turn for the store.
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let home = home.path().to_path_buf();
            std::thread::spawn(move || {
                (0..5)
                    .map(|_| {
                        Command::new(env!("CARGO_BIN_EXE_enact"))
                            .args(["invoke", "roll-sum", "--input", r#"{"n":3}"#, "--json"])
                            .env("ENACT_HOME", &home)
                            .output()
                            .expect("enact runs")
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut more = Vec::new();
    for worker in workers {
        for out in worker.join().expect("a worker") {
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
            more.push(json["invocation"].as_str().expect("id").parse::<enact::Digest>().expect("a digest"));
        }
    }
    assert_eq!(more.len(), 20);

    home.enact(&["verify"]).success();
    let rt = enact::Runtime::open(home.path()).expect("runtime");
    for id in ids.iter().chain(&more) {
        assert!(rt.replay(id).expect("replay").identical, "{id}");
    }
}

#[test]
fn a_run_killed_in_the_middle_of_an_llm_call_resumes_and_asks_again() {
    use crate::llm_server::{Canned, Server};
    let home = Home::new();
    home.add_rust("chat");
    let slow = Canned { delay: Duration::from_secs(30), ..Canned::completion("too late") };
    let server = Server::start(vec![slow, Canned::completion("Hello!")]);
    let answers = home.path().join("answers.json");
    std::fs::write(&answers, r#"["hi", "stop"]"#).expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(["invoke", "chat", "--answers", answers.to_str().expect("utf-8")])
        .env("ENACT_HOME", home.path())
        .env("ENACT_LLM_URL", &server.url)
        .env("ENACT_LLM_MODEL", "test-model")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("enact runs");
    let start = Instant::now();
    while server.count() == 0 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.count(), 1, "the request was sent");
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    let listed = home.enact(&["ls", "invocations"]).stdout();
    let run = listed
        .lines()
        .find(|l| l.starts_with("run:"))
        .expect("the cut-off run")
        .split_whitespace()
        .next()
        .expect("id")
        .to_string();
    // The answer given before the call was durable, so it is replayed, not asked again.
    let resumed = Command::new(env!("CARGO_BIN_EXE_enact"))
        .args(["resume", &run, "--json"])
        .env("ENACT_HOME", home.path())
        .env("ENACT_LLM_URL", &server.url)
        .env("ENACT_LLM_MODEL", "test-model")
        .output()
        .expect("enact runs");
    assert_eq!(resumed.status.code(), Some(3), "{}", String::from_utf8_lossy(&resumed.stderr));
    let out: serde_json::Value = serde_json::from_slice(&resumed.stdout).expect("JSON");
    assert_eq!(out["status"], "awaiting-input", "the file of answers is not given again: {out}");
    assert_eq!(server.count(), 2, "the unanswered request is sent again");
    assert_eq!(server.requests()[0], server.requests()[1]);
    let id = out["invocation"].as_str().expect("id");
    let done = home.enact(&["resume", id, "--answer", "stop", "--json"]);
    done.success();
    assert_eq!(
        done.json()["output"],
        serde_json::json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello!"}])
    );
}

#[test]
fn a_fuel_budget_stops_a_guest_at_the_same_point_on_replay() {
    let home = Home::new();
    let path = home.path().join("spin.wasm");
    std::fs::write(&path, crate::fixtures::component("(loop $l (drop (call $next_u64)) (br $l))")).expect("write");
    home.enact(&["add", path.to_str().expect("utf-8"), "--name", "spin"]).success();
    let run = home.enact(&["invoke", "spin", "--fuel", "100000", "--json"]);
    assert_eq!(run.code(), 1);
    let out = run.json();
    assert_eq!(out["error"]["message"], "fuel limit of 100000 exceeded");
    let replay = home.enact(&["replay", out["invocation"].as_str().expect("id"), "--json"]);
    assert_eq!(replay.code(), 1, "a trapped invocation replays as trapped");
    assert_eq!(replay.json()["identical"], true);
    assert_eq!(replay.json()["events"], out["events"]);
}

#[test]
fn a_granted_directory_is_a_recorded_snapshot() {
    let home = Home::new();
    home.add_rust("probe");
    let data = home.path().join("data");
    std::fs::create_dir_all(data.join("sub")).expect("mkdir");
    std::fs::write(data.join("sub/note.txt"), "first version").expect("write");
    let grant = format!("{}:/data", data.display());
    let run =
        home.enact(&["invoke", "probe", "--config", r#"{"read":"/data/sub/note.txt"}"#, "--dir", &grant, "--json"]);
    run.success();
    let out = run.json();
    assert_eq!(out["output"]["file"]["ok"], "\"first version\"");

    // The host file changes; the replay reads what was recorded.
    std::fs::write(data.join("sub/note.txt"), "second version").expect("write");
    let replay = home.enact(&["replay", out["invocation"].as_str().expect("id"), "--json"]);
    replay.success();
    assert_eq!(replay.json()["output"], out["output"]);

    // Read-only by default; `rw` writes to the guest's copy, never the host's.
    let denied = home.enact(&[
        "invoke",
        "probe",
        "--config",
        r#"{"read":"/data/sub/note.txt","write":"x"}"#,
        "--dir",
        &grant,
        "--json",
    ]);
    assert!(denied.json()["output"]["written"]["denied"].is_string(), "{}", denied.stdout());
    let rw = format!("{}:/data:rw", data.display());
    let wrote = home.enact(&[
        "invoke",
        "probe",
        "--config",
        r#"{"read":"/data/sub/note.txt","write":"changed"}"#,
        "--dir",
        &rw,
        "--json",
    ]);
    assert_eq!(wrote.json()["output"]["file"]["ok"], "\"changed\"");
    assert_eq!(std::fs::read_to_string(data.join("sub/note.txt")).expect("read"), "second version");

    // Without a grant there is nothing there.
    let none = home.enact(&["invoke", "probe", "--config", r#"{"read":"/data/sub/note.txt"}"#, "--json"]);
    assert!(none.json()["output"]["file"]["denied"].is_string());
    let bad = home.enact(&["invoke", "probe", "--dir", "/no/such/dir:/data"]);
    assert_eq!(bad.code(), 2);
    assert!(bad.stderr().contains("cannot grant `/no/such/dir`"), "{}", bad.stderr());
}

#[test]
fn a_grant_never_reaches_outside_its_directory() {
    let home = Home::new();
    home.add_rust("probe");
    let data = home.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    std::fs::write(data.join("inside.txt"), "granted").expect("write");
    std::fs::write(home.path().join("secret.txt"), "not granted").expect("write");
    std::os::unix::fs::symlink(home.path().join("secret.txt"), data.join("link.txt")).expect("symlink");
    std::os::unix::fs::symlink("..", data.join("up")).expect("symlink");
    let grant = format!("{}:/data", data.display());
    let read = |path: &str| {
        let config = serde_json::json!({ "read": path }).to_string();
        home.enact(&["invoke", "probe", "--config", &config, "--dir", &grant, "--json"]).success().json()
    };
    assert_eq!(read("/data/inside.txt")["output"]["file"]["ok"], "\"granted\"");
    for outside in ["/data/link.txt", "/data/up/secret.txt", "/data/../secret.txt"] {
        let out = read(outside);
        assert!(out["output"]["file"]["denied"].is_string(), "{outside}: {out}");
    }

    // A forged snapshot whose manifest names a path above the copy: the
    // copy is refused, and nothing is written outside it.
    let out = read("/data/inside.txt");
    let rt = crate::support::seeded_runtime(&home, 1);
    let id: enact::Digest = out["invocation"].as_str().expect("id").parse().expect("a digest");
    let mut record = rt.load(&id).expect("the invocation").record;
    let escape = format!("escaped-{}.txt", id.hex());
    let file = rt.storage().write(|w| w.put_blob(b"escaped")).expect("a blob");
    let manifest = serde_json::json!({ "files": { format!("../../{escape}"): file } });
    record.grants[0].snapshot =
        rt.storage().write(|w| w.put_blob(&enact::canonical_record(&manifest))).expect("a manifest");
    record.outcome = enact::Outcome::Incomplete;
    let forged = crate::support::store_record(&rt, &record);
    drop(rt);
    let replay = home.enact(&["replay", &forged.to_string()]);
    assert_eq!(replay.code(), 2, "{}", replay.stderr());
    assert!(!std::env::temp_dir().join(&escape).exists(), "a file was written outside the copy");
}
