// dice: rolls n dice with JavaScript's own Math.random, and reads Date.now.
// StarlingMonkey seeds Math.random and reads the clock through WASI, which
// enact journals: a replay rolls the same dice at the same time.
// Config {"sides": S} (default 6), input {"n": N}; output {"sum", "rolls", "at"}.

import { invokable } from "../kit/enact.js";

export const { describe, call } = invokable({
  name: "dice",
  doc: "rolls n dice with Math.random (seeded through WASI)",
  configSchema: { type: "object", properties: { sides: { type: "integer", minimum: 1 } } },
  inputSchema: { type: "object", properties: { n: { type: "integer", minimum: 0 } }, required: ["n"] },
  run(config, { n }) {
    const sides = config.sides ?? 6;
    const rolls = Array.from({ length: n }, () => 1 + Math.floor(Math.random() * sides));
    return { sum: rolls.reduce((a, b) => a + b, 0), rolls, at: Date.now() };
  },
});
