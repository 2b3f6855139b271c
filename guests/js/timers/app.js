// timers: waits the ways JavaScript programs do, through WASI timers that
// enact journals: two setTimeout callbacks (the shorter fires first), then an
// await on a timer promise. `run` is async; the event loop runs until it
// settles. Input {"sleep_ms": S} (default 20). A replay serves the recorded
// timer readings and does not wait. It also draws 16 random bytes (one
// journal event) and tries `fetch`, which throws: a guest has no network.

import { invokable } from "../kit/enact.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const { describe, call } = invokable({
  name: "timers",
  doc: "setTimeout ordering and an awaited timer, through journaled WASI timers",
  inputSchema: { type: "object", properties: { sleep_ms: { type: "integer", minimum: 0 } } },
  async run(config, input) {
    const ms = input.sleep_ms ?? 20;
    const order = [];
    const both = new Promise((resolve) => {
      setTimeout(() => {
        order.push("slow");
        resolve();
      }, 2 * ms);
      setTimeout(() => order.push("fast"), ms / 2);
    });
    await both;
    const start = performance.now();
    await sleep(ms);
    let fetched;
    try {
      await fetch("http://127.0.0.1/");
      fetched = "fetched";
    } catch (e) {
      fetched = String(e);
    }
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const random = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return { order, slept_ms: performance.now() - start, fetch: fetched, random };
  },
});
