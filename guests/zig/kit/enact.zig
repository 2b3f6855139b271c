//! Write an enact invokable in Zig. There is no bindings generator for Zig,
//! so the kit is the C kit (`guests/c/kit`, on wit-bindgen's C bindings),
//! compiled by Zig's own C compiler and imported here under Zig names.
//!
//!     const enact = @import("enact");
//!
//!     export const enact_invokable = enact.Metadata{ .name = "echo", .doc = "returns its input" };
//!
//!     export fn enact_run(config: enact.Str, input: enact.Str, out: *enact.Buf, err: *enact.Error) bool {
//!         _ = config;
//!         _ = err;
//!         enact.append(out, input.ptr, input.len);
//!         return true;
//!     }
//!
//! Config, input and output are JSON text. Every nondeterministic value comes
//! from the host and is journaled; the names below are those of `enact.h`
//! without their `enact_` prefix.

const c = @cImport({
    @cInclude("enact.h");
});

pub const Str = c.enact_str;
pub const Buf = c.enact_buf;
pub const Error = c.enact_error;
pub const Metadata = c.enact_metadata;
pub const Message = c.enact_message;

pub const fail = c.enact_fail;
pub const cstr = c.enact_cstr;
pub const jsonInt = c.enact_json_int;
pub const jsonString = c.enact_json_string;
pub const memberInt = c.enact_member_int;
pub const memberString = c.enact_member_string;

pub const append = c.enact_buf_append;
pub const raw = c.enact_buf_raw;
pub const int = c.enact_buf_int;
pub const string = c.enact_buf_string;
pub const bufCstr = c.enact_buf_cstr;
pub const free = c.enact_buf_free;

pub const below = c.enact_below;
pub const now = c.enact_now;
pub const ask = c.enact_ask;
pub const askWith = c.enact_ask_with;
pub const complete = c.enact_complete;
pub const invoke = c.enact_invoke;
pub const log = c.enact_log;

/// Frees a string the host functions return (`ask`, `complete`, `invoke`).
pub fn release(s: ?[*:0]u8) void {
    std.c.free(s);
}

const std = @import("std");
