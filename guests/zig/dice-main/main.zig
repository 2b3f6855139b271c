//! dice: a plain WASI program in Zig. Rolls the number of dice its first
//! argument names (default 3) with Zig's own random source, which on WASI
//! is `random_get`: journaled by enact, so a replay rolls the same dice.

const std = @import("std");

pub fn main() !void {
    var buffer: [4096]u8 = undefined;
    var fba = std.heap.FixedBufferAllocator.init(&buffer);
    var args = try std.process.argsWithAllocator(fba.allocator());
    defer args.deinit();
    _ = args.skip();
    const n = if (args.next()) |arg| try std.fmt.parseInt(u32, arg, 10) else 3;
    const out = std.io.getStdOut().writer();
    var sum: u32 = 0;
    try out.writeAll("{\"rolls\":[");
    var i: u32 = 0;
    while (i < n) : (i += 1) {
        const roll = std.crypto.random.intRangeAtMost(u32, 1, 6);
        sum += roll;
        if (i > 0) try out.writeAll(",");
        try out.print("{d}", .{roll});
    }
    try out.print("],\"sum\":{d}}}\n", .{sum});
}
