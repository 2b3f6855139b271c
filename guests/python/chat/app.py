"""chat: a conversation with the LLM. Asks the user for a message, answers
with the model, until the user says `stop`; returns the transcript."""

import enact


class WitWorld(enact.Invokable):
    name = "chat"
    doc = "talks with the LLM until the user says stop; returns the transcript"
    config_schema = {"type": "object", "properties": {"system": {"type": "string"}}}

    def run(self, config, input):
        system = config.get("system", "You are a helpful assistant. Answer briefly.")
        messages = [{"role": "system", "content": system}]
        reply = None
        while True:
            # The last reply goes with the question, for whoever answers.
            said = enact.ask("You:", {"type": "string"}, context=reply)
            if said.strip().lower() == "stop":
                break
            messages.append({"role": "user", "content": said})
            reply = enact.complete(messages)
            messages.append({"role": "assistant", "content": reply})
        return messages[1:]
