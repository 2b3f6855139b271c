/* ask-dice: asks how many dice to roll, then asks a person for each roll,
 * and returns the sum. */
#include <stdlib.h>

#include "enact.h"

const enact_metadata enact_invokable = {
    .name = "ask-dice",
    .doc = "asks a person how many dice to roll, then for each roll; returns the sum",
    .output_schema = "{\"type\":\"integer\"}",
};

/* Asks `prompt`, whose answer the schema makes an integer. */
static int64_t ask_int(const char *prompt, const char *schema) {
    char *answer = enact_ask(prompt, schema);
    int64_t n = 0;
    enact_json_int(enact_cstr(answer), &n);
    free(answer);
    return n;
}

bool enact_run(enact_str config, enact_str input, enact_buf *out, enact_error *err) {
    (void)config, (void)input, (void)err;
    int64_t n = ask_int("How many dice?", "{\"type\":\"integer\",\"minimum\":1}");
    int64_t sum = 0;
    for (int64_t i = 1; i <= n; i++) {
        enact_buf prompt = {0};
        enact_buf_raw(&prompt, "Roll die ");
        enact_buf_int(&prompt, i);
        enact_buf_raw(&prompt, " of ");
        enact_buf_int(&prompt, n);
        enact_buf_raw(&prompt, ": what did it show?");
        sum += ask_int(enact_buf_cstr(&prompt), "{\"type\":\"integer\",\"minimum\":1,\"maximum\":6}");
        enact_buf_free(&prompt);
    }
    enact_buf_int(out, sum);
    return true;
}
