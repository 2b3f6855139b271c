#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]
//! Benchmarks of the runtime's hot paths, on real guests and a real store.
//!
//! Run with `make bench` (it builds the guests first). Numbers are recorded in
//! the README's performance section.
//!
//! Criterion runs every group's setup (a store of 100,000 invocations, Python
//! components compiled) even for rows its filter leaves out. With
//! `ENACT_BENCH_ONLY=TEXT` set, only the setups of rows whose id
//! (`group/row`) contains TEXT run: one row then runs alone, quick enough to
//! count its instructions under valgrind, where the day's noise hides a
//! few percent of time.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use enact::{Runtime, Storage};

/// The allocator the `enact` binary uses, for enact's rows and bare wasmtime's alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn guest(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/guests/rust/{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}; build the guests with `make guests`", path.display()))
}

/// Whether any of these rows (`group/row`) is to be set up: see the module's doc.
fn wanted(rows: &[&str]) -> bool {
    std::env::var("ENACT_BENCH_ONLY").map_or(true, |only| rows.iter().any(|row| row.contains(&only)))
}

fn runtime(dir: &tempfile::TempDir) -> Runtime {
    let storage = Storage::open(&enact::store_path(dir.path())).expect("store");
    Runtime::new(Arc::new(storage)).expect("runtime")
}

