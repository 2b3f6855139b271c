//! `hello`: a plain WASI program with `main`, as `cargo build --target
//! wasm32-wasip2` makes one. It greets the name on its stdin with its
//! arguments and a random number (from WASI random, which enact journals),
//! and exits with the code its `EXIT` variable names.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;

fn main() {
    let mut name = String::new();
    let _ = std::io::stdin().read_to_string(&mut name);
    let args: Vec<String> = std::env::args().skip(1).collect();
    // RandomState is seeded from the platform's random source: WASI's.
    let lucky = RandomState::new().build_hasher().finish() % 100;
    println!("hello, {}! args {args:?}, lucky {lucky}", name.trim());
    eprintln!("greeted");
    let code = std::env::var("EXIT").ok().and_then(|c| c.parse().ok()).unwrap_or(0);
    std::process::exit(code);
}
