// roll-sum: rolls n dice by invoking a die (config `die`, default `roll-die`)
// once per roll, and returns the sum. The die may be written in any language.

import { invokable, invoke } from "../kit/enact.js";

export const { describe, call } = invokable({
  name: "roll-sum",
  doc: "rolls n dice through roll-die and returns the sum",
  configSchema: {
    type: "object",
    properties: { sides: { type: "integer", minimum: 1 }, die: { type: "string" } },
  },
  inputSchema: { type: "object", properties: { n: { type: "integer", minimum: 0 } }, required: ["n"] },
  outputSchema: { type: "integer" },
  run(config, { n }) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += invoke(config.die ?? "roll-die", { sides: config.sides ?? 6 }, null);
    }
    return sum;
  },
});
