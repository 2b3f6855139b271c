// The enact web UI: pages routed by the URL's fragment, built from the
// API's JSON alone. No framework, nothing fetched from elsewhere.
"use strict";

// A token given as `#token=...` is kept for this tab and taken out of the URL.
const TOKEN_KEY = "enact-token";
if (location.hash.startsWith("#token=")) {
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(location.hash.slice(7)));
  history.replaceState(null, "", "#/components");
}
const token = () => sessionStorage.getItem(TOKEN_KEY);

// Random draws are 64-bit integers, beyond a double's 53 bits: they are
// parsed as BigInt and written back as the same digits, never rounded.
const parse = (text) =>
  JSON.parse(text, (key, value, context) =>
    typeof value === "number" && !Number.isSafeInteger(value) && context && /^-?[0-9]+$/.test(context.source)
      ? BigInt(context.source)
      : value);
const stringify = (value, space) =>
  JSON.stringify(value, (key, v) => (typeof v === "bigint" ? (JSON.rawJSON ? JSON.rawJSON(String(v)) : String(v)) : v), space);

async function api(method, path, body, raw) {
  const headers = {};
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const init = { method, headers };
  if (raw !== undefined) {
    init.body = raw;
    headers["Content-Type"] = "application/octet-stream";
  } else if (body !== undefined) {
    init.body = stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(`/api/v1${path}`, init);
  const value = await response.text().then(parse).catch(() => null);
  if (!response.ok && response.status !== 202) {
    const message = value && value.error ? value.error : `${response.status} ${response.statusText}`;
    throw new Error(value && value.hint ? `${message} (${value.hint})` : message);
  }
  return value;
}

// h("div", {class: "x", onclick: f}, child, "text", [more]) builds an element.
function h(tag, attrs, ...children) {
  const svg = ["svg", "g", "rect", "text", "line", "path", "defs", "marker", "title"].includes(tag);
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const short = (id) => (id || "").replace("sha256:", "").slice(0, 12);
const status = (s) => h("span", { class: `status ${s}` }, s);
const json = (v) => stringify(v, null, 2);
const clip = (text, n) => (text.length > n ? `${text.slice(0, n)}…` : text);
const main = () => document.getElementById("main");

function toast(text) {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.classList.add("shown");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove("shown"), 2500);
}

function show(...children) {
  main().replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

function failed(error) {
  show(h("div", { class: "card error", id: "error" }, String(error.message || error)));
}

// ---- forms from JSON Schemas ------------------------------------------

// Fields for a value of `schema`: one per property of an object schema,
// else one; `read()` gives the value typed in.
function schemaForm(schema, name) {
  schema = schema || {};
  if (schema.type === "object" && schema.properties && Object.keys(schema.properties).length) {
    const fields = Object.entries(schema.properties).map(([key, sub]) => ({ key, field: valueField(sub, `${name}.${key}`, key, (schema.required || []).includes(key)) }));
    return {
      el: h("div", {}, fields.map((f) => f.field.el)),
      read: () => {
        const out = {};
        for (const { key, field } of fields) {
          const value = field.read();
          if (value !== undefined) out[key] = value;
        }
        return out;
      },
    };
  }
  return valueField(schema, name, name, true);
}

function valueField(schema, id, label, required) {
  const type = schema.type;
  const title = h("label", { for: id }, label, required ? " *" : "", schema.description ? h("span", { class: "hint" }, ` ${schema.description}`) : null);
  const hint = [schema.minimum !== undefined ? `min ${schema.minimum}` : null, schema.maximum !== undefined ? `max ${schema.maximum}` : null].filter(Boolean).join(", ");
  let input;
  let read;
  if (type === "integer" || type === "number") {
    input = h("input", { id, name: id, type: "number", step: type === "integer" ? "1" : "any", min: schema.minimum, max: schema.maximum });
    read = () => (input.value === "" ? undefined : Number(input.value));
  } else if (type === "string" && !schema.enum) {
    input = h("input", { id, name: id, type: "text" });
    read = () => (input.value === "" && !required ? undefined : input.value);
  } else if (type === "boolean") {
    input = h("input", { id, name: id, type: "checkbox" });
    read = () => input.checked;
  } else if (schema.enum) {
    input = h("select", { id, name: id }, schema.enum.map((v) => h("option", { value: stringify(v) }, String(v))));
    read = () => parse(input.value);
  } else {
    input = h("textarea", { id, name: id, placeholder: "JSON" });
    read = () => {
      if (input.value.trim() === "") return undefined;
      try {
        return parse(input.value);
      } catch (e) {
        throw new Error(`${label}: not valid JSON (${e.message})`);
      }
    };
  }
  return { el: h("div", { class: "field" }, title, input, hint ? h("div", { class: "hint" }, hint) : null), read };
}

// ---- pages -------------------------------------------------------------

async function componentsPage() {
  const list = await api("GET", "/components");
  const file = h("input", { type: "file", id: "upload", accept: ".wasm" });
  const name = h("input", { type: "text", id: "upload-name", placeholder: "name (optional)" });
  const add = h("button", { id: "add", onclick: async () => {
    if (!file.files.length) return toast("choose a .wasm file first");
    try {
      const bytes = await file.files[0].arrayBuffer();
      const query = name.value ? `?name=${encodeURIComponent(name.value)}&force=true` : "";
      const added = await api("POST", `/components${query}`, undefined, bytes);
      toast(`added ${added.describes_itself_as} (${short(added.id)})`);
      location.hash = `#/component/${encodeURIComponent(name.value || added.id)}`;
    } catch (e) {
      toast(e.message);
    }
  } }, "Add");
  show(
    h("h1", {}, "Components"),
    h("div", { class: "card row" }, h("strong", {}, "Add a component"), file, name, add),
    list.length === 0 ? h("p", { class: "muted" }, "No components yet.") :
    h("table", { id: "components" },
      h("tr", {}, h("th", {}, "Name"), h("th", {}, "Id"), h("th", {}, "Describes itself as"), h("th", {}, "Size")),
      list.map((c) => h("tr", {},
        h("td", {}, h("a", { href: `#/component/${encodeURIComponent((c.names || [])[0] || c.id)}` }, (c.names || []).join(", ") || "—")),
        h("td", { class: "mono" }, c.short),
        h("td", {}, c.name),
        h("td", {}, `${Math.round(c.size / 1024)} KiB`)))),
  );
}

async function componentPage(target) {
  const info = await api("GET", `/components/${encodeURIComponent(target)}`);
  const input = schemaForm(info.input_schema, "input");
  const config = schemaForm(info.config_schema, "config");
  const result = h("div", { id: "run-result" });
  const run = h("button", { id: "run", onclick: async () => {
    run.disabled = true;
    try {
      const body = { component: target, input: input.read() ?? null };
      const cfg = config.read();
      if (cfg && Object.keys(cfg).length) body.config = cfg;
      const job = await api("POST", "/invocations", body);
      if (job.status === "done") location.hash = `#/invocation/${job.invocation.invocation}`;
      else if (job.status === "awaiting-input") {
        result.replaceChildren(h("p", {}, status("awaiting-input"), ` it asks: ${job.request.prompt} — `, h("a", { href: "#/inbox" }, "answer in the inbox")));
      } else result.replaceChildren(h("pre", {}, json(job)));
    } catch (e) {
      result.replaceChildren(h("p", { class: "error" }, e.message));
    } finally {
      run.disabled = false;
    }
  } }, "Run");
  show(
    h("h1", {}, info.name, " ", h("span", { class: "muted mono" }, short(info.component))),
    h("div", { class: "card" }, h("p", {}, info.doc || h("span", { class: "muted" }, "No description.")),
      h("p", { class: "hint" }, `world ${info.world} · ${info.pure ? "pure" : "uses " + (info.sources || []).join(", ")}`)),
    h("div", { class: "card", id: "run-form" }, h("h2", {}, "Run"),
      h("h2", {}, "Input"), input.el,
      info.config_schema ? [h("h2", {}, "Config"), config.el] : null,
      h("div", { class: "row" }, run), result),
    h("details", {}, h("summary", {}, "Everything it says of itself"), h("pre", {}, json(info))),
  );
}

async function invocationsPage(params) {
  const query = new URLSearchParams();
  for (const key of ["status", "name"]) if (params.get(key)) query.set(key, params.get(key));
  const rows = await api("GET", `/invocations?${query}`);
  const statusFilter = h("select", { id: "filter-status" }, ["", "completed", "failed", "trapped", "awaiting-input", "incomplete", "running"].map((s) => h("option", { value: s, selected: s === (params.get("status") || "") }, s || "any status")));
  const nameFilter = h("input", { id: "filter-name", placeholder: "component name", value: params.get("name") || "" });
  const apply = () => {
    const q = new URLSearchParams();
    if (statusFilter.value) q.set("status", statusFilter.value);
    if (nameFilter.value) q.set("name", nameFilter.value);
    location.hash = `#/invocations?${q}`;
  };
  statusFilter.addEventListener("change", apply);
  nameFilter.addEventListener("change", apply);
  show(
    h("h1", {}, "Invocations"),
    h("div", { class: "row card" }, "Filter:", statusFilter, nameFilter),
    h("table", { id: "invocations" },
      h("tr", {}, h("th", {}, "Id"), h("th", {}, "Status"), h("th", {}, "Component"), h("th", {}, "Created"), h("th", {}, "Continued as")),
      rows.map((r) => h("tr", {},
        h("td", { class: "mono" }, h("a", { href: `#/invocation/${r.id}` }, r.short)),
        h("td", {}, status(r.status)),
        h("td", {}, r.name),
        h("td", { class: "muted" }, r.created),
        h("td", { class: "mono" }, r.continued_as ? h("a", { href: `#/invocation/${r.continued_as}` }, short(r.continued_as)) : "")))),
    rows.length === 0 ? h("p", { class: "muted" }, "None.") : null,
  );
}

// One node of a call tree: its head, and when opened its outcome, events,
// logs and children (each opened the same way, to any depth).
function treeNode(node, root) {
  const id = node.invocation;
  const body = h("div", { class: "body" });
  const toggle = h("span", { class: "toggle" }, "▸");
  let opened = false;
  const head = h("div", { class: "head", "data-id": id || "" }, toggle,
    h("strong", {}, node.name || "?"), status(node.status),
    id ? h("span", { class: "mono muted" }, short(id)) : h("span", { class: "muted" }, node.overridden ? "overridden" : "not run"),
    node.event !== undefined ? h("span", { class: "hint" }, `event #${node.event}`) : null,
    node.took_us !== undefined && node.took_us !== null ? h("span", { class: "hint took" }, `took ${took(node.took_us)}`) : null);
  const el = h("div", { class: "node" }, head, body);
  const open = async () => {
    opened = !opened;
    toggle.textContent = opened ? "▾" : "▸";
    if (!opened) return body.replaceChildren();
    const full = id ? await api("GET", `/invocations/${id}?events=true&depth=1`) : node;
    body.replaceChildren(...nodeDetails(full, root));
  };
  head.addEventListener("click", () => open().catch((e) => toast(e.message)));
  el.open = open;
  return el;
}

// A run's time, from microseconds: `850 µs`, `12.4 ms`, `3.2 s`.
function took(us) {
  const n = Number(us);
  if (n < 1000) return `${n} µs`;
  if (n < 1e6) return `${(n / 1000).toFixed(1)} ms`;
  return `${(n / 1e6).toFixed(1)} s`;
}

function nodeDetails(node, root) {
  const parts = [];
  parts.push(h("div", { class: "hint" }, `input ${clip(stringify(node.input ?? null), 200)} · config ${clip(stringify(node.config ?? {}), 200)}`));
  if (node.output !== undefined) parts.push(h("div", {}, "output ", h("pre", { class: "output" }, json(node.output))));
  if (node.error) parts.push(h("div", { class: "error" }, `${node.error.code}: ${node.error.message}`));
  if (node.request) parts.push(h("div", {}, status("awaiting-input"), ` asks: ${stringify(node.request.prompt)}`));
  const journal = node.journal || [];
  if (journal.length) {
    parts.push(h("table", { class: "events" },
      h("tr", {}, h("th", {}, "#"), h("th", {}, "Request"), h("th", {}, "Response"), root ? h("th", {}, "") : null),
      journal.map((event, i) => h("tr", { "data-event": i },
        h("td", {}, i), h("td", {}, clip(event.request, 80)), h("td", {}, clip(stringify(event.response), 120)),
        root ? h("td", { class: "actions" },
          h("button", { class: "small secondary rewind", onclick: () => rewindAt(node, journal.length - i) }, "rewind here"),
          " ",
          h("button", { class: "small secondary override", onclick: () => overrideAt(node, i) }, "override")) : null))));
  }
  const logs = node.logs || [];
  if (logs.length) parts.push(h("details", {}, h("summary", {}, `${logs.length} log lines`), h("pre", {}, logs.map((l) => `${l.level}: ${l.message}`).join("\n"))));
  for (const child of node.children || []) parts.push(treeNode(child, false));
  return parts;
}

async function rewindAt(node, n) {
  try {
    const rewound = await api("POST", `/invocations/${node.invocation}/rewind`, { n });
    toast(`rewound: ${short(rewound.invocation)}`);
    location.hash = `#/invocation/${rewound.invocation}`;
  } catch (e) {
    toast(e.message);
  }
}

async function overrideAt(node, event) {
  const text = prompt(`Replace the response of event #${event} with (JSON):`);
  if (text === null) return;
  try {
    const value = parse(text);
    const replayed = await api("POST", `/invocations/${node.invocation}/replay`, { override: { event, value } });
    location.hash = `#/invocation/${replayed.invocation}`;
  } catch (e) {
    toast(e.message);
  }
}

async function invocationPage(id) {
  const inv = await api("GET", `/invocations/${encodeURIComponent(id)}?events=true&depth=1`);
  const result = h("div", { id: "action-result" });
  const replay = h("button", { id: "replay", onclick: async () => {
    try {
      const replayed = await api("POST", `/invocations/${inv.invocation}/replay`, {});
      const same = replayed.invocation === inv.invocation;
      result.replaceChildren(h("p", {}, status(replayed.status), same ? " replayed identically: the same invocation" : " replayed as ",
        same ? null : h("a", { href: `#/invocation/${replayed.invocation}` }, short(replayed.invocation))));
    } catch (e) {
      result.replaceChildren(h("p", { class: "error" }, e.message));
    }
  } }, inv.status === "incomplete" ? "Replay (goes on live)" : "Replay");
  const resume = inv.status === "awaiting-input" || inv.status === "incomplete" ? h("a", { href: "#/inbox" }, "answer in the inbox") : null;
  const other = h("input", { id: "diff-with", placeholder: "another invocation's id" });
  const diffOut = h("div", { class: "diff", id: "diff-result" });
  const diff = h("button", { class: "secondary", id: "diff", onclick: async () => {
    try {
      const theirs = await api("GET", `/invocations/${encodeURIComponent(other.value)}?events=true&depth=0`);
      diffOut.replaceChildren(journalDiff(inv.journal || [], theirs.journal || [], theirs));
    } catch (e) {
      diffOut.replaceChildren(h("p", { class: "error" }, e.message));
    }
  } }, "Diff");
  const root = treeNode(inv, true);
  const parts = [
    h("h1", {}, inv.name, " ", h("span", { class: "mono muted" }, short(inv.invocation)), " ", status(inv.status)),
    h("div", { class: "card row" }, replay, resume, h("span", { class: "muted" }, "|"), other, diff),
    result, diffOut,
    h("div", { class: "card", id: "tree" }, h("h2", {}, "Call tree"), root),
  ];
  if (inv.name === "flow") parts.push(h("div", { id: "flow" }));
  show(parts);
  await root.open();
  if (inv.name === "flow") await flowPanel(inv, document.getElementById("flow"));
}

// The first event where two journals differ.
function journalDiff(ours, theirs, other) {
  const n = Math.min(ours.length, theirs.length);
  for (let i = 0; i < n; i++) {
    if (stringify(ours[i]) !== stringify(theirs[i])) {
      return h("div", { class: "card" }, h("strong", {}, `first divergent event: #${i}`),
        h("pre", {}, `this:  ${stringify(ours[i])}\nother: ${stringify(theirs[i])}`));
    }
  }
  if (ours.length === theirs.length) return h("div", { class: "card" }, `the journals are identical (${n} events)`);
  return h("div", { class: "card" }, `the journals agree on their first ${n} events; ${short(other.invocation)} has ${theirs.length}, this one ${ours.length}`);
}

// ---- flows -------------------------------------------------------------

async function flowPanel(inv, el) {
  const [graph, steps] = await Promise.all([api("GET", `/flows/${inv.invocation}/graph`), api("GET", `/flows/${inv.invocation}/steps`)]);
  const current = steps.steps.length ? steps.steps[steps.steps.length - 1].step : graph.entry;
  const table = h("table", { id: "steps" },
    h("tr", {}, h("th", {}, "#"), h("th", {}, "Step"), h("th", {}, "Changed"), h("th", {}, "State after"), h("th", {}, "")),
    steps.steps.map((s, i) => {
      const before = i === 0 ? null : steps.steps[i - 1].state;
      return h("tr", { class: i === steps.steps.length - 1 ? "current" : "", "data-seq": s.seq },
        h("td", {}, s.seq), h("td", { class: "mono" }, s.step),
        h("td", { class: "mono" }, clip(stringify(s.diff), 160)),
        h("td", {}, h("details", {}, h("summary", {}, "state"), before ? h("div", { class: "hint" }, "before") : null, before ? h("pre", {}, json(before)) : null, h("div", { class: "hint" }, "after"), h("pre", {}, json(s.state)))),
        h("td", {}, h("button", { class: "small secondary fork", onclick: () => forkAt(inv, s.seq) }, "fork from here")));
    }));
  el.replaceChildren(
    h("div", { class: "card" }, h("h2", {}, `Flow ${graph.flow}`, " ", h("span", { class: "hint" }, `at ${current}`)), drawGraph(graph, current)),
    h("div", { class: "card" }, h("h2", {}, "Steps"), table),
  );
}

async function forkAt(inv, step) {
  const text = prompt(`Fork after step ${step}. Set state keys first (JSON object, or empty):`, "{}");
  if (text === null) return;
  try {
    const set = text.trim() ? parse(text) : {};
    const forked = await api("POST", `/flows/${inv.invocation}/fork`, { step, set });
    toast(`forked as ${short(forked.invocation)}`);
    location.hash = `#/invocation/${forked.invocation}`;
  } catch (e) {
    toast(e.message);
  }
}

// The flow's steps in layers from the entry (breadth first), its
// transitions as arrows; the current step is highlighted.
function drawGraph(graph, current) {
  const layer = { [graph.entry]: 0 };
  const queue = [graph.entry];
  while (queue.length) {
    const from = queue.shift();
    for (const e of graph.edges.filter((e) => e.from === from)) {
      if (layer[e.to] === undefined) {
        layer[e.to] = layer[from] + 1;
        queue.push(e.to);
      }
    }
  }
  let deepest = Math.max(0, ...Object.values(layer));
  for (const s of graph.steps) if (layer[s] === undefined) layer[s] = ++deepest;
  const rows = {};
  for (const s of graph.steps) (rows[layer[s]] = rows[layer[s]] || []).push(s);
  const W = 150, H = 34, GX = 30, GY = 46;
  const pos = {};
  let width = 0;
  for (const [l, names] of Object.entries(rows)) {
    names.forEach((s, i) => { pos[s] = { x: 10 + i * (W + GX), y: 10 + Number(l) * (H + GY) }; });
    width = Math.max(width, names.length * (W + GX));
  }
  const height = (deepest + 1) * (H + GY) + 10;
  const svg = h("svg", { width: Math.max(width, 200), height, viewBox: `0 0 ${Math.max(width, 200)} ${height}`, id: "graph" },
    h("defs", {}, h("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto" }, h("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8a93a6" }))));
  for (const e of graph.edges) {
    const a = pos[e.from], b = pos[e.to];
    if (!a || !b) continue;
    const [x1, y1, x2, y2] = [a.x + W / 2, a.y + H, b.x + W / 2, b.y];
    const d = y2 > y1 ? `M${x1},${y1} L${x2},${y2}` : `M${x1},${y1} C${x1 + 60},${y1 + 40} ${x2 + 60},${y2 - 40} ${x2 + W / 2 - 4},${y2 + 4}`;
    svg.append(h("path", { d, "marker-end": "url(#arrow)" }, h("title", {}, e.when || e.on || "")));
  }
  for (const s of graph.steps) {
    const p = pos[s];
    svg.append(h("g", { class: [s === current ? "current" : "", s === graph.entry ? "entry" : ""].join(" ").trim() || null, "data-step": s },
      h("rect", { x: p.x, y: p.y, width: W, height: H }),
      h("text", { x: p.x + W / 2, y: p.y + H / 2 + 4, "text-anchor": "middle" }, clip(s, 20))));
  }
  return h("div", { class: "graph" }, svg);
}

