//! roll-sum: rolls n dice by invoking a die (config `die`, default
//! `roll-die`) once per roll, and returns the sum. The die may be written in
//! any language.

const enact = @import("enact");

export const enact_invokable = enact.Metadata{
    .name = "roll-sum",
    .doc = "rolls n dice through roll-die and returns the sum",
    .config_schema = "{\"type\":\"object\",\"properties\":{\"sides\":{\"type\":\"integer\",\"minimum\":1}," ++
        "\"die\":{\"type\":\"string\"}}}",
    .input_schema = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":0}},\"required\":[\"n\"]}",
    .output_schema = "{\"type\":\"integer\"}",
};

export fn enact_run(config: enact.Str, input: enact.Str, out: *enact.Buf, err: *enact.Error) bool {
    const n = enact.memberInt(input, "n", -1);
    if (n < 0) return enact.fail(err, "invalid-input", "`n` must be a count of dice");
    const die = enact.memberString(config, "die", "roll-die");
    defer enact.release(die);
    var die_config = enact.Buf{};
    defer enact.free(&die_config);
    enact.raw(&die_config, "{\"sides\":");
    enact.int(&die_config, enact.memberInt(config, "sides", 6));
    enact.raw(&die_config, "}");
    var sum: i64 = 0;
    var i: i64 = 0;
    while (i < n) : (i += 1) {
        const roll = enact.invoke(die, enact.bufCstr(&die_config), "null", err) orelse return false;
        defer enact.release(roll);
        var value: i64 = 0;
        if (!enact.jsonInt(enact.cstr(roll), &value)) return enact.fail(err, "invalid-output", "a roll is not an integer");
        sum += value;
    }
    enact.int(out, sum);
    return true;
}
