"""Times `enact invoke roll-sum --input '{"n":N}'` as a whole process for two
builds of enact, alternating them run by run so that both see the same
moments of a noisy machine; each build has its own fresh home with its own
`roll-die` and `roll-sum` guests.

    python3 runtime/cli/benches/alternate.py ROUNDS N \\
        OLD_ENACT OLD_ROLL_DIE OLD_ROLL_SUM NEW_ENACT NEW_ROLL_DIE NEW_ROLL_SUM

The whole-process target of the performance work was set against commit
46a5d59 (69 ms on the day it was set). To compare with it, build that commit
and its guests apart from this tree, for instance:

    git worktree add /tmp/old 46a5d59 && cd /tmp/old
    CARGO_TARGET_DIR=/tmp/old-target cargo build --release -p enact
    cd guests && CARGO_TARGET_DIR=/tmp/old-target \\
        cargo build --target wasm32-wasip2 --release -p roll-die -p roll-sum

It prints each build's spread and the ratio of their times, per round and
of their medians."""

import os
import statistics
import subprocess
import sys
import tempfile
import time


def quantile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main():
    if len(sys.argv) != 9:
        sys.exit(__doc__)
    rounds, n = int(sys.argv[1]), int(sys.argv[2])
    builds = {"old": sys.argv[3:6], "new": sys.argv[6:9]}
    invoke = ["invoke", "roll-sum", "--input", f'{{"n":{n}}}']
    homes = {name: tempfile.TemporaryDirectory(prefix=f"enact-{name}-") for name in builds}
    envs = {}
    for name, (enact, roll_die, roll_sum) in builds.items():
        env = dict(os.environ, ENACT_HOME=homes[name].name)
        for path, as_name in ((roll_die, "roll-die"), (roll_sum, "roll-sum")):
            subprocess.run([enact, "add", path, "--name", as_name], env=env, check=True, capture_output=True)
        # The first run maps the compiled code into the page cache.
        subprocess.run([enact, *invoke], env=env, check=True, capture_output=True)
        envs[name] = env
    times = {"old": [], "new": []}
    for round_ in range(rounds):
        for name in ("old", "new") if round_ % 2 == 0 else ("new", "old"):
            start = time.perf_counter()
            subprocess.run([builds[name][0], *invoke], env=envs[name], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[name].append((time.perf_counter() - start) * 1e3)
    for home in homes.values():
        home.cleanup()
    for name, ms in times.items():
        print(f"{name}: min {min(ms):.1f}, p25 {quantile(ms, 0.25):.1f}, median {statistics.median(ms):.1f}, "
              f"p75 {quantile(ms, 0.75):.1f} ms ({len(ms)} runs)")
    ratios = [old / new for old, new in zip(times["old"], times["new"])]
    print(f"old/new per round: median {statistics.median(ratios):.2f} "
          f"(p25 {quantile(ratios, 0.25):.2f}, p75 {quantile(ratios, 0.75):.2f}); "
          f"of the medians {statistics.median(times['old']) / statistics.median(times['new']):.2f}; "
          f"of the minima {min(times['old']) / min(times['new']):.2f}")


main()
