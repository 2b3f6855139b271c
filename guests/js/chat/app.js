// chat: a conversation with the LLM. Asks the user for a message, answers
// with the model, until the user says `stop`; returns the transcript.

import { ask, complete, invokable } from "../kit/enact.js";

export const { describe, call } = invokable({
  name: "chat",
  doc: "talks with the LLM until the user says stop; returns the transcript",
  configSchema: { type: "object", properties: { system: { type: "string" } } },
  run(config) {
    const messages = [{ role: "system", content: config.system ?? "You are a helpful assistant. Answer briefly." }];
    let reply; // the last reply goes with the question, for whoever answers
    for (;;) {
      const said = ask("You:", { type: "string" }, reply);
      if (said.trim().toLowerCase() === "stop") break;
      messages.push({ role: "user", content: said });
      reply = complete(messages);
      messages.push({ role: "assistant", content: reply });
    }
    return messages.slice(1);
  },
});
