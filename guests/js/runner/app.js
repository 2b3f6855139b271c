// javascript: runs JavaScript source, such as a model just wrote, as an
// invokable. Config {"source": "..."}; the code sees `input` (the parsed
// input) and `enact` (the kit: random, now, ask, complete, invoke, log,
// mark), and produces the output by returning it from `main(input)` (which
// may be async), or by setting `output`. console.log goes to the captured
// log; a thrown error fails the invocation with code `exception` and the
// stack in its details. The same source is the same invokable everywhere.

import * as enact from "../kit/enact.js";

export const { describe, call } = enact.invokable({
  name: "javascript",
  doc: "runs JavaScript source: the output is what main(input) returns, or `output`",
  configSchema: {
    type: "object",
    properties: { source: { type: "string", description: "JavaScript source text" } },
    required: ["source"],
    additionalProperties: false,
  },
  run(config, input) {
    // Neither name is declared here: the source may declare either.
    const body =
      `${config.source}\n;` +
      `return { main: typeof main === "function" ? main : undefined,` +
      ` output: typeof output === "undefined" ? undefined : output };`;
    const { main, output } = new Function("input", "enact", body)(input, enact);
    if (main !== undefined) return main(input);
    if (output !== undefined) return output;
    throw new enact.EnactError("no-output", "the source defines no main(input) and sets no `output`");
  },
});
