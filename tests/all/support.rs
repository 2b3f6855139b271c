//! Helpers shared by the test modules.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use enact::{ComponentInfo, InvocationEntry, Runtime, Storage};

/// A built guest component: `target/guests/<language>/<name>.wasm`.
pub fn guest(language: &str, name: &str) -> PathBuf {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/guests").join(language).join(format!("{name}.wasm"));
    assert!(path.exists(), "guest `{}` is missing; build the guests with `make guests` first", path.display());
    path
}

/// An empty enact home in a temporary directory.
pub struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home { dir: tempfile::tempdir().expect("a temporary directory") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn store_file(&self) -> PathBuf {
        enact::store_path(self.path())
    }

    /// Runs `enact ARGS` against this home, in this process.
    pub fn enact(&self, args: &[&str]) -> Run {
        self.enact_with(args, &[])
    }

    /// Runs `enact ARGS` in this process with the environment variables
    /// `vars` besides `ENACT_HOME`.
    pub fn enact_with(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let mut env: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        env.insert("ENACT_HOME".into(), self.path().to_str().expect("a UTF-8 path").into());
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let code = enact::run(std::iter::once("enact").chain(args.iter().copied()), &env, &mut stdout, &mut stderr);
        Run { code: i32::from(code), stdout, stderr }
    }

    /// Runs `enact ARGS` with deterministic live values (`ENACT_SEED`).
    pub fn enact_seeded(&self, seed: u64, args: &[&str]) -> Run {
        self.enact_with(args, &[("ENACT_SEED", &seed.to_string())])
    }

    /// Runs the `enact` binary with `ARGS` against this home, as a process.
    pub fn spawn(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_enact"))
            .args(args)
            .env("ENACT_HOME", self.path())
            .env_remove("ENACT_LOG")
            .output()
            .expect("enact runs");
        Run::of(output)
    }

    /// Runs the `enact` binary with `ARGS` against this home, as a process
    /// whose standard input is `stdin`.
    pub fn spawn_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = Command::new(env!("CARGO_BIN_EXE_enact"))
            .args(args)
            .env("ENACT_HOME", self.path())
            .env_remove("ENACT_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("enact runs");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
        Run::of(child.wait_with_output().expect("enact ends"))
    }

    /// Runs `enact ARGS` with the runtime's debug log on stderr.
    pub fn enact_logged(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_enact"))
            .args(args)
            .env("ENACT_HOME", self.path())
            .env("ENACT_LOG", "enact=debug")
            .output()
            .expect("enact runs");
        Run::of(output)
    }

    /// `enact add` of a Rust guest under its own name; returns its id.
    pub fn add_rust(&self, name: &str) -> String {
        let path = guest("rust", name);
        let run = self.enact(&["add", path.to_str().expect("utf-8 path"), "--name", name]);
        run.success();
        run.stdout().trim().to_string()
    }

    /// Everything listable in the store, to check that a command changed nothing.
    pub fn contents(&self) -> String {
        if !self.store_file().exists() {
            return "[] [] [] []".to_string();
        }
        let storage = Storage::open(&self.store_file()).expect("the store opens");
        let reader = storage.read().expect("a read transaction");
        let components: Vec<_> =
            reader.components::<ComponentInfo>().expect("components").into_iter().map(|(d, _)| d).collect();
        let invocations: Vec<_> =
            reader.invocations::<InvocationEntry>().expect("invocations").into_iter().map(|(d, _)| d).collect();
        let runs: Vec<_> = reader.runs::<serde_json::Value>().expect("runs").into_iter().map(|(r, _)| r).collect();
        format!("{components:?} {invocations:?} {runs:?} {:?}", reader.names().expect("names"))
    }
}

/// A finished `enact` command: its exit code and what it wrote.
pub struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Run {
    /// A finished `enact` process.
    pub fn of(output: Output) -> Run {
        let code = output.status.code().expect("exited, not killed");
        Run { code, stdout: output.stdout, stderr: output.stderr }
    }

    pub fn code(&self) -> i32 {
        self.code
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Asserts exit code 0 and returns self.
    #[track_caller]
    pub fn success(&self) -> &Run {
        assert_eq!(self.code(), 0, "stdout: {}\nstderr: {}", self.stdout(), self.stderr());
        self
    }

    /// stdout parsed as one JSON object.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout().trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}\nstderr: {}", self.stdout(), self.stderr()))
    }

    /// The `invocation` id of `--json` output.
    #[track_caller]
    pub fn invocation(&self) -> String {
        self.json()["invocation"].as_str().expect("an invocation id").to_string()
    }
}

/// A runtime over a fresh store in `home`, with live values from `seed`.
pub fn seeded_runtime(home: &Home, seed: u64) -> Runtime {
    seeded_builder(home, seed).build().expect("the runtime builds")
}

/// A runtime builder over a fresh store in `home`, with live values from `seed`.
pub fn seeded_builder(home: &Home, seed: u64) -> enact::Builder {
    let storage = Storage::open(&home.store_file()).expect("the store opens");
    Runtime::builder(Arc::new(storage)).sources(enact::Sources::seeded_sequence(seed))
}

/// Stores `record` as if it had been sealed (for forged or edited records);
/// returns its id.
pub fn store_record(rt: &Runtime, record: &enact::InvocationRecord) -> enact::Digest {
    rt.storage()
        .write(|w| {
            let id = w.put_blob(&enact::canonical_record(record))?;
            let entry = InvocationEntry {
                status: record.outcome.status().into(),
                component: record.component,
                name: "forged".into(),
                created_ms: 0,
                parent: record.parent,
                depth: 0,
            };
            w.put_invocation(&id, &entry)?;
            Ok::<_, enact::StorageError>(id)
        })
        .expect("store the record")
}

/// Deletes blob `digest` from the store behind enact's back, as a damaged
/// or hand-edited store would lack it (from `blobs`, or a large one's `pieces`).
pub fn remove_blob(home: &Home, digest: &enact::Digest) {
    const BLOBS: redb::TableDefinition<&[u8; 32], &[u8]> = redb::TableDefinition::new("blobs");
    const PIECES: redb::TableDefinition<(&[u8; 32], u32), &[u8]> = redb::TableDefinition::new("pieces");
    let db = redb::Database::open(home.store_file()).expect("the store opens");
    let txn = db.begin_write().expect("a write transaction");
    {
        let mut blobs = txn.open_table(BLOBS).expect("the blobs table");
        let mut pieces = txn.open_table(PIECES).expect("the pieces table");
        let whole = blobs.remove(&digest.0).expect("remove").is_some();
        let mut pieced = false;
        let range = (&digest.0, 0)..=(&digest.0, u32::MAX);
        pieces
            .retain_in(range, |_, _| {
                pieced = true;
                false
            })
            .expect("remove its pieces");
        assert!(whole || pieced, "blob {digest} is in the store");
    }
    txn.commit().expect("commit");
}
