//! Tiny adversarial guests written in WAT and turned into components of the
//! enact:runtime/invokable world with `wit-component`.

use std::path::Path;

/// A component whose `call` runs `body` (WAT instructions), then returns the
/// output `null`. `$next_u64` imports `random.next-u64`; `$t` is a table;
/// memory starts at 17 pages.
pub fn component(body: &str) -> Vec<u8> {
    component_with("", body)
}

/// Like [`component`], with `describe` running `describe_body` first.
pub fn component_with(describe_body: &str, body: &str) -> Vec<u8> {
    let wat = format!(
        r#"(module
  (import "enact:runtime/random@0.1.0" "next-u64" (func $next_u64 (result i64)))
  (memory (export "memory") 17)
  (table $t 1 funcref)
  (global $heap (mut i32) (i32.const 8192))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (data (i32.const 1024) "fixture")
  (data (i32.const 1100) "null")
  (data (i32.const 2048) "\00\04\00\00\07\00\00\00\00\04\00\00\00\00\00\00")
  (func (export "describe") (result i32) {describe_body} (i32.const 2048))
  (func $recurse (call $recurse))
  (func (export "call") (param i32 i32 i32 i32) (result i32)
    {body}
    (i32.store8 (i32.const 3072) (i32.const 0))
    (i32.store (i32.const 3076) (i32.const 1100))
    (i32.store (i32.const 3080) (i32.const 4))
    (i32.const 3072)))"#
    );
    let mut module = wat::parse_str(&wat).expect("valid WAT");
    let mut resolve = wit_parser::Resolve::default();
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit");
    let (package, _) = resolve.push_path(&wit).expect("the WIT package parses");
    let world = resolve.select_world(&[package], Some("invokable")).expect("the world");
    wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8)
        .expect("metadata embeds");
    wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .expect("a module")
        .encode()
        .expect("a component")
}
