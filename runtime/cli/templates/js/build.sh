#!/bin/sh
# Builds @NAME@.wasm here. Needs Node.js and `npm install` (componentize-js).
set -eu
cd "$(dirname "$0")"
${COMPONENTIZE_JS:-./node_modules/.bin/componentize-js} app.js --wit wit -n invokable -d http fetch-event -o @NAME@.wasm
echo "built $(pwd)/@NAME@.wasm"
