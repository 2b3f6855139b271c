//! chat: a conversation with the LLM. Asks the user for a message, answers
//! with the model, until the user says `stop`; returns the transcript.

const std = @import("std");
const enact = @import("enact");

export const enact_invokable = enact.Metadata{
    .name = "chat",
    .doc = "talks with the LLM until the user says stop; returns the transcript",
    .config_schema = "{\"type\":\"object\",\"properties\":{\"system\":{\"type\":\"string\"}}}",
    .input_schema = null,
    .output_schema = null,
};

/// Whether `said`, without surrounding spaces, is `stop` in any case.
fn isStop(said: [*:0]const u8) bool {
    return std.ascii.eqlIgnoreCase(std.mem.trim(u8, std.mem.span(said), " \n\t"), "stop");
}

export fn enact_run(config: enact.Str, input: enact.Str, out: *enact.Buf, err: *enact.Error) bool {
    _ = input;
    const allocator = std.heap.c_allocator;
    const system = enact.memberString(config, "system", "You are a helpful assistant. Answer briefly.");
    var messages = std.ArrayList(enact.Message).init(allocator);
    defer {
        for (messages.items) |m| enact.release(@constCast(m.content));
        messages.deinit();
    }
    messages.append(.{ .role = "system", .content = system }) catch return enact.fail(err, "oom", "out of memory");
    var reply = enact.Buf{}; // the last reply, as JSON: it goes with the question
    defer enact.free(&reply);
    while (true) {
        const context = if (messages.items.len > 1) enact.bufCstr(&reply) else null;
        const answer = enact.askWith("You:", "{\"type\":\"string\"}", context);
        const said = enact.jsonString(enact.cstr(answer));
        enact.release(answer);
        if (said == null or isStop(said.?)) {
            enact.release(said);
            break;
        }
        messages.append(.{ .role = "user", .content = said }) catch return enact.fail(err, "oom", "out of memory");
        const text = enact.complete(messages.items.ptr, messages.items.len, err) orelse return false;
        messages.append(.{ .role = "assistant", .content = text }) catch return enact.fail(err, "oom", "out of memory");
        enact.free(&reply);
        enact.string(&reply, text);
    }
    enact.raw(out, "[");
    for (messages.items[1..], 0..) |m, i| {
        enact.raw(out, if (i > 0) ",{\"role\":" else "{\"role\":");
        enact.string(out, m.role);
        enact.raw(out, ",\"content\":");
        enact.string(out, m.content);
        enact.raw(out, "}");
    }
    enact.raw(out, "]");
    return true;
}
