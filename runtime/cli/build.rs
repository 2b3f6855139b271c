//! Embeds the components this binary carries, built from `guests/` by
//! `make` into `target/guests/`: the flow interpreter and the source runners
//! (`python`, `javascript`), so that every store has them without an extra
//! step. Built without them (a plain `cargo build`), enact says so when a
//! command needs one.

use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let guests = Path::new(&manifest).join("../../target/guests");
    for (built, embedded) in
        [("rust/flow.wasm", "flow.wasm"), ("python/runner.wasm", "python.wasm"), ("js/runner.wasm", "javascript.wasm")]
    {
        let built = guests.join(built);
        println!("cargo:rerun-if-changed={}", built.display());
        let bytes = std::fs::read(&built).unwrap_or_default();
        std::fs::write(Path::new(&out).join(embedded), bytes).expect("OUT_DIR is writable");
    }
}
