//! Embeds the flow interpreter component, built from `guests/rust/flow` by
//! `make` into `target/guests/rust/flow.wasm`, so that every store has it
//! without an extra step. Built without it (plain `cargo build`), enact
//! says so when a flow command runs.

use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let built = Path::new(&manifest).join("../../target/guests/rust/flow.wasm");
    println!("cargo:rerun-if-changed={}", built.display());
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("flow.wasm");
    let bytes = std::fs::read(&built).unwrap_or_default();
    std::fs::write(&out, bytes).expect("OUT_DIR is writable");
}
