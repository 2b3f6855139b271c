//! ask-dice: asks how many dice to roll, then asks a person for each roll,
//! and returns the sum.

const enact = @import("enact");

export const enact_invokable = enact.Metadata{
    .name = "ask-dice",
    .doc = "asks a person how many dice to roll, then for each roll; returns the sum",
    .config_schema = null,
    .input_schema = null,
    .output_schema = "{\"type\":\"integer\"}",
};

/// Asks `prompt`, whose answer the schema makes an integer.
fn askInt(prompt: [*c]const u8, schema: [*c]const u8) i64 {
    const answer = enact.ask(prompt, schema);
    defer enact.release(answer);
    var n: i64 = 0;
    _ = enact.jsonInt(enact.cstr(answer), &n);
    return n;
}

export fn enact_run(config: enact.Str, input: enact.Str, out: *enact.Buf, err: *enact.Error) bool {
    _ = config;
    _ = input;
    _ = err;
    const n = askInt("How many dice?", "{\"type\":\"integer\",\"minimum\":1}");
    var sum: i64 = 0;
    var i: i64 = 1;
    while (i <= n) : (i += 1) {
        var prompt = enact.Buf{};
        defer enact.free(&prompt);
        enact.raw(&prompt, "Roll die ");
        enact.int(&prompt, i);
        enact.raw(&prompt, " of ");
        enact.int(&prompt, n);
        enact.raw(&prompt, ": what did it show?");
        sum += askInt(enact.bufCstr(&prompt), "{\"type\":\"integer\",\"minimum\":1,\"maximum\":6}");
    }
    enact.int(out, sum);
    return true;
}
