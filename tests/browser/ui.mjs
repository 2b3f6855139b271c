// The web UI of `enact serve`, driven in Debian's Chromium by
// playwright-core: what a newcomer does in the demo, in the browser.
//
//   node ui.mjs URL GUESTS SCREENSHOTS
//
// URL is a running server (started by tests/all/serve.rs in the
// repository's root, with the chatbot's scripted LLM), GUESTS the built
// guests' directory, SCREENSHOTS where the pictures go. Exits non-zero on
// the first failed check, saying which.
import assert from "node:assert/strict";
import path from "node:path";
import { chromium } from "playwright-core";

const [url, guests, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const problems = [];
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
const shot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
const text = async (selector) => (await page.locator(selector).first().textContent()) ?? "";
let prompted = [];
page.on("dialog", (d) => d.accept(prompted.shift() ?? ""));

async function step(name, f) {
  try {
    await f();
    console.log(`ok   ${name}`);
  } catch (e) {
    await shot(`failed-${name.replace(/\W+/g, "-")}`).catch(() => {});
    console.error(`FAIL ${name}: ${e.stack || e}`);
    await browser.close();
    process.exit(1);
  }
}

await step("add a component from the components page", async () => {
  await page.goto(`${url}/#/components`);
  await page.setInputFiles("#upload", path.join(guests, "rust", "dice.wasm"));
  await page.fill("#upload-name", "dice");
  await page.click("#add");
  await page.waitForSelector("#run-form");
  assert.match(await text("h1"), /dice/);
});

await step("run it from the form its input schema makes", async () => {
  // dice's input schema: {n: integer}; its config schema: {sides: integer}.
  await page.fill("[name='input.n']", "3");
  await page.fill("[name='config.sides']", "6");
  await page.click("#run");
  await page.waitForSelector("#tree .node .body table.events");
  assert.match(await text("h1"), /completed/);
  const output = JSON.parse(await text("#tree pre.output"));
  assert.equal(output.rolls.length, 3);
  assert.equal(output.sum, output.rolls.reduce((a, b) => a + b, 0));
  // A random draw is a 64-bit integer: the page shows the journal's digits, not a rounded double.
  const id = page.url().split("/").pop();
  const raw = await (await fetch(`${url}/api/v1/invocations/${id}?events=true`)).text();
  const drawn = raw.match(/"response":([0-9]+)/)[1];
  assert.equal(await text("#tree tr[data-event='0'] td:nth-child(3)"), drawn);
  // Each node says how long it ran.
  assert.match(await text("#tree .node .head .took"), /^took [0-9.]+ (µs|ms|s)$/);
  await shot("tree");
});

await step("rewind at an event and replay: it goes on live", async () => {
  const before = page.url();
  // Rewind past the last roll (event #2 of three), then replay.
  await page.locator("tr[data-event='2'] button.rewind").click();
  await page.waitForFunction((b) => location.href !== b, before);
  // The new page, not the one it replaced: its title says incomplete.
  await page.waitForFunction(() => /incomplete/.test(document.querySelector("h1")?.textContent ?? ""));
  await page.waitForSelector("#tree .node .body table.events");
  assert.equal(await page.locator("#tree table.events tr[data-event]").count(), 2);
  await page.click("#replay");
  await page.waitForSelector("#action-result a");
  assert.match(await text("#action-result"), /completed/);
  const rewound = page.url();
  await page.click("#action-result a");
  await page.waitForFunction((b) => location.href !== b, rewound);
  await page.waitForSelector("#tree table.events tr[data-event='2']");
  assert.equal(await page.locator("#tree table.events tr[data-event]").count(), 3);
});

await step("replay an invocation identically", async () => {
  await page.click("#replay");
  await page.waitForSelector("#action-result p");
  assert.match(await text("#action-result"), /replayed identically/);
});

await step("diff two invocations' journals", async () => {
  const rows = await page.evaluate(async () => (await fetch("/api/v1/invocations?name=dice")).json());
  const here = decodeURIComponent(new URL(page.url()).hash.split("/").pop());
  const other = rows.find((r) => r.id !== here && r.status === "completed");
  await page.fill("#diff-with", other.id);
  await page.click("#diff");
  await page.waitForSelector("#diff-result .card");
  assert.match(await text("#diff-result"), /first divergent event: #2|identical/);
});

await step("answer a pending input from the inbox", async () => {
  await page.goto(`${url}/#/components`);
  await page.setInputFiles("#upload", path.join(guests, "rust", "ask-dice.wasm"));
  await page.fill("#upload-name", "ask-dice");
  await page.click("#add");
  await page.waitForSelector("#run");
  await page.click("#run");
  await page.waitForSelector("#run-result a[href='#/inbox']");
  await page.click("#run-result a[href='#/inbox']");
  await page.waitForSelector(".inbox-item");
  assert.match(await text(".inbox-item .prompt"), /How many dice\?/);
  await shot("inbox");
  await page.fill(".inbox-item input[type=number]", "1");
  await page.click(".inbox-item button.answer");
  // The run gets the answer live and asks for the roll next.
  await page.waitForFunction(() => [...document.querySelectorAll(".inbox-item .prompt")].some((p) => /Roll die 1 of 1/.test(p.textContent)));
  await page.fill(".inbox-item input[type=number]", "4");
  await page.click(".inbox-item button.answer");
  await page.waitForSelector(".inbox-item a");
  assert.match(await text(".inbox-item"), /done/);
  await page.click(".inbox-item a");
  await page.waitForSelector("#tree pre.output");
  assert.equal(JSON.parse(await text("#tree pre.output")), 4);
});

await step("chat three turns with a dialogue flow", async () => {
  await page.goto(`${url}/#/sessions`);
  await page.fill("#session-file", "examples/flows/chatbot.toml");
  await page.fill("#session-name", "chat");
  await page.click("#session-start");
  await page.waitForSelector("#chat .bubble.asks");
  assert.match(await text("#chat .bubble.asks"), /What would you like to do\?/);
  const said = ["write a poem about rivers", "what is replay?", "one more poem"];
  for (const [i, line] of said.entries()) {
    await page.fill("#say", line);
    await page.click("#send");
    await page.waitForFunction((n) => document.querySelectorAll("#chat .bubble.user").length === n && document.querySelector("#chat .bubble.asks") && !document.querySelector("#say").disabled, i + 1);
  }
  const bubbles = await page.locator("#chat .bubble.assistant").allTextContents();
  // The scripted model takes every request for a poem.
  assert.equal(bubbles.filter((b) => /Every run a river/.test(b)).length, 3, bubbles.join(" | "));
  assert.equal(await page.locator("#chat .bubble.user").count(), 3);
  await shot("chat");
});

await step("a flow run: the graph, the step table, a fork from a step", async () => {
  const job = await page.evaluate(async () => (await fetch("/api/v1/flows", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ file: "examples/flows/counter.toml" }) })).json());
  await page.goto(`${url}/#/invocation/${job.invocation.invocation}`);
  await page.waitForSelector("#steps tr[data-seq]");
  assert.equal(await page.locator("#graph g.current").count(), 1);
  assert.equal(await page.locator("#steps tr[data-seq]").count(), 11);
  await shot("flow");
  prompted = ['{"count": 100}'];
  await page.locator("#steps tr[data-seq='2'] button.fork").click();
  await page.waitForFunction((id) => !location.hash.includes(id), job.invocation.invocation);
  // The fork's own step table, not the one it replaced.
  await page.waitForFunction(() => [...document.querySelectorAll("#steps tr[data-seq] td:nth-child(3)")].some((td) => /"count":100/.test(td.textContent)));
  const counts = await page.locator("#steps tr[data-seq] td:nth-child(3)").allTextContents();
  assert.ok(counts.some((c) => /"count":100/.test(c)) && counts.some((c) => /counted to 100/.test(c)), counts.join(" | "));
});

await step("the pages raised no errors", async () => {
  assert.deepEqual(problems, []);
});

await browser.close();
