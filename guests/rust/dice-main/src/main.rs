//! `dice-main`: the `dice` scenario as a plain WASI program. Rolls the
//! number of dice its first argument names (default 3) with std's random
//! source (WASI random, which enact journals) and prints them as JSON.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    // Each RandomState is seeded anew from the platform's random source.
    let rolls: Vec<u64> = (0..n).map(|_| RandomState::new().build_hasher().finish() % 6 + 1).collect();
    let sum: u64 = rolls.iter().sum();
    let list: Vec<String> = rolls.iter().map(u64::to_string).collect();
    println!("{{\"rolls\":[{}],\"sum\":{sum}}}", list.join(","));
}
