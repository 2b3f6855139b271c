/* chat: a conversation with the LLM. Asks the user for a message, answers
 * with the model, until the user says `stop`; returns the transcript. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enact.h"

const enact_metadata enact_invokable = {
    .name = "chat",
    .doc = "talks with the LLM until the user says stop; returns the transcript",
    .config_schema = "{\"type\":\"object\",\"properties\":{\"system\":{\"type\":\"string\"}}}",
};

/* Whether `said`, without surrounding spaces, is `stop` in any case. */
static bool is_stop(const char *said) {
    while (*said == ' ' || *said == '\n' || *said == '\t') said++;
    size_t len = strlen(said);
    while (len && (said[len - 1] == ' ' || said[len - 1] == '\n' || said[len - 1] == '\t')) len--;
    return len == 4 && strncasecmp(said, "stop", 4) == 0;
}

bool enact_run(enact_str config, enact_str input, enact_buf *out, enact_error *err) {
    (void)input;
    char *system = enact_member_string(config, "system", "You are a helpful assistant. Answer briefly.");
    size_t count = 1, cap = 8;
    enact_message *messages = malloc(cap * sizeof *messages);
    messages[0] = (enact_message){"system", system};
    bool ok = true;
    enact_buf reply = {0}; /* the last reply, as JSON: it goes with the question */
    while (ok) {
        char *answer = enact_ask_with("You:", "{\"type\":\"string\"}", count > 1 ? enact_buf_cstr(&reply) : NULL);
        char *said = enact_json_string(enact_cstr(answer));
        free(answer);
        if (!said || is_stop(said)) {
            free(said);
            break;
        }
        if (count + 2 > cap) messages = realloc(messages, (cap *= 2) * sizeof *messages);
        messages[count++] = (enact_message){"user", said};
        char *text = enact_complete(messages, count, err);
        ok = text != NULL;
        if (ok) {
            messages[count++] = (enact_message){"assistant", text};
            enact_buf_free(&reply);
            enact_buf_string(&reply, text);
        }
    }
    if (ok) {
        enact_buf_raw(out, "[");
        for (size_t i = 1; i < count; i++) {
            enact_buf_raw(out, i > 1 ? ",{\"role\":" : "{\"role\":");
            enact_buf_string(out, messages[i].role);
            enact_buf_raw(out, ",\"content\":");
            enact_buf_string(out, messages[i].content);
            enact_buf_raw(out, "}");
        }
        enact_buf_raw(out, "]");
    }
    for (size_t i = 1; i < count; i++) free((char *)messages[i].content);
    free(messages);
    free(system);
    enact_buf_free(&reply);
    return ok;
}
