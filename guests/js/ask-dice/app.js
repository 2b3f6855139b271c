// ask-dice: asks how many dice to roll, then asks a person for each roll,
// and returns the sum.

import { ask, invokable } from "../kit/enact.js";

export const { describe, call } = invokable({
  name: "ask-dice",
  doc: "asks a person how many dice to roll, then for each roll; returns the sum",
  outputSchema: { type: "integer" },
  run() {
    const n = ask("How many dice?", { type: "integer", minimum: 1 });
    let sum = 0;
    for (let i = 1; i <= n; i++) {
      sum += ask(`Roll die ${i} of ${n}: what did it show?`, { type: "integer", minimum: 1, maximum: 6 });
    }
    return sum;
  },
});
