//! `probe`: tries to reach outside the sandbox through Rust std (so through
//! WASI) and reports what it got: files, sockets, environment, arguments,
//! stdin, and clocks and random numbers (which must come from the journal).

use std::io::Read;

use enact_guest::{Error, Guest, Metadata};
use serde_json::json;

struct Probe;

fn outcome<T: std::fmt::Debug>(r: std::io::Result<T>) -> serde_json::Value {
    match r {
        Ok(v) => json!({ "ok": format!("{v:?}") }),
        Err(e) => json!({ "denied": e.to_string() }),
    }
}

impl Guest for Probe {
    fn describe() -> Metadata {
        enact_guest::metadata("probe", "reports which ambient authority it can reach")
    }

    fn call(config: String, _input: String) -> Result<String, Error> {
        let config: serde_json::Value = enact_guest::parse("config", &config)?;
        if let Some(path) = config["read"].as_str() {
            // Read a granted file; with `write`, first write it (to the guest's copy).
            let written = config["write"].as_str().map(|text| outcome(std::fs::write(path, text)));
            return enact_guest::output(&json!({ "written": written, "file": outcome(std::fs::read_to_string(path)) }));
        }
        let mut stdin = String::new();
        let stdin_read = std::io::stdin().read_to_string(&mut stdin).map(|n| (n, stdin.clone()));
        let mut random = [0u8; 8];
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        seeded_random(&mut random);
        enact_guest::output(&json!({
            "read_file": outcome(std::fs::read_to_string("/etc/passwd")),
            "list_root": outcome(std::fs::read_dir("/").map(|d| d.count())),
            "write_file": outcome(std::fs::write("/tmp/enact-probe", b"x")),
            "connect": outcome(std::net::TcpStream::connect("127.0.0.1:22")),
            "resolve": outcome(std::net::ToSocketAddrs::to_socket_addrs("localhost:80").map(|a| a.count())),
            "env": std::env::vars().collect::<Vec<_>>(),
            "args": std::env::args().collect::<Vec<_>>(),
            "stdin": outcome(stdin_read),
            "now_ns": now.to_string(),
            "random": random.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        }))
    }
}

/// Bytes that depend on std's hash-map keys, which std seeds from WASI.
fn seeded_random(out: &mut [u8; 8]) {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    *out = h.finish().to_le_bytes();
}

enact_guest::export!(Probe);
