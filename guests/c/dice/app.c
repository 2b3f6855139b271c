/* dice: rolls n dice with `sides` sides using enact's random import.
 * Config {"sides": S} (default 6), input {"n": N}; output {"sum", "rolls"}. */
#include "enact.h"

const enact_metadata enact_invokable = {
    .name = "dice",
    .doc = "rolls n dice with the given number of sides",
    .config_schema = "{\"type\":\"object\",\"properties\":{\"sides\":{\"type\":\"integer\",\"minimum\":1}}}",
    .input_schema = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":0}},\"required\":[\"n\"]}",
};

bool enact_run(enact_str config, enact_str input, enact_buf *out, enact_error *err) {
    int64_t sides = enact_member_int(config, "sides", 6);
    int64_t n = enact_member_int(input, "n", -1);
    if (sides < 1) return enact_fail(err, "invalid-config", "`sides` must be at least 1");
    if (n < 0) return enact_fail(err, "invalid-input", "`n` must be a count of dice");
    enact_buf rolls = {0};
    int64_t sum = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t roll = 1 + (int64_t)enact_below((uint64_t)sides);
        sum += roll;
        enact_buf_raw(&rolls, i ? "," : "");
        enact_buf_int(&rolls, roll);
    }
    enact_buf_raw(out, "{\"sum\":");
    enact_buf_int(out, sum);
    enact_buf_raw(out, ",\"rolls\":[");
    enact_buf_raw(out, n ? enact_buf_cstr(&rolls) : "");
    enact_buf_raw(out, "]}");
    enact_buf_free(&rolls);
    return true;
}
