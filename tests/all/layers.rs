//! The layers: crates depend only on crates below them, and no crate's
//! modules import each other in a cycle. Read from the manifests and the
//! `use` lines, so that a change that climbs back up fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each crate under `runtime/`, with the enact crates it may depend on.
const CRATES: [(&str, &str, &[&str]); 6] = [
    ("core", "enact-core", &[]),
    // Flows are data and an interpreter over a host trait: they know no other crate.
    ("flow", "enact-flow", &[]),
    ("store", "enact-store", &["enact-core"]),
    ("llm", "enact-llm", &["enact-core"]),
    ("runtime", "enact-runtime", &["enact-core", "enact-store"]),
    ("cli", "enact", &["enact-core", "enact-store", "enact-llm", "enact-flow", "enact-runtime"]),
];

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The enact crates `manifest` lists under `[dependencies]`.
fn enact_dependencies(manifest: &str) -> BTreeSet<String> {
    let mut section = "";
    let mut found = BTreeSet::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
        } else if section == "[dependencies]"
            && let Some((name, _)) = line.split_once(['.', '='])
            && name.trim().starts_with("enact")
        {
            found.insert(name.trim().to_string());
        }
    }
    found
}

#[test]
fn crates_depend_only_on_crates_below_them() {
    for (dir, name, allowed) in CRATES {
        let manifest = std::fs::read_to_string(crates_dir().join(dir).join("Cargo.toml")).expect("a manifest");
        assert!(manifest.contains(&format!("name = \"{name}\"")), "{dir} is the crate {name}");
        let allowed: BTreeSet<String> = allowed.iter().map(|s| s.to_string()).collect();
        let found = enact_dependencies(&manifest);
        assert!(found.is_subset(&allowed), "{name} depends on {found:?}; only {allowed:?} are below it");
    }
}

/// The top-level module a source file belongs to: `src/host/wasi.rs` is in `host`.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let module = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(module, "lib" | "main")).then(|| module.to_string())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Which top-level modules each top-level module of `src` names through
/// `crate::` (comments aside).
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(src, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    for file in &files {
        let Some(from) = module_of(src, file) else { continue };
        let text = std::fs::read_to_string(file).expect("a source file");
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (at, _) in line.match_indices("crate::") {
                let name: String = line[at + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if modules.contains(&name) && name != from {
                    graph.get_mut(&from).expect("listed").insert(name);
                }
            }
        }
    }
    graph
}

/// A cycle in `graph`, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in &graph[node] {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_an_import_cycle_between_its_modules() {
    for (dir, name, _) in CRATES {
        let graph = module_graph(&crates_dir().join(dir).join("src"));
        if let Some(cycle) = find_cycle(&graph) {
            panic!("{name}: modules import each other in a cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn only_the_top_of_the_runtime_uses_its_facade() {
    let graph = module_graph(&crates_dir().join("runtime").join("src"));
    let users: Vec<&String> =
        graph.iter().filter(|(_, uses)| uses.contains("runtime")).map(|(module, _)| module).collect();
    assert_eq!(users, vec!["session"], "modules below the facade use it");
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), ["b".to_string()].into()),
        ("b".to_string(), ["c".to_string()].into()),
        ("c".to_string(), ["a".to_string()].into()),
    ]
    .into();
    assert_eq!(find_cycle(&graph), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    let acyclic: BTreeMap<String, BTreeSet<String>> =
        [("a".to_string(), ["b".to_string()].into()), ("b".to_string(), BTreeSet::new())].into();
    assert_eq!(find_cycle(&acyclic), None);
}
