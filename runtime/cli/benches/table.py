"""Prints `make bench`'s table: criterion's medians (target/criterion) as
the rows and targets of the README's performance section, each next to the
bare-wasmtime baseline where there is one, then what is measured by running
the release binary (peak memory, bytes per event and per child)."""

import json
import os
import resource
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
CRITERION = os.path.join(ROOT, "target", "criterion")
ENACT = os.path.join(ROOT, "target", "release", "enact")


def median_ns(group, bench=None):
    """criterion's median estimate of one iteration, in nanoseconds."""
    path = os.path.join(CRITERION, group, *([bench] if bench else []), "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def enact(home, *args):
    out = subprocess.run([ENACT, *args], env={**os.environ, "ENACT_HOME": home}, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"enact {' '.join(args)} failed: {out.stderr}")
    return out.stdout


def bundle_bytes(home, target_args):
    """The size of a bundle of the invocation `target_args` makes."""
    inv = json.loads(enact(home, "invoke", *target_args, "--json"))["invocation"]
    path = os.path.join(home, "b.bundle")
    enact(home, "export", inv, "-o", path)
    return os.path.getsize(path)


def main():
    rows = []
    bare_echo = median_ns("bare wasmtime", "instantiate + call echo")
    bare_die = median_ns("bare wasmtime", "instantiate + call roll-die")
    random = median_ns("journaled random call", "dice n=100000") / 100_000
    rows.append(("journaled random call", f"{random / 1000:.2f} µs", "≤ 0.3 µs"))
    child = median_ns("child invocation", "roll-sum n=1000") / 1000
    rows.append(("child invocation (roll-sum n=1000)", f"{child / 1000:.1f} µs, {child / bare_die:.1f}× bare "
                 f"({bare_die / 1000:.1f} µs)", "≤ 20 µs, ≤ 2×"))
    big = median_ns("child invocation, store of 100,000", "roll-sum n=1000") / 1000
    rows.append(("child invocation, on a store of 100,000 invocations", f"{big / 1000:.1f} µs", "≤ 20 µs"))
    echo = median_ns("invoke echo (in process)")
    rows.append(("invoke echo in process, sealed durably", f"{echo / 1000:.0f} µs, {echo / bare_echo:.0f}× bare "
                 f"({bare_echo / 1000:.1f} µs)", "≤ 1.5× bare"))
    python = median_ns("invoke py-dice (in process)")
    rows.append(("invoke the Python dice in a warm runtime", f"{python / 1e6:.2f} ms", "≤ 2 ms"))
    replay = median_ns("replay", "dice n=100000")
    rows.append(("replay of 100,000 events", f"{100_000 / (replay / 1e9) / 1e6:.1f} M events/s", "≥ 5 M events/s"))
    rewind = median_ns("rewind", "rewind(1) + replay of roll-sum n=1000")
    rows.append(("rewind(1) + replay of roll-sum n=1000", f"{rewind / 1e6:.1f} ms", "≤ 3 ms"))
    answers = median_ns("input", "100 answers in one session")
    rows.append(("100 answers in one session", f"{answers / 1e6:.1f} ms", "≤ 5 ms"))
    for n in [1000, 10000]:
        step = median_ns("flow counter", f"n={n}") / n
        rows.append((f"flow step, Burr's counter n={n}, persisted", f"{step / 1000:.1f} µs",
                     "≤ 5 µs (Burr 0.43: 27–57 µs in memory, 1.4 ms to SQLite)"))
    snippet = median_ns("run source", "python snippet (in process)")
    rows.append(("a Python snippet on the `python` runner, warm runtime, sealed", f"{snippet / 1e6:.2f} ms", ""))
    child = median_ns("run source", "python snippet as a child (100 in a tree)") / 100
    rows.append(("the same snippet as a child (100 in one tree), each", f"{child / 1e6:.2f} ms", "≤ 1 ms"))
    agent = median_ns("code agent, 3 attempts (in process)")
    rows.append(("the code agent's retry loop, 3 attempts (scripted model)", f"{agent / 1e6:.1f} ms", ""))
    process = median_ns("run source", "enact run t.py (process)")
    rows.append(("`enact run t.py`, whole process", f"{process / 1e6:.1f} ms", "≤ 50 ms"))
    for name, target in [("enact invoke echo", ""), ("enact invoke py-dice", "≤ 50 ms"),
                         ("enact invoke roll-sum n=1000", "< 23 ms: a third of build 46a5d59 (see alternate.py)")]:
        rows.append((f"`{name}`, whole process", f"{median_ns('process', name) / 1e6:.1f} ms", target))

    with tempfile.TemporaryDirectory() as home:
        for guest in ["dice", "roll-die", "roll-sum"]:
            enact(home, "add", os.path.join(ROOT, "target", "guests", "rust", f"{guest}.wasm"))
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        enact(home, "invoke", "roll-sum", "--input", '{"n":100000}')
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rows.append(("peak memory of `enact invoke roll-sum` n=100000", f"{max(peak, before) / 1024:.0f} MiB", ""))
        per_event = (bundle_bytes(home, ["dice", "--input", '{"n":100000}'])
                     - bundle_bytes(home, ["dice", "--input", '{"n":0}'])) / 100_000
        rows.append(("bytes per random event (in a bundle)", f"{per_event:.1f}", ""))
        per_child = (bundle_bytes(home, ["roll-sum", "--input", '{"n":1000}'])
                     - bundle_bytes(home, ["roll-sum", "--input", '{"n":0}'])) / 1000
        rows.append(("bytes per child (in a bundle)", f"{per_child:.0f}", ""))
        # A fork at event 99,000 of a 100,000-event run (clock readings, one
        # draw, a small output): what it adds is its own record and the
        # journal chunks from the one holding event 99,000 on.
        enact(home, "add", os.path.join(ROOT, "target", "guests", "rust", "digits.wasm"))
        config = '{"digits":1,"work":100000}'
        run = json.loads(enact(home, "invoke", "digits", "--config", config, "--json"))["invocation"]
        fork = json.loads(enact(home, "replay", run, "--live-from", "99000", "--json"))["invocation"]
        alone, both = os.path.join(home, "one.bundle"), os.path.join(home, "two.bundle")
        enact(home, "export", run, "-o", alone)
        enact(home, "export", run, fork, "-o", both)
        added = os.path.getsize(both) - os.path.getsize(alone)
        per_clock = os.path.getsize(alone) / 100_001
        rows.append(("a fork at event 99,000 of a 100,000-event run adds", f"{added / 1024:.1f} KiB "
                     f"({added / per_clock:,.0f} events' worth)", "about 1,000 events"))

    width = [max(len(r[i]) for r in rows + [("workload", "measured", "target")]) for i in range(3)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, width)) + " |"
    print(line(("workload", "measured", "target")))
    print("|" + "|".join("-" * (w + 2) for w in width) + "|")
    for row in rows:
        print(line(row))


main()
