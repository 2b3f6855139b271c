# The single entry point: `make demo`, `make build`, `make test`, `make bench`.
# Each target installs what it needs first (wasm targets), then builds from source.

PYTHON_GUESTS := dice
JS_GUESTS     := dice
# pip puts the componentize-py script beside the interpreter's other scripts.
COMPONENTIZE_PY = $(shell python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/componentize-py
RUST_GUESTS := dice clock echo roll-die roll-sum fail catch nest ask-dice chat probe ask-twice
GUEST_DIR   := target/guests
CARGO       ?= cargo
ENACT       := target/release/enact

.PHONY: demo build test bench guests setup clean-demo

setup:
	rustup target add wasm32-wasip2 wasm32-unknown-unknown
	rustup component add clippy rustfmt
	python3 -m pip install --quiet --disable-pip-version-check componentize-py==0.25.1
	cd guests/js && npm install --no-audit --no-fund --silent

guests: setup
	cd guests && $(CARGO) build --target wasm32-wasip2 --release --target-dir ../target/guests-build
	mkdir -p $(GUEST_DIR)/rust
	for g in $(RUST_GUESTS); do cp target/guests-build/wasm32-wasip2/release/$$(echo $$g | tr - _).wasm $(GUEST_DIR)/rust/$$g.wasm; done
	mkdir -p $(GUEST_DIR)/python
	for g in $(PYTHON_GUESTS); do \
	  [ $(GUEST_DIR)/python/$$g.wasm -nt guests/python/$$g/app.py ] || \
	  $(COMPONENTIZE_PY) -d wit -w invokable componentize app -p guests/python/$$g -o $(GUEST_DIR)/python/$$g.wasm; \
	done
	mkdir -p $(GUEST_DIR)/js
	for g in $(JS_GUESTS); do \
	  [ $(GUEST_DIR)/js/$$g.wasm -nt guests/js/$$g/app.js ] || \
	  guests/js/node_modules/.bin/componentize-js guests/js/$$g/app.js --wit wit -n invokable \
	    -d http fetch-event -o $(GUEST_DIR)/js/$$g.wasm; \
	done

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
