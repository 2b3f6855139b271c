#!/usr/bin/env bash
# The enact demo: add a guest, invoke it, show the call tree, replay it exactly.
# Run through `make demo`, which builds the guests and the release binary first.
set -euo pipefail
cd "$(dirname "$0")"

enact=target/release/enact
export ENACT_HOME="$PWD/target/demo-home"
rm -rf "$ENACT_HOME"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "$@"; "$@"; }

run $enact add target/guests/rust/dice.wasm --name dice
run $enact add target/guests/rust/clock.wasm --name clock

step "enact invoke dice --config '{\"sides\":6}' --input '{\"n\":3}' --json"
out=$($enact invoke dice --config '{"sides":6}' --input '{"n":3}' --json)
echo "$out"
inv=$(echo "$out" | sed -E 's/.*"invocation":"([^"]+)".*/\1/')

run $enact show "$inv" --events
run $enact replay "$inv"

step "enact invoke clock --json"
out=$($enact invoke clock --json)
echo "$out"
clock=$(echo "$out" | sed -E 's/.*"invocation":"([^"]+)".*/\1/')
run $enact show "$clock" --events
run $enact replay "$clock"

run $enact ls invocations