/// Journaled host calls: `dice` rolling 100,000 dice is 100,000 `random.next-u64`
/// calls, each journaled and persisted (in chunks, and sealed at the end).
fn journaled_random_calls(c: &mut Criterion) {
    if !wanted(&["journaled random call/dice n=100000", "journaled random call/dice n=0"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = runtime(&dir);
    let dice = rt.add(&guest("dice"), Some("dice")).expect("add").0;
    let mut group = c.benchmark_group("journaled random call");
    group.sample_size(20);
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("dice n=100000", |b| {
        b.iter(|| rt.invoke(enact::Call::new(dice).config("{}").input(r#"{"n":100000}"#)).expect("invoke"))
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("dice n=0", |b| {
        b.iter(|| rt.invoke(enact::Call::new(dice).config("{}").input(r#"{"n":0}"#)).expect("invoke"))
    });
    group.finish();
}

/// A whole invocation of a small cached component: instantiate, call, seal.
fn invoke_small_component(c: &mut Criterion) {
    if !wanted(&["invoke echo (in process)", "invoke py-dice (in process)"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = runtime(&dir);
    let echo = rt.add(&guest("echo"), Some("echo")).expect("add").0;
    c.bench_function("invoke echo (in process)", |b| {
        b.iter(|| rt.invoke(enact::Call::new(echo).config("{}").input(r#"{"x":1}"#)).expect("invoke"))
    });
    // A Python component in a warm runtime: its code mapped once, its
    // memory image shared copy-on-write by every instance.
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/guests/python/dice.wasm");
    let dice = rt.add(&std::fs::read(python).expect("the Python dice"), Some("py-dice")).expect("add").0;
    c.bench_function("invoke py-dice (in process)", |b| {
        b.iter(|| rt.invoke(enact::Call::new(dice).config("{}").input(r#"{"n":3}"#)).expect("invoke"))
    });
}

/// The baseline: what wasmtime alone costs for the same work. The same
/// engine configuration (`enact_runtime::new_engine`), a minimal host (WASI
/// with nothing granted, and `random.next-u64` from a counter), no journal,
/// no store: instantiate a component and call `call(config, input)`.
struct Bare {
    engine: wasmtime::Engine,
    pre: wasmtime::component::InstancePre<BareState>,
}

struct BareState {
    wasi: wasmtime_wasi::WasiCtx,
    table: wasmtime::component::ResourceTable,
    counter: u64,
}

impl wasmtime_wasi::WasiView for BareState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl Bare {
    fn new(name: &str) -> Bare {
        let engine = enact_runtime::new_engine().expect("engine");
        let component = wasmtime::component::Component::new(&engine, guest(name)).expect("compile");
        let mut linker = wasmtime::component::Linker::<BareState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("wasi");
        linker
            .instance("enact:runtime/random@0.1.0")
            .expect("random")
            .func_wrap("next-u64", |mut store: wasmtime::StoreContextMut<'_, BareState>, (): ()| {
                store.data_mut().counter += 0x9e37_79b9_7f4a_7c15;
                Ok((store.data().counter,))
            })
            .expect("next-u64");
        linker.define_unknown_imports_as_traps(&component).expect("the rest traps");
        let pre = linker.instantiate_pre(&component).expect("instantiate_pre");
        Bare { engine, pre }
    }

    /// A store, as each invocation has its own; the component instantiated
    /// in it and called; its output.
    fn call(&self, config: &str, input: &str) -> String {
        use wasmtime::component::Val;
        let state = BareState {
            wasi: wasmtime_wasi::WasiCtx::builder().build(),
            table: wasmtime::component::ResourceTable::new(),
            counter: 0,
        };
        let mut store = wasmtime::Store::new(&self.engine, state);
        store.set_fuel(u64::MAX).expect("fuel");
        store.set_epoch_deadline(u64::MAX / 2);
        let instance = self.pre.instantiate(&mut store).expect("instantiate");
        let call = instance.get_func(&mut store, "call").expect("a `call` export");
        let mut results = [Val::Bool(false)];
        call.call(&mut store, &[Val::String(config.into()), Val::String(input.into())], &mut results).expect("call");
        match &results[0] {
            Val::Result(Ok(Some(output))) => match &**output {
                Val::String(text) => text.clone(),
                other => panic!("output {other:?}"),
            },
            other => panic!("result {other:?}"),
        }
    }
}

/// The baseline beside the rows it is a ratio for: a small component
/// (echo) and a child's work (roll-die), instantiated and called.
fn bare_wasmtime(c: &mut Criterion) {
    if !wanted(&["bare wasmtime/instantiate + call echo", "bare wasmtime/instantiate + call roll-die"]) {
        return;
    }
    let mut group = c.benchmark_group("bare wasmtime");
    let echo = Bare::new("echo");
    group.bench_function("instantiate + call echo", |b| b.iter(|| echo.call("{}", r#"{"x":1}"#)));
    let die = Bare::new("roll-die");
    group.bench_function("instantiate + call roll-die", |b| b.iter(|| die.call("{}", "null")));
    group.finish();
}

/// Replaying a complete invocation of 100,000 events.
fn replay_events(c: &mut Criterion) {
    if !wanted(&["replay/dice n=100000"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = runtime(&dir);
    let dice = rt.add(&guest("dice"), Some("dice")).expect("add").0;
    let inv = rt.invoke(enact::Call::new(dice).config("{}").input(r#"{"n":100000}"#)).expect("invoke");
    let mut group = c.benchmark_group("replay");
    group.sample_size(20);
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("dice n=100000", |b| b.iter(|| assert!(rt.replay(&inv.id).expect("replay").identical)));
    group.finish();
}

/// Adds `roll-die` and `roll-sum` (which calls it) to `rt`: `roll-sum`'s digest.
fn add_roll_sum(rt: &Runtime) -> enact::Digest {
    rt.add(&guest("roll-die"), Some("roll-die")).expect("add");
    rt.add(&guest("roll-sum"), Some("roll-sum")).expect("add").0
}

/// The row `group/roll-sum n=1000`: a root of 1,000 children, per child.
fn thousand_children(c: &mut Criterion, group: &str, rt: &Runtime, roll_sum: enact::Digest) {
    let mut group = c.benchmark_group(group);
    group.sample_size(10);
    group.throughput(Throughput::Elements(1000));
    group.bench_function("roll-sum n=1000", |b| {
        b.iter(|| rt.invoke(enact::Call::new(roll_sum).config("{}").input(r#"{"n":1000}"#)).expect("invoke"))
    });
    group.finish();
}

/// Tracked child invocations: `roll-sum` of 1,000 dice is 1,000 children of
/// `roll-die`, each instantiated, run, recorded and sealed.
fn child_invocations(c: &mut Criterion) {
    if !wanted(&[
        "child invocation/roll-sum n=1000",
        "child invocation, store of 100,000/roll-sum n=1000",
        "rewind/rewind(1) + replay of roll-sum n=1000",
    ]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = runtime(&dir);
    let roll_sum = add_roll_sum(&rt);
    thousand_children(c, "child invocation", &rt, roll_sum);

    // The same on a store that already holds 100,000 invocations.
    if wanted(&["child invocation, store of 100,000/roll-sum n=1000"]) {
        let big = tempfile::tempdir().expect("tempdir");
        let big_rt = runtime(&big);
        let big_sum = add_roll_sum(&big_rt);
        big_rt.invoke(enact::Call::new(big_sum).config("{}").input(r#"{"n":100000}"#)).expect("fill the store");
        thousand_children(c, "child invocation, store of 100,000", &big_rt, big_sum);
    }

    let inv = rt.invoke(enact::Call::new(roll_sum).config("{}").input(r#"{"n":1000}"#)).expect("invoke");
    let mut group = c.benchmark_group("rewind");
    group.sample_size(20);
    group.bench_function("rewind(1) + replay of roll-sum n=1000", |b| {
        b.iter(|| {
            let rewound = rt.rewind(&inv.id, 1).expect("rewind");
            rt.replay(&rewound.id).expect("replay")
        })
    });
    group.finish();
}

/// 100 input requests answered in one session: `ask-dice` asked for 99 dice
/// asks 100 times; every answer is durable before the guest sees it.
fn input_session(c: &mut Criterion) {
    if !wanted(&["input/100 answers in one session"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = runtime(&dir);
    let ask_dice = rt.add(&guest("ask-dice"), Some("ask-dice")).expect("add").0;
    let mut group = c.benchmark_group("input");
    group.sample_size(20);
    group.throughput(Throughput::Elements(100));
    group.bench_function("100 answers in one session", |b| {
        b.iter(|| {
            let mut session = rt.start(enact::Call::new(ask_dice)).expect("start");
            let mut asked = 0;
            loop {
                match session.step().expect("step") {
                    enact::Step::Input(_) => {
                        let answer = if asked == 0 { 99 } else { 3 };
                        session.answer(serde_json::json!(answer)).expect("answer");
                        asked += 1;
                    }
                    enact::Step::Finished(inv) => {
                        assert_eq!(asked, 100);
                        break inv;
                    }
                }
            }
        })
    });
    group.finish();
}

/// Burr's counter as a flow: one `set` step looping N times, each step
/// marked in the journal with its state, the run sealed in the store.
fn flow_counter(c: &mut Criterion) {
    if !wanted(&["flow counter/n=1000", "flow counter/n=10000"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = runtime(&dir);
    let interpreter = rt.add(&guest("flow"), None).expect("add").0;
    let counter = r#"{"flow": "counter", "entry": "increment", "state": {"count": 0, "limit": 0},
        "step": {"increment": {"set": {"count": "count + 1"}}, "done": {"end": true}},
        "next": [{"from": "increment", "to": "increment", "when": "count < limit"}, {"from": "increment", "to": "done"}]}"#;
    let mut group = c.benchmark_group("flow counter");
    group.sample_size(20);
    for n in [1_000u64, 10_000] {
        group.throughput(Throughput::Elements(n));
        let input = format!(r#"{{"state": {{"limit": {n}}}}}"#);
        group.bench_function(format!("n={n}"), |b| {
            b.iter(|| {
                let inv = rt.invoke(enact::Call::new(interpreter).config(counter).input(&input)).expect("invoke");
                assert_eq!(inv.output.expect("completed")["state"]["count"], n);
            })
        });
    }
    group.finish();
}

/// A small Python snippet, as a model might write it, run on the `python`
/// runner in a warm runtime; and `enact run` of it as a whole process.
fn run_source(c: &mut Criterion) {
    if !wanted(&[
        "run source/python snippet (in process)",
        "run source/python snippet as a child (100 in a tree)",
        "run source/enact run t.py (process)",
    ]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = runtime(&dir);
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/guests/python/runner.wasm");
    let runner = rt.add(&std::fs::read(python).expect("the python runner"), Some("python")).expect("add").0;
    let snippet = r#"{"source": "def main(input):\n    return input['a'] + 1\n"}"#;
    let mut group = c.benchmark_group("run source");
    group.sample_size(20);
    group.bench_function("python snippet (in process)", |b| {
        b.iter(|| rt.invoke(enact::Call::new(runner).config(snippet).input(r#"{"a": 41}"#)).expect("invoke"))
    });
    // The same snippet as a child, 100 times in one tree: what a code agent
    // pays per program, its commit shared with the tree.
    let parent = serde_json::json!({"source": "S = {'source': \"def main(input):\\n    return input['a'] + 1\\n\"}\n\
def main(input):\n    return sum(enact.invoke('python', S, {'a': i}) for i in range(100))\n"});
    let parent = parent.to_string();
    group.throughput(Throughput::Elements(100));
    group.bench_function("python snippet as a child (100 in a tree)", |b| {
        b.iter(|| {
            let done = rt.invoke(enact::Call::new(runner).config(&parent).input("null")).expect("invoke");
            assert_eq!(done.output, Some(serde_json::json!(5050)), "{:?}", done.record.outcome);
        })
    });
    group.throughput(Throughput::Elements(1));
    drop(rt);
    let file = dir.path().join("t.py");
    std::fs::write(&file, "def main(input):\n    return input['a'] + 1\n").expect("write");
    let enact = env!("CARGO_BIN_EXE_enact");
    let args = ["run", file.to_str().expect("utf-8"), "--input", r#"{"a": 41}"#];
    group.bench_function("enact run t.py (process)", |b| {
        b.iter(|| {
            let out = Command::new(enact).args(args).env("ENACT_HOME", dir.path()).output().expect("enact run");
            assert!(out.status.success());
        })
    });
    group.finish();
}

/// The code agent's retry loop in a warm runtime: three programs from a
/// scripted model (in process), each run as a child on the `python` runner;
/// the first two raise, and the model hears each error.
fn code_agent(c: &mut Criterion) {
    if !wanted(&["code agent, 3 attempts (in process)"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let program = |body: &str| format!("```python\ndef main(input):\n    {body}\n```");
    // The response goes by the text the conversation holds (the longest key found).
    let script = serde_json::json!({
        "Sum the numbers": program("return 1 / 0"),
        "ZeroDivisionError": program("return input['missing']"),
        "list indices must be integers": program("return sum(input)"),
    });
    let path = dir.path().join("script.json");
    std::fs::write(&path, script.to_string()).expect("write the script");
    let provider = enact::llm::ScriptedProvider::open(&path).expect("the script");
    let storage = Storage::open(&enact::store_path(dir.path())).expect("store");
    let rt = Runtime::builder(Arc::new(storage)).llm(Arc::new(provider)).build().expect("runtime");
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/guests/python/runner.wasm");
    rt.add(&std::fs::read(python).expect("the python runner"), Some("python")).expect("add");
    let agent = rt.add(&guest("code-agent"), None).expect("add").0;
    let input = r#"{"task": "Sum the numbers in the input list.", "input": [1, 2, 3]}"#;
    c.bench_function("code agent, 3 attempts (in process)", |b| {
        b.iter(|| {
            let done = rt.invoke(enact::Call::new(agent).config(r#"{"attempts": 3}"#).input(input)).expect("invoke");
            let output = done.output.unwrap_or_else(|| panic!("{:?}", done.record.outcome));
            assert_eq!((output["output"].as_u64(), output["attempts"].as_u64()), (Some(6), Some(3)));
        })
    });
}

/// `enact invoke` as a whole process, with the component already compiled:
/// `echo`, the Python `dice`, and `roll-sum` rolling 1,000 dice as children.
fn invoke_process(c: &mut Criterion) {
    if !wanted(&["process/enact invoke echo", "process/enact invoke py-dice", "process/enact invoke roll-sum n=1000"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let enact = env!("CARGO_BIN_EXE_enact");
    for name in ["echo", "roll-die", "roll-sum"] {
        let path = dir.path().join(format!("{name}.wasm"));
        std::fs::write(&path, guest(name)).expect("write");
        let status = Command::new(enact)
            .args(["add", path.to_str().expect("utf-8"), "--name", name])
            .env("ENACT_HOME", dir.path())
            .output()
            .expect("enact add");
        assert!(status.status.success());
    }
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/guests/python/dice.wasm");
    let added = Command::new(enact)
        .args(["add", python.to_str().expect("utf-8"), "--name", "py-dice"])
        .env("ENACT_HOME", dir.path())
        .output()
        .expect("enact add");
    assert!(added.status.success());
    let mut group = c.benchmark_group("process");
    group.sample_size(20);
    for (name, args) in [
        ("enact invoke echo", ["invoke", "echo", "--input", "1"]),
        ("enact invoke py-dice", ["invoke", "py-dice", "--input", r#"{"n":3}"#]),
        ("enact invoke roll-sum n=1000", ["invoke", "roll-sum", "--input", r#"{"n":1000}"#]),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let out = Command::new(enact).args(args).env("ENACT_HOME", dir.path()).output().expect("enact invoke");
                assert!(out.status.success());
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    bare_wasmtime,
    journaled_random_calls,
    invoke_small_component,
    replay_events,
    child_invocations,
    input_session,
    flow_counter,
    run_source,
    code_agent,
    invoke_process
);
criterion_main!(benches);
