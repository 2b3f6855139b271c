//! dice: rolls n dice with `sides` sides using enact's random import.
//! Config {"sides": S} (default 6), input {"n": N}; output {"sum", "rolls"}.

const enact = @import("enact");

export const enact_invokable = enact.Metadata{
    .name = "dice",
    .doc = "rolls n dice with the given number of sides",
    .config_schema = "{\"type\":\"object\",\"properties\":{\"sides\":{\"type\":\"integer\",\"minimum\":1}}}",
    .input_schema = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":0}},\"required\":[\"n\"]}",
    .output_schema = null,
};

export fn enact_run(config: enact.Str, input: enact.Str, out: *enact.Buf, err: *enact.Error) bool {
    const sides = enact.memberInt(config, "sides", 6);
    const n = enact.memberInt(input, "n", -1);
    if (sides < 1) return enact.fail(err, "invalid-config", "`sides` must be at least 1");
    if (n < 0) return enact.fail(err, "invalid-input", "`n` must be a count of dice");
    var rolls = enact.Buf{};
    defer enact.free(&rolls);
    var sum: i64 = 0;
    var i: i64 = 0;
    while (i < n) : (i += 1) {
        const roll = 1 + @as(i64, @intCast(enact.below(@intCast(sides))));
        sum += roll;
        if (i > 0) enact.raw(&rolls, ",");
        enact.int(&rolls, roll);
    }
    enact.raw(out, "{\"sum\":");
    enact.int(out, sum);
    enact.raw(out, ",\"rolls\":[");
    enact.raw(out, if (n > 0) enact.bufCstr(&rolls) else "");
    enact.raw(out, "]}");
    return true;
}
