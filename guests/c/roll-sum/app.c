/* roll-sum: rolls n dice by invoking a die (config `die`, default `roll-die`)
 * once per roll, and returns the sum. The die may be written in any language. */
#include <stdlib.h>

#include "enact.h"

const enact_metadata enact_invokable = {
    .name = "roll-sum",
    .doc = "rolls n dice through roll-die and returns the sum",
    .config_schema = "{\"type\":\"object\",\"properties\":{\"sides\":{\"type\":\"integer\",\"minimum\":1},"
                     "\"die\":{\"type\":\"string\"}}}",
    .input_schema = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":0}},\"required\":[\"n\"]}",
    .output_schema = "{\"type\":\"integer\"}",
};

bool enact_run(enact_str config, enact_str input, enact_buf *out, enact_error *err) {
    int64_t n = enact_member_int(input, "n", -1);
    if (n < 0) return enact_fail(err, "invalid-input", "`n` must be a count of dice");
    char *die = enact_member_string(config, "die", "roll-die");
    enact_buf die_config = {0};
    enact_buf_raw(&die_config, "{\"sides\":");
    enact_buf_int(&die_config, enact_member_int(config, "sides", 6));
    enact_buf_raw(&die_config, "}");
    int64_t sum = 0;
    bool ok = true;
    for (int64_t i = 0; ok && i < n; i++) {
        char *roll = enact_invoke(die, enact_buf_cstr(&die_config), "null", err);
        int64_t value;
        ok = roll != NULL;
        if (ok && !enact_json_int(enact_cstr(roll), &value)) ok = enact_fail(err, "invalid-output", "a roll is not an integer");
        if (ok) sum += value;
        free(roll);
    }
    free(die);
    enact_buf_free(&die_config);
    if (ok) enact_buf_int(out, sum);
    return ok;
}
