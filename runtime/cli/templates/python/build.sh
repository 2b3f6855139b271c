#!/bin/sh
# Builds @NAME@.wasm here. Needs `pip install componentize-py==0.25.1`.
set -eu
cd "$(dirname "$0")"
"${COMPONENTIZE_PY:-componentize-py}" -d wit -w invokable componentize app -p . -o @NAME@.wasm
echo "built $(pwd)/@NAME@.wasm"
