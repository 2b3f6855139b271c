// dice: rolls n dice with JavaScript's own Math.random, and reads Date.now.
// StarlingMonkey seeds Math.random and reads the clock through WASI, which
// enact journals: a replay rolls the same dice at the same time.
// Config {"sides": S} (default 6), input {"n": N}; output {"sum", "rolls", "at"}.

export function describe() {
  return {
    name: "dice",
    doc: "rolls n dice with Math.random (seeded through WASI)",
    configSchema: JSON.stringify({ type: "object", properties: { sides: { type: "integer", minimum: 1 } } }),
    inputSchema: JSON.stringify({
      type: "object",
      properties: { n: { type: "integer", minimum: 0 } },
      required: ["n"],
    }),
    outputSchema: undefined,
  };
}

export function call(config, input) {
  let sides, n;
  try {
    sides = JSON.parse(config).sides ?? 6;
    n = JSON.parse(input).n;
  } catch (e) {
    throw { code: "invalid-input", message: String(e), details: undefined };
  }
  const rolls = [];
  for (let i = 0; i < n; i++) {
    rolls.push(1 + Math.floor(Math.random() * sides));
  }
  return JSON.stringify({ sum: rolls.reduce((a, b) => a + b, 0), rolls, at: Date.now() });
}
