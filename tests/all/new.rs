//! `enact new`: a project per language that builds outside the repository
//! with the toolchains `make setup` installs, and runs.

use std::path::Path;
use std::process::Command;

use crate::support::Home;

/// Where `make setup` put the toolchains, for the projects' `build.sh`.
fn tools() -> Vec<(&'static str, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository");
    let at = |path: &str| root.join(path).display().to_string();
    let path = format!("{}:{}", at("target/tools/py/bin"), std::env::var("PATH").unwrap_or_default());
    vec![
        ("PATH", path),
        ("COMPONENTIZE_JS", at("guests/js/node_modules/.bin/componentize-js")),
        ("WIT_BINDGEN", at("target/tools/bin/wit-bindgen")),
        // The guests' build directory: the kit's dependencies are compiled there already.
        ("CARGO_TARGET_DIR", at("target/guests-build")),
    ]
}

#[test]
fn a_new_project_in_each_language_builds_from_its_own_folder_and_runs() {
    let home = Home::new();
    let work = tempfile::tempdir().expect("a folder");
    for lang in ["rust", "python", "js", "c"] {
        let name = format!("hello-{lang}");
        let dir = work.path().join(&name);
        let dir_text = dir.to_str().expect("utf-8");
        let new = home.enact(&["new", dir_text, "--lang", lang]);
        assert!(new.success().stderr().contains(&format!("sh {dir_text}/build.sh")), "{}", new.stderr());
        for file in ["README.md", "build.sh", "wit/world.wit"] {
            assert!(dir.join(file).is_file(), "{lang}: {file}");
        }

        let build = Command::new("sh").arg(dir.join("build.sh")).envs(tools()).output().expect("sh runs");
        let said = format!("{}{}", String::from_utf8_lossy(&build.stdout), String::from_utf8_lossy(&build.stderr));
        assert!(build.status.success(), "{lang} does not build: {said}");
        let wasm = dir.join(format!("{name}.wasm"));
        assert!(wasm.is_file(), "{lang}: {said}");

        let added = home.enact(&["add", wasm.to_str().expect("utf-8")]);
        assert!(added.success().stderr().contains(&format!("as `{name}`")), "{}", added.stderr());
        let out = home.enact(&["invoke", &name, "--input", r#"{"name": "Ada"}"#, "--json"]).success().json();
        assert_eq!(out["output"]["greeting"], "Hello, Ada!", "{lang}: {out}");
        let lucky = out["output"]["lucky"].as_u64().unwrap_or(100);
        assert!(lucky < 100, "{lang}: {out}");
        let id = out["invocation"].as_str().expect("an id");
        let replay = home.enact(&["replay", id, "--json"]).success().json();
        assert_eq!(replay["identical"], true, "{lang}");
        assert_eq!(replay["output"], out["output"], "{lang}");
    }
}

#[test]
fn new_refuses_a_folder_that_is_not_empty_and_a_name_that_cannot_be_one() {
    let home = Home::new();
    let work = tempfile::tempdir().expect("a folder");
    std::fs::write(work.path().join("keep.txt"), "mine").expect("write");
    let full = home.enact(&["new", work.path().to_str().expect("utf-8"), "--lang", "python"]);
    assert_eq!(full.code(), 2);
    assert!(full.stderr().contains("is not empty; nothing was written"), "{}", full.stderr());
    assert_eq!(std::fs::read_dir(work.path()).expect("list").count(), 1);

    let bad = work.path().join("Bad Name");
    let refused = home.enact(&["new", bad.to_str().expect("utf-8"), "--lang", "c"]);
    assert_eq!(refused.code(), 2);
    assert!(refused.stderr().contains("cannot name a project"), "{}", refused.stderr());
    assert!(!bad.exists());
    let named = home.enact(&["new", bad.to_str().expect("utf-8"), "--lang", "c", "--name", "good"]);
    named.success();
    assert!(bad.join("app.c").is_file());
}
