/* Write an enact invokable in C.
 *
 *     #include "enact.h"
 *
 *     const enact_metadata enact_invokable = {
 *         .name = "echo",
 *         .doc = "returns its input",
 *     };
 *
 *     bool enact_run(enact_str config, enact_str input, enact_buf *out, enact_error *err) {
 *         enact_buf_append(out, input.ptr, input.len);
 *         return true;
 *     }
 *
 * Config, input and output are JSON text. Every nondeterministic value comes
 * from the host and is journaled: use enact_next_u64, enact_now, enact_ask,
 * enact_complete and enact_invoke. The kit needs no libc stdio, so the
 * component imports no WASI at all.
 */
#ifndef ENACT_H
#define ENACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A view of JSON text (not NUL-terminated). */
typedef struct {
    const char *ptr;
    size_t len;
} enact_str;

/* A growable buffer; what `enact_run` writes into it is the output. */
typedef struct {
    char *ptr;
    size_t len;
    size_t cap;
} enact_buf;

/* An error for the caller: a short machine-readable code and a message. */
typedef struct {
    char *code;
    char *message;
} enact_error;

/* What `describe` returns; schemas are JSON text, NULL for none. */
typedef struct {
    const char *name;
    const char *doc;
    const char *config_schema;
    const char *input_schema;
    const char *output_schema;
} enact_metadata;

/* One message of a conversation with the LLM. */
typedef struct {
    const char *role;
    const char *content;
} enact_message;

/* Defined by the invokable. */
extern const enact_metadata enact_invokable;
/* Writes the output JSON into `out` and returns true, or returns enact_fail(...). */
bool enact_run(enact_str config, enact_str input, enact_buf *out, enact_error *err);

/* Fills `err` and returns false. */
bool enact_fail(enact_error *err, const char *code, const char *message);

/* JSON in. */
enact_str enact_cstr(const char *s);
/* The value of `key` in a JSON object; false when absent or not an object. */
bool enact_json_member(enact_str object, const char *key, enact_str *value);
/* An integer value; false when `value` is not one. */
bool enact_json_int(enact_str value, int64_t *out);
/* A string value, decoded and NUL-terminated (free it); NULL when not a string. */
char *enact_json_string(enact_str value);
/* The integer member `key`, or `fallback` when absent or not an integer. */
int64_t enact_member_int(enact_str object, const char *key, int64_t fallback);
/* The string member `key` (free it), or a copy of `fallback` (NULL when
 * `fallback` is NULL). */
char *enact_member_string(enact_str object, const char *key, const char *fallback);

/* JSON out. */
void enact_buf_append(enact_buf *buf, const char *s, size_t len);
void enact_buf_raw(enact_buf *buf, const char *s);
void enact_buf_int(enact_buf *buf, int64_t n);
/* `s` as a JSON string, escaped. */
void enact_buf_string(enact_buf *buf, const char *s);
/* The buffer's text, NUL-terminated, owned by the buffer. */
const char *enact_buf_cstr(enact_buf *buf);
void enact_buf_free(enact_buf *buf);

/* The host: every value is journaled and a replay returns the recorded one. */
uint64_t enact_next_u64(void);
/* A uniform integer in [0, bound) from one draw (bound > 0). */
uint64_t enact_below(uint64_t bound);
/* Seconds since the Unix epoch. */
double enact_now(void);
/* Asks a person (or whoever answers) `prompt`; the answer satisfies `schema`
 * (JSON text, or NULL). Returns the answer as JSON text (free it). */
char *enact_ask(const char *prompt, const char *schema);
/* enact_ask, with `context` (JSON text, or NULL) shown to whoever answers
 * before the prompt: for a chat, the assistant's last reply. */
char *enact_ask_with(const char *prompt, const char *schema, const char *context);
/* Completes a conversation; returns the text (free it), or NULL and fills `err`. */
char *enact_complete(const enact_message *messages, size_t count, enact_error *err);
/* Invokes `target` as a child with `config` (JSON text, or NULL) and `input`;
 * returns its output JSON (free it), or NULL and fills `err`. */
char *enact_invoke(const char *target, const char *config, const char *input, enact_error *err);
/* Marks the end of step `name` of a state machine with `state` (a JSON
 * object as text), journaled. Returns the state to go on with, as JSON text
 * (free it): a copy of `state`, or the one a fork set. */
char *enact_mark(const char *name, const char *state);
/* A log line at info level, captured into the invocation. */
void enact_log(const char *message);

#endif
