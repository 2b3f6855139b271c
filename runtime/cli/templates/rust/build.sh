#!/bin/sh
# Builds @NAME@.wasm here. Needs Rust and `rustup target add wasm32-wasip2`.
set -eu
cd "$(dirname "$0")"
cargo build --quiet --release --target wasm32-wasip2
cp "${CARGO_TARGET_DIR:-target}/wasm32-wasip2/release/@CRATE@.wasm" @NAME@.wasm
echo "built $(pwd)/@NAME@.wasm"
