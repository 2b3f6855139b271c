//! roll-die: one roll of a die with `sides` sides (config, default 6).

const enact = @import("enact");

export const enact_invokable = enact.Metadata{
    .name = "roll-die",
    .doc = "rolls one die",
    .config_schema = "{\"type\":\"object\",\"properties\":{\"sides\":{\"type\":\"integer\",\"minimum\":1}}}",
    .input_schema = null,
    .output_schema = "{\"type\":\"integer\",\"minimum\":1}",
};

export fn enact_run(config: enact.Str, input: enact.Str, out: *enact.Buf, err: *enact.Error) bool {
    _ = input;
    const sides = enact.memberInt(config, "sides", 6);
    if (sides < 1) return enact.fail(err, "invalid-config", "`sides` must be at least 1");
    enact.int(out, 1 + @as(i64, @intCast(enact.below(@intCast(sides)))));
    return true;
}
