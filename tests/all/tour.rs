//! The README's CLI tour, run as written on a fresh home: every `$ ` line of
//! its console blocks is a command, the lines under it what it printed
//! (stdout and stderr, as a terminal shows them). Ids, numbers and sizes
//! differ per run and per build, so each shown line is a pattern: a run of
//! hex digits or of digits stands for any such run, runs of spaces for any
//! spacing, and `…` for anything.

use std::path::Path;
use std::process::Command;

/// The tour: the README from `## CLI tour` to the next section.
fn tour() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let start = readme.find("## CLI tour").expect("a CLI tour");
    let end = start + readme[start..].find("\n### ").expect("a section after the tour");
    readme[start..end].to_string()
}

/// Each command of the tour's console blocks with the lines shown under it.
fn steps(tour: &str) -> Vec<(String, Vec<String>)> {
    let mut steps: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_block = false;
    for line in tour.lines() {
        if line.starts_with("```") {
            in_block = line == "```console";
        } else if !in_block {
        } else if let Some(command) = line.strip_prefix("$ ") {
            steps.push((command.to_string(), Vec::new()));
        } else if let Some((_, shown)) = steps.last_mut() {
            shown.push(line.to_string());
        }
    }
    steps
}

/// The pattern a shown line stands for.
fn pattern(shown: &str) -> regex::Regex {
    let mut text = String::from("^");
    let mut rest = shown;
    while let Some(c) = rest.chars().next() {
        let run = |pred: fn(char) -> bool| rest.find(|c: char| !pred(c)).unwrap_or(rest.len());
        let (token, taken) = if c == '…' {
            (".*".to_string(), c.len_utf8())
        } else if c.is_ascii_hexdigit() && run(|c| c.is_ascii_hexdigit()) >= 6 {
            ("[0-9a-f]+".to_string(), run(|c| c.is_ascii_hexdigit()))
        } else if c.is_ascii_digit() {
            ("[0-9]+".to_string(), run(|c| c.is_ascii_digit()))
        } else if c == ' ' && run(|c| c == ' ') >= 2 {
            (" +".to_string(), run(|c| c == ' '))
        } else {
            (regex::escape(&c.to_string()), c.len_utf8())
        };
        text.push_str(&token);
        rest = &rest[taken..];
    }
    text.push('$');
    regex::Regex::new(&text).expect("a valid pattern")
}

#[test]
fn the_readmes_cli_tour_runs_as_written_on_a_fresh_home() {
    let steps = steps(&tour());
    assert!(steps.len() > 30, "the tour has its commands: {}", steps.len());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository");
    let work = tempfile::tempdir().expect("a folder");
    std::os::unix::fs::symlink(root.join("target"), work.path().join("target")).expect("link target/");
    std::os::unix::fs::symlink(root.join("examples"), work.path().join("examples")).expect("link examples/");
    let bin = Path::new(env!("CARGO_BIN_EXE_enact")).parent().expect("the binary's folder").to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    for (command, shown) in steps {
        let run = Command::new("sh")
            .args(["-c", &format!("{command} 2>&1")])
            .current_dir(work.path())
            .env("PATH", &path)
            .env("ENACT_HOME", work.path().join("home"))
            .env_remove("ENACT_LOG")
            .env_remove("ENACT_LLM_URL")
            .output()
            .expect("sh runs");
        let printed = String::from_utf8_lossy(&run.stdout).into_owned();
        let printed: Vec<&str> = printed.lines().collect();
        assert_eq!(
            printed.len(),
            shown.len(),
            "`{command}` printed:\n{}\nthe README shows:\n{}",
            printed.join("\n"),
            shown.join("\n")
        );
        for (line, shown) in printed.iter().zip(&shown) {
            assert!(pattern(shown).is_match(line), "`{command}` printed\n  {line}\nwhere the README shows\n  {shown}");
        }
    }
}

#[test]
fn a_shown_line_stands_for_lines_of_its_shape_only() {
    let shown = "invocation 185124ae3e4b completed (3 events) in …";
    assert!(pattern(shown).is_match("invocation 0f58b2190824 completed (13 events) in 2 ms"));
    assert!(!pattern(shown).is_match("invocation 0f58b2190824 failed (13 events) in 2 ms"));
    assert!(!pattern(shown).is_match("error: invocation 0f58b2190824 completed (13 events) in 2 ms"));
    assert!(pattern("ID  STATUS").is_match("ID            STATUS"));
}
