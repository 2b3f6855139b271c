#!/usr/bin/env bash
# The enact demo on the embedded store: add guests, invoke, show the call
# tree, replay exactly, rewind and replay with re-sampling, run flows and
# source code, serve the store over HTTP, search and compare executions.
# Run through `make demo`, which builds the guests and the release binary first.
set -euo pipefail
cd "$(dirname "$0")"

enact=target/release/enact
export ENACT_HOME="$PWD/target/demo-home"
rm -rf "$ENACT_HOME"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }
run() { step "${@/#$enact/enact}"; "$@"; }
invocation_of() { sed -E 's/.*"invocation":"([^"]+)".*/\1/'; }

for guest in dice clock roll-die roll-sum; do
  run $enact add target/guests/rust/$guest.wasm --name $guest
done

# Record: every random number the guest draws is journaled.
step "enact invoke dice --config '{\"sides\":6}' --input '{\"n\":3}' --json"
out=$($enact invoke dice --config '{"sides":6}' --input '{"n":3}' --json)
echo "$out"
dice=$(echo "$out" | invocation_of)
run $enact show "$dice" --events
# Replay: the same output from the journal, with no new random numbers.
run $enact replay "$dice"

# The clock guest reads the time through Rust std, so through journaled WASI.
step "enact invoke clock --json"
out=$($enact invoke clock --json)
echo "$out"
clock=$(echo "$out" | invocation_of)
run $enact show "$clock" --events
run $enact replay "$clock"

# A tree: roll-sum invokes roll-die once per die; each roll is a child invocation.
step "enact invoke roll-sum --input '{\"n\":3}' --json"
out=$($enact invoke roll-sum --input '{"n":3}' --json)
echo "$out"
sum=$(echo "$out" | invocation_of)
run $enact show "$sum"

# Rewind the last roll, then replay: the first two rolls are reused, the third re-rolled.
step "enact rewind $sum 1"
rewound=$($enact rewind "$sum" 1)
echo "$rewound"
run $enact show "$rewound"
step "enact replay $rewound --json"
out=$($enact replay "$rewound" --json)
echo "$out"
run $enact show "$(echo "$out" | invocation_of)"

# What if the second roll had been a 6?
step "enact replay $sum --override '1=6' --json"
out=$($enact replay "$sum" --override '1=6' --json)
echo "$out"
run $enact show "$(echo "$out" | invocation_of)"

# A person as a journaled source: ask-dice suspends for input (exit 3), resume answers.
run $enact add target/guests/rust/ask-dice.wasm --name ask-dice
step "enact invoke ask-dice --json"
out=$($enact invoke ask-dice --json) || true
echo "$out"
asked=$(echo "$out" | invocation_of)
step "enact resume $asked --answer 2 --json"
out=$($enact resume "$asked" --answer 2 --json) || true
echo "$out"
answers="$ENACT_HOME/answers.json"
echo '[5, 6]' > "$answers"
step "enact resume $(echo "$out" | invocation_of) --answers $answers"
$enact resume "$(echo "$out" | invocation_of)" --answers "$answers"

# Python's own random module, seeded through WASI: journaled and replayed too.
run $enact add target/guests/python/dice.wasm --name py-dice
step "enact invoke py-dice --input '{\"n\":3}' --json"
out=$($enact invoke py-dice --input '{"n":3}' --json)
echo "$out"
run $enact replay "$(echo "$out" | invocation_of)"

# Time is journaled too: a live run sleeps for real, its replay serves the
# recorded timer readings and does not wait. A run stopped by the wall-time
# limit replays to the same point.
run $enact add target/guests/rust/timers.wasm --name timers
step "enact invoke timers --input '{\"sleep_ms\":1000}' --json"
started=$(date +%s%N)
out=$($enact invoke timers --input '{"sleep_ms":1000}' --json)
echo "$out"
echo "(live run: $(( ($(date +%s%N) - started) / 1000000 )) ms)" >&2
timers=$(echo "$out" | invocation_of)
started=$(date +%s%N)
run $enact replay "$timers"
echo "(replay: $(( ($(date +%s%N) - started) / 1000000 )) ms)" >&2
step "enact invoke dice --input '{\"n\":10000000}' --timeout 300ms --json"
out=$($enact invoke dice --input '{"n":10000000}' --timeout 300ms --json) || true
echo "$out"
run $enact replay "$(echo "$out" | invocation_of)" || true

# Any language in one tree: a Python roll-sum calling the Rust roll-die.
run $enact add target/guests/python/roll-sum.wasm --name py-roll-sum
step "enact invoke py-roll-sum --config '{\"die\":\"roll-die\"}' --input '{\"n\":3}' --json"
out=$($enact invoke py-roll-sum --config '{"die":"roll-die"}' --input '{"n":3}' --json)
echo "$out"
pysum=$(echo "$out" | invocation_of)
run $enact show "$pysum"
run $enact replay "$pysum"

# Sharing by hash: one bundle holds the invocations and the components they ran;
# another home imports it (verifying every hash) and replays it identically.
bundle="$ENACT_HOME/../demo.bundle"
run $enact export "$pysum" "$sum" -o "$bundle"
other="$ENACT_HOME/../demo-elsewhere"
rm -rf "$other"
run $enact --home "$other" import "$bundle"
run $enact --home "$other" replay "$pysum"