// ---- the inbox ---------------------------------------------------------

async function inboxPage() {
  const items = await api("GET", "/inbox");
  updateInboxCount(items.length);
  show(
    h("h1", {}, "Inbox"),
    items.length === 0 ? h("p", { class: "muted", id: "inbox-empty" }, "Nothing waits for an answer.") : null,
    items.map((item) => {
      const form = schemaForm(item.schema || {}, `answer-${item.key}`);
      const out = h("div", {});
      const send = h("button", { class: "answer", onclick: async () => {
        send.disabled = true;
        try {
          const answer = form.read();
          const job = await api("POST", `/inbox/${encodeURIComponent(item.key)}/answer`, { answer });
          out.replaceChildren(h("p", {}, status(job.status), job.invocation ? [" ", h("a", { href: `#/invocation/${job.invocation.invocation}` }, short(job.invocation.invocation))] : null,
            job.request ? ` next it asks: ${job.request.prompt}` : null));
          setTimeout(() => route().catch(failed), 600);
        } catch (e) {
          out.replaceChildren(h("p", { class: "error" }, e.message));
          send.disabled = false;
        }
      } }, "Answer");
      return h("div", { class: "card inbox-item", "data-key": item.key },
        h("div", { class: "row" }, h("strong", { class: "prompt" }, typeof item.prompt === "string" ? item.prompt : stringify(item.prompt)),
          status("awaiting-input"),
          h("span", { class: "hint" }, item.live ? `live · job ${item.job}${item.session ? ` · session ${item.session}` : ""}` : `${item.name} · ${short(item.invocation)}`)),
        item.context ? h("pre", {}, typeof item.context === "string" ? item.context : json(item.context)) : null,
        form.el, send, out);
    }),
  );
}

