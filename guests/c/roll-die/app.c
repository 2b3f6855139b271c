/* roll-die: one roll of a die with `sides` sides (config, default 6). */
#include "enact.h"

const enact_metadata enact_invokable = {
    .name = "roll-die",
    .doc = "rolls one die",
    .config_schema = "{\"type\":\"object\",\"properties\":{\"sides\":{\"type\":\"integer\",\"minimum\":1}}}",
    .output_schema = "{\"type\":\"integer\",\"minimum\":1}",
};

bool enact_run(enact_str config, enact_str input, enact_buf *out, enact_error *err) {
    (void)input;
    int64_t sides = enact_member_int(config, "sides", 6);
    if (sides < 1) return enact_fail(err, "invalid-config", "`sides` must be at least 1");
    enact_buf_int(out, 1 + (int64_t)enact_below((uint64_t)sides));
    return true;
}
