// @NAME@: greets by name with a lucky number. Math.random is seeded through
// WASI, which enact journals, so a replay greets with the same number.
// Input {"name": "Ada"}; output {"greeting", "lucky"}.

import { invokable } from "./enact.js";

export const { describe, call } = invokable({
  name: "@NAME@",
  doc: "greets by name with a lucky number",
  inputSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
  run(config, { name }) {
    // More helpers from ./enact.js: ask (a person), complete (an LLM),
    // invoke (another component), now, log.
    return { greeting: `Hello, ${name}!`, lucky: Math.floor(Math.random() * 100) };
  },
});