function updateInboxCount(n) {
  document.getElementById("inbox-count").textContent = n ? String(n) : "";
}

// ---- sessions: dialogues with flows -------------------------------------

async function sessionsPage() {
  const rows = await api("GET", "/sessions");
  const file = h("input", { id: "session-file", placeholder: "flow file on the server, e.g. examples/flows/chatbot.toml", size: 50 });
  const name = h("input", { id: "session-name", placeholder: "name" });
  const start = h("button", { id: "session-start", onclick: async () => {
    try {
      await api("POST", "/sessions", { file: file.value, name: name.value });
      location.hash = `#/session/${encodeURIComponent(name.value)}`;
    } catch (e) {
      toast(e.message);
    }
  } }, "Start");
  show(
    h("h1", {}, "Sessions"),
    h("div", { class: "card row" }, h("strong", {}, "Start a session"), file, name, start),
    h("table", { id: "sessions" },
      h("tr", {}, h("th", {}, "Session"), h("th", {}, "Status"), h("th", {}, "Messages")),
      rows.map((r) => h("tr", {}, h("td", {}, h("a", { href: `#/session/${encodeURIComponent(r.session)}` }, r.session)), h("td", {}, status(r.status)), h("td", {}, r.messages)))),
  );
}

async function sessionPage(name) {
  let turn = await api("GET", `/sessions/${encodeURIComponent(name)}`);
  const chat = h("div", { class: "chat", id: "chat" });
  const input = h("input", { id: "say", placeholder: "Say something…", autocomplete: "off" });
  const send = h("button", { id: "send" }, "Send");
  const state = h("div", { id: "session-state" });
  const render = () => {
    chat.replaceChildren(...(turn.dialogue || []).map((m) => h("div", { class: `bubble ${m.role}` }, typeof m.content === "string" ? m.content : stringify(m.content))));
    if (turn.asks !== null && turn.asks !== undefined) chat.append(h("div", { class: "bubble assistant asks" }, typeof turn.asks === "string" ? turn.asks : stringify(turn.asks)));
    const inv = turn.invocation ? (turn.invocation.invocation || turn.invocation) : null;
    state.replaceChildren(h("p", { class: "hint" }, status(turn.status), " ", inv ? h("a", { href: `#/invocation/${inv}` }, `invocation ${short(inv)}`) : turn.job ? `job ${turn.job}` : ""));
    const open = turn.asks !== null && turn.asks !== undefined;
    input.disabled = send.disabled = !open;
  };
  const say = async () => {
    const text = input.value;
    if (!text) return;
    input.value = "";
    turn.dialogue = [...(turn.dialogue || []), ...(turn.asks ? [{ role: "assistant", content: turn.asks }] : []), { role: "user", content: text }];
    turn.asks = null;
    render();
    const streaming = h("div", { class: "bubble assistant streaming" });
    chat.append(streaming);
    const stream = turn.job && turn.status !== "done" ? events(turn.job, (event) => {
      if (event.type === "llm-chunk") streaming.textContent += event.text;
    }) : null;
    try {
      turn = await api("POST", `/sessions/${encodeURIComponent(name)}/send`, { text });
    } catch (e) {
      toast(e.message);
    } finally {
      if (stream) stream.close();
      render();
      input.focus();
    }
  };
  send.addEventListener("click", say);
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") say(); });
  show(h("h1", {}, `Session ${name}`), chat, h("div", { class: "composer" }, input, send), state);
  render();
}

