/* @NAME@: greets by name with a lucky number from enact's journaled random
 * source, so a replay greets with the same one.
 * Input {"name": "Ada"}; output {"greeting", "lucky"}. */
#include <stdlib.h>

#include "enact.h"

const enact_metadata enact_invokable = {
    .name = "@NAME@",
    .doc = "greets by name with a lucky number",
    .input_schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},\"required\":[\"name\"]}",
};

bool enact_run(enact_str config, enact_str input, enact_buf *out, enact_error *err) {
    (void)config;
    char *name = enact_member_string(input, "name", NULL);
    if (!name) return enact_fail(err, "invalid-input", "`name` must be a string");
    /* More helpers in enact.h: enact_ask (a person), enact_complete (an LLM),
     * enact_invoke (another component), enact_now, enact_log. */
    enact_buf greeting = {0};
    enact_buf_raw(&greeting, "Hello, ");
    enact_buf_raw(&greeting, name);
    enact_buf_raw(&greeting, "!");
    enact_buf_raw(out, "{\"greeting\":");
    enact_buf_string(out, enact_buf_cstr(&greeting));
    enact_buf_raw(out, ",\"lucky\":");
    enact_buf_int(out, (int64_t)enact_below(100));
    enact_buf_raw(out, "}");
    enact_buf_free(&greeting);
    free(name);
    return true;
}
