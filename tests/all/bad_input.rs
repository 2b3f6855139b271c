use std::path::Path;

use crate::support::{Home, Run};

/// Runs `args`, and asserts exit code 2, an `error:` naming `expected`, and an unchanged store.
#[track_caller]
fn rejected(home: &Home, args: &[&str], expected: &str) -> Run {
    let before = home.contents();
    let run = home.enact(args);
    assert_eq!(run.code(), 2, "stdout: {}\nstderr: {}", run.stdout(), run.stderr());
    assert!(run.stderr().starts_with("error: "), "{}", run.stderr());
    assert!(run.stderr().contains(expected), "expected `{expected}` in: {}", run.stderr());
    assert_eq!(run.stdout(), "", "nothing on stdout");
    assert_eq!(home.contents(), before, "the store changed");
    run
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write a fixture");
    path.to_str().expect("utf-8").to_string()
}

#[test]
fn adding_a_text_file_is_refused() {
    let home = Home::new();
    home.add_rust("echo");
    let file = write(home.path(), "notes.txt", b"hello, world\n");
    rejected(&home, &["add", &file], "not a WebAssembly binary");
}

#[test]
fn adding_a_core_module_is_refused_with_a_hint() {
    let home = Home::new();
    home.add_rust("echo");
    let module = wat::parse_str(r#"(module (func (export "call")))"#).expect("valid WAT");
    let file = write(home.path(), "core.wasm", &module);
    let run = rejected(&home, &["add", &file], "core WebAssembly module, not a component");
    assert!(run.stderr().contains("hint: "), "{}", run.stderr());
}

#[test]
fn adding_truncated_wasm_is_refused() {
    let home = Home::new();
    home.add_rust("echo");
    let bytes = std::fs::read(crate::support::guest("rust", "echo")).expect("the guest");
    let file = write(home.path(), "truncated.wasm", &bytes[..bytes.len() / 2]);
    rejected(&home, &["add", &file], "invalid component");
}

#[test]
fn adding_a_component_of_another_world_is_refused() {
    let home = Home::new();
    home.add_rust("echo");
    // a command-style component: exports `run`, not `call`
    let other = wat::parse_str(
        r#"(component
            (core module $m (func (export "run")))
            (core instance $i (instantiate $m))
            (func (export "run") (canon lift (core func $i "run"))))"#,
    )
    .expect("valid WAT");
    let file = write(home.path(), "other.wasm", &other);
    let run = rejected(&home, &["add", &file], "does not export `call`");
    assert!(run.stderr().contains("hint: build it for the enact:runtime/invokable world"));
}

#[test]
fn adding_a_component_whose_exports_have_the_wrong_types_is_refused() {
    let home = Home::new();
    let wrong = wat::parse_str(
        r#"(component
            (core module $m (func (export "f")))
            (core instance $i (instantiate $m))
            (func (export "call") (canon lift (core func $i "f")))
            (func (export "describe") (canon lift (core func $i "f"))))"#,
    )
    .expect("valid WAT");
    let file = write(home.path(), "wrong.wasm", &wrong);
    rejected(&home, &["add", &file], "does not fit the enact:runtime/invokable world");
}

#[test]
fn adding_a_component_with_an_import_enact_does_not_provide_is_refused() {
    let home = Home::new();
    let importing = wat::parse_str(
        r#"(component
            (import "acme:net/socket" (instance (export "open" (func))))
            (core module $m (func (export "f")))
            (core instance $i (instantiate $m))
            (func (export "call") (canon lift (core func $i "f")))
            (func (export "describe") (canon lift (core func $i "f"))))"#,
    )
    .expect("valid WAT");
    let file = write(home.path(), "importing.wasm", &importing);
    rejected(&home, &["add", &file], "acme:net/socket");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let home = Home::new();
    rejected(&home, &["add", "/nonexistent/guest.wasm"], "`/nonexistent/guest.wasm`");
}

#[test]
fn invalid_input_json_is_refused_before_anything_runs() {
    let home = Home::new();
    home.add_rust("dice");
    rejected(&home, &["invoke", "dice", "--input", "{n: 3}"], "input is not valid JSON");
    rejected(&home, &["invoke", "dice", "--config", "[1,", "--input", "{}"], "config is not valid JSON");
}

#[test]
fn an_unknown_hash_or_name_is_refused() {
    let home = Home::new();
    home.add_rust("dice");
    let unknown = format!("sha256:{}", "ab".repeat(32));
    rejected(&home, &["invoke", &unknown], "no component matches");
    rejected(&home, &["invoke", "no-such-name"], "no component matches `no-such-name`");
    rejected(&home, &["show", &unknown], "no invocation matches");
    rejected(&home, &["replay", "abcdefabcdef"], "no invocation matches");
}

#[test]
fn an_ambiguous_prefix_is_refused_naming_the_matches() {
    let home = Home::new();
    home.add_rust("dice");
    // Two index entries whose ids share their first 12 hex digits.
    {
        let storage = enact::Storage::open(&home.store_file()).expect("the store opens");
        let reader = storage.read().expect("read");
        let (_, info) = reader.components::<enact::ComponentInfo>().expect("components").remove(0);
        drop(reader);
        let mut a = [0x5a; 32];
        let mut b = [0x5a; 32];
        a[31] = 1;
        b[31] = 2;
        storage
            .write(|w| {
                w.put_component(&enact::Digest(a), &info)?;
                w.put_component(&enact::Digest(b), &info)
            })
            .expect("write");
    }
    let run = rejected(&home, &["invoke", "5a5a5a5a5a5a"], "is ambiguous: it matches 2 components");
    assert!(run.stderr().contains("hint: give more digits"), "{}", run.stderr());
}

#[test]
fn an_unknown_subcommand_or_missing_argument_is_a_usage_error() {
    let home = Home::new();
    assert_eq!(home.enact(&["frobnicate"]).code(), 2);
    assert_eq!(home.enact(&["replay"]).code(), 2);
    assert_eq!(home.enact(&["--help"]).code(), 0);
}

#[test]
fn a_component_whose_describe_draws_a_random_number_is_refused_on_add() {
    let home = Home::new();
    let path = home.path().join("impure.wasm");
    std::fs::write(&path, crate::fixtures::component_with("(drop (call $next_u64))", "")).expect("write");
    let before = home.contents();
    let run = home.enact(&["add", path.to_str().expect("utf-8")]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("`describe` asked for `random.next-u64`"), "{}", run.stderr());
    assert_eq!(home.contents(), before);
}