// The server's events of one job, as they happen.
function events(job, f) {
  const q = new URLSearchParams({ job });
  if (token()) q.set("token", token());
  const source = new EventSource(`/api/v1/events?${q}`);
  for (const type of ["llm-chunk", "input-requested", "job-done", "event", "child-started", "sealed"]) {
    source.addEventListener(type, (e) => f(parse(e.data)));
  }
  return source;
}

// ---- routing -----------------------------------------------------------

async function route() {
  const hash = location.hash.replace(/^#\/?/, "") || "components";
  const [path, search] = hash.split("?");
  const [page, ...rest] = path.split("/");
  const arg = decodeURIComponent(rest.join("/"));
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.page === page || a.dataset.page === `${page}s`);
  const pages = {
    components: () => componentsPage(),
    component: () => componentPage(arg),
    invocations: () => invocationsPage(new URLSearchParams(search || "")),
    invocation: () => invocationPage(arg),
    inbox: () => inboxPage(),
    sessions: () => sessionsPage(),
    session: () => sessionPage(arg),
  };
  await (pages[page] || pages.components)();
  document.body.dataset.page = page;
}

async function refreshInbox() {
  try {
    updateInboxCount((await api("GET", "/inbox")).length);
  } catch (e) {
    // The count waits for the next try.
  }
}

window.addEventListener("hashchange", () => route().catch(failed));
route().catch(failed);
refreshInbox();
setInterval(refreshInbox, 5000);