# Flows: a state machine in a TOML file, run as one invocation of the flow
# interpreter; each step is marked in the journal with the state after it.
flows=examples/flows
run $enact flow run $flows/counter.toml --json
run $enact flow steps last
run $enact replay last
run $enact flow graph $flows/chatbot.toml --format mermaid
# Burr's chatbot with a canned model, then a fork after step 2 with another
# mode: steps 0-2 come from the journal, the model is asked only after them.
run $enact flow run $flows/chatbot.toml --llm scripted:$flows/chatbot.llm.json --answers '["Write a poem about replay", "bye"]'
run $enact flow steps last
run $enact flow fork last --step 2 --set mode=question --llm scripted:$flows/chatbot.llm.json --answers '["bye"]'
# Genie Flow's Q&A with name capture, driven turn by turn as a session.
run $enact session start $flows/qa_capture.toml --name ada || true
run $enact session send ada 'hello there' --llm scripted:$flows/qa_capture.llm.json || true
run $enact session send ada 'I am Ada' --llm scripted:$flows/qa_capture.llm.json || true
run $enact session show ada
# Map/reduce: one child run of a sub-flow per document, then one more completion.
run $enact flow run $flows/map_reduce.toml --llm scripted:$flows/map_reduce.llm.json
run $enact show last

# Source code, as a model might write it, run on the python and javascript
# runners; a program that asks a model for code runs what it wrote as a child,
# and overriding the model's answer runs other code.
run $enact run examples/code/hello.js --input '{"name": "Ada"}'
run $enact run examples/code/squares.py --input 7 --llm scripted:examples/code/squares.llm.json
run $enact show last --events
run $enact replay last
run $enact replay last --override '1="def main(input):\n    return input + 1\n"'

# The store over HTTP: `enact serve` holds the store and serves the API and
# the web UI (open its address in a browser); meanwhile the CLI on the same
# home runs its commands through it. A run that asks waits live in the inbox.
step "enact serve --addr 127.0.0.1:0 --json &"
$enact serve --addr 127.0.0.1:0 --json > "$ENACT_HOME/serve.out" 2>/dev/null &
served=$!
until grep -q url "$ENACT_HOME/serve.out" 2>/dev/null; do sleep 0.05; done
cat "$ENACT_HOME/serve.out"
url=$(sed -E 's/.*"url":"([^"]+)".*/\1/' "$ENACT_HOME/serve.out")
run $enact invoke dice --input '{"n":2}'
step "curl -s '$url/api/v1/invocations?name=dice&limit=2'"
curl -s "$url/api/v1/invocations?name=dice&limit=2"; echo
step "curl -s -X POST $url/api/v1/invocations -H 'content-type: application/json' -d '{\"component\":\"ask-dice\"}'"
out=$(curl -s -X POST "$url/api/v1/invocations" -H 'content-type: application/json' -d '{"component":"ask-dice"}')
echo "$out"
job=$(echo "$out" | sed -E 's/.*"job":([0-9]+).*/\1/')
step "curl -s $url/api/v1/inbox"
curl -s "$url/api/v1/inbox"; echo
for answer in 2 5 6; do
  step "curl -s -X POST $url/api/v1/inbox/job-$job/answer -H 'content-type: application/json' -d '{\"answer\":$answer}'"
  curl -s -X POST "$url/api/v1/inbox/job-$job/answer" -H 'content-type: application/json' -d "{\"answer\":$answer}"; echo
done
kill -TERM "$served"
wait "$served"

# Executions as data: search the tree of a program's executions for the best
# run (each rollout forks a stored run before one of its random draws), see
# where a fork parted from its parent, check an upgrade against every stored
# run, and turn LLM exchanges into a fine-tuning dataset.
run $enact add target/guests/rust/digits.wasm --name digits
step "ENACT_SEED=1 enact explore digits --config '{\"digits\":5,\"work\":300}' --score /score --budget 200"
ENACT_SEED=1 $enact explore digits --config '{"digits":5,"work":300}' --score /score --budget 200
run $enact diff last || true
run $enact add target/guests/rust/roll-sum-v2.wasm --name roll-sum-v2
run $enact check roll-sum-v2 --against roll-sum || true
run $enact expect roll-sum --name three-dice
run $enact expect run
run $enact add target/guests/rust/chat.wasm --name chat
echo '["Hello!", "Four."]' > "$ENACT_HOME/script.json"
echo '["hi there", "what is 2+2?", "stop"]' > "$ENACT_HOME/chat-answers.json"
run $enact invoke chat --llm "scripted:$ENACT_HOME/script.json" --answers "$ENACT_HOME/chat-answers.json"
run $enact annotate chat --event 3 --label right --score 1
run $enact dataset export --component chat --format chat-jsonl

run $enact ls invocations

# The store keeps everything until told otherwise: rm takes a tree out, gc
# frees what nothing needs any more, and verify finds the store sound.
run $enact rm "$pysum"
run $enact gc
run $enact verify

# A project of one's own, outside this repository: `enact new` writes the app,
# the kit, the WIT world and build.sh (here C, with the tools `make setup` installed).
project=target/demo-greet
rm -rf "$project"
run $enact new "$project" --lang c --name greet
step "sh $project/build.sh"
WIT_BINDGEN="$PWD/target/tools/bin/wit-bindgen" WASM_TOOLS="$PWD/target/tools/py/bin/wasm-tools" sh "$project/build.sh"
run $enact add "$project/greet.wasm"
run $enact invoke greet --input '{"name":"Ada"}'
