// roll-die: one roll of a die with `sides` sides (config, default 6).

import { below, invokable } from "../kit/enact.js";

export const { describe, call } = invokable({
  name: "roll-die",
  doc: "rolls one die",
  configSchema: { type: "object", properties: { sides: { type: "integer", minimum: 1 } } },
  outputSchema: { type: "integer", minimum: 1 },
  run: (config) => 1 + below(config.sides ?? 6),
});
