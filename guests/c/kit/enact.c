/* The C guest kit: the `invokable` exports over wit-bindgen's bindings, a
 * small JSON reader and writer, and the host's journaled sources. */
#include "enact.h"

#include <stdlib.h>
#include <string.h>

#include "invokable.h"

/* ---- strings between the kit and the bindings ---- */

static char *dup_n(const char *s, size_t len) {
    char *out = malloc(len + 1);
    memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

static char *dup_str(const char *s) { return dup_n(s, strlen(s)); }

static invokable_string_t owned(const char *s) {
    invokable_string_t out;
    invokable_string_dup(&out, s);
    return out;
}

static invokable_option_string_t owned_option(const char *s) {
    invokable_option_string_t out = {.is_some = s != NULL};
    if (s) invokable_string_dup(&out.val, s);
    return out;
}

/* Borrows `s` without copying: for arguments the host only reads. */
static invokable_string_t borrowed(const char *s) {
    invokable_string_t out;
    invokable_string_set(&out, s);
    return out;
}

/* Takes ownership of a string the host returned, NUL-terminated. */
static char *take(invokable_string_t *s) {
    char *out = dup_n((const char *)s->ptr, s->len);
    invokable_string_free(s);
    return out;
}

bool enact_fail(enact_error *err, const char *code, const char *message) {
    err->code = dup_str(code);
    err->message = dup_str(message);
    return false;
}

static void from_host_error(enact_error *err, enact_runtime_types_error_t *e) {
    err->code = take(&e->code);
    err->message = take(&e->message);
    invokable_option_string_free(&e->details);
}

/* ---- the exports ---- */

void exports_invokable_describe(invokable_metadata_t *ret) {
    ret->name = owned(enact_invokable.name);
    ret->doc = owned(enact_invokable.doc ? enact_invokable.doc : "");
    ret->config_schema = owned_option(enact_invokable.config_schema);
    ret->input_schema = owned_option(enact_invokable.input_schema);
    ret->output_schema = owned_option(enact_invokable.output_schema);
}

bool exports_invokable_call(invokable_string_t *config, invokable_string_t *input, invokable_string_t *ret,
                            invokable_error_t *err) {
    enact_str c = {(const char *)config->ptr, config->len};
    enact_str i = {(const char *)input->ptr, input->len};
    enact_buf out = {0};
    enact_error e = {0};
    bool ok = enact_run(c, i, &out, &e);
    invokable_string_free(config);
    invokable_string_free(input);
    if (ok) {
        /* The post-return frees the buffer. */
        ret->ptr = (uint8_t *)out.ptr;
        ret->len = out.len;
        return true;
    }
    enact_buf_free(&out);
    err->code = owned(e.code ? e.code : "error");
    err->message = owned(e.message ? e.message : "");
    err->details.is_some = false;
    free(e.code);
    free(e.message);
    return false;
}

/* ---- JSON in ---- */

enact_str enact_cstr(const char *s) { return (enact_str){s, strlen(s)}; }

static size_t skip_space(enact_str s, size_t i) {
    while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\t' || s.ptr[i] == '\n' || s.ptr[i] == '\r')) i++;
    return i;
}

/* The index just past the string starting at `i` (a quote). */
static size_t skip_string(enact_str s, size_t i) {
    for (i++; i < s.len; i++) {
        if (s.ptr[i] == '\\') i++;
        else if (s.ptr[i] == '"') return i + 1;
    }
    return s.len;
}

/* The index just past the value starting at `i`. The host hands guests valid
 * JSON, so the scanner only has to find where values end. */
static size_t skip_value(enact_str s, size_t i) {
    if (i >= s.len) return i;
    if (s.ptr[i] == '"') return skip_string(s, i);
    if (s.ptr[i] == '{' || s.ptr[i] == '[') {
        int depth = 0;
        while (i < s.len) {
            char c = s.ptr[i];
            if (c == '"') {
                i = skip_string(s, i);
                continue;
            }
            if (c == '{' || c == '[') depth++;
            if (c == '}' || c == ']') depth--;
            i++;
            if (depth == 0) return i;
        }
        return i;
    }
    while (i < s.len && !strchr(",]} \t\r\n", s.ptr[i])) i++;
    return i;
}

static enact_str trimmed(enact_str s) {
    size_t start = skip_space(s, 0), end = s.len;
    while (end > start && strchr(" \t\r\n", s.ptr[end - 1])) end--;
    return (enact_str){s.ptr + start, end - start};
}

bool enact_json_member(enact_str object, const char *key, enact_str *value) {
    size_t i = skip_space(object, 0);
    if (i >= object.len || object.ptr[i] != '{') return false;
    i++;
    while (true) {
        i = skip_space(object, i);
        if (i >= object.len || object.ptr[i] != '"') return false;
        size_t name_end = skip_string(object, i);
        enact_str name = {object.ptr + i, name_end - i};
        char *decoded = enact_json_string(name);
        bool match = decoded && strcmp(decoded, key) == 0;
        free(decoded);
        i = skip_space(object, name_end);
        if (i >= object.len || object.ptr[i] != ':') return false;
        i = skip_space(object, i + 1);
        size_t end = skip_value(object, i);
        if (match) {
            *value = (enact_str){object.ptr + i, end - i};
            return true;
        }
        i = skip_space(object, end);
        if (i >= object.len || object.ptr[i] != ',') return false;
        i++;
    }
}

bool enact_json_int(enact_str value, int64_t *out) {
    enact_str v = trimmed(value);
    size_t i = 0;
    bool negative = v.len > 0 && v.ptr[0] == '-';
    if (negative) i++;
    if (i == v.len) return false;
    uint64_t n = 0;
    for (; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9' || n > (UINT64_MAX - 9) / 10) return false;
        n = n * 10 + (uint64_t)(v.ptr[i] - '0');
    }
    if (n > (uint64_t)INT64_MAX) return false;
    *out = negative ? -(int64_t)n : (int64_t)n;
    return true;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool hex4(enact_str s, size_t i, uint32_t *out) {
    if (i + 4 > s.len) return false;
    uint32_t n = 0;
    for (size_t k = i; k < i + 4; k++) {
        int d = hex_digit(s.ptr[k]);
        if (d < 0) return false;
        n = n * 16 + (uint32_t)d;
    }
    *out = n;
    return true;
}

static void append_utf8(enact_buf *buf, uint32_t cp) {
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 0x3F)), b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | (cp >> 12 & 0x3F)), b[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    enact_buf_append(buf, b, n);
}

char *enact_json_string(enact_str value) {
    enact_str v = trimmed(value);
    if (v.len < 2 || v.ptr[0] != '"' || v.ptr[v.len - 1] != '"') return NULL;
    enact_buf out = {0};
    enact_buf_append(&out, "", 0);
    for (size_t i = 1; i + 1 < v.len; i++) {
        char c = v.ptr[i];
        if (c != '\\') {
            enact_buf_append(&out, &c, 1);
            continue;
        }
        c = v.ptr[++i];
        uint32_t cp;
        switch (c) {
        case 'n': enact_buf_append(&out, "\n", 1); break;
        case 't': enact_buf_append(&out, "\t", 1); break;
        case 'r': enact_buf_append(&out, "\r", 1); break;
        case 'b': enact_buf_append(&out, "\b", 1); break;
        case 'f': enact_buf_append(&out, "\f", 1); break;
        case 'u':
            if (!hex4(v, i + 1, &cp)) goto bad;
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                uint32_t low;
                if (i + 2 >= v.len || v.ptr[i + 1] != '\\' || v.ptr[i + 2] != 'u' || !hex4(v, i + 3, &low)) goto bad;
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            append_utf8(&out, cp);
            break;
        default: enact_buf_append(&out, &c, 1); break; /* \" \\ \/ */
        }
    }
    enact_buf_cstr(&out);
    return out.ptr;
bad:
    enact_buf_free(&out);
    return NULL;
}

int64_t enact_member_int(enact_str object, const char *key, int64_t fallback) {
    enact_str value;
    int64_t n;
    return enact_json_member(object, key, &value) && enact_json_int(value, &n) ? n : fallback;
}

char *enact_member_string(enact_str object, const char *key, const char *fallback) {
    enact_str value;
    char *s = enact_json_member(object, key, &value) ? enact_json_string(value) : NULL;
    return s ? s : fallback ? dup_str(fallback) : NULL;
}

/* ---- JSON out ---- */

void enact_buf_append(enact_buf *buf, const char *s, size_t len) {
    if (buf->len + len + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 64;
        while (cap < buf->len + len + 1) cap *= 2;
        buf->ptr = realloc(buf->ptr, cap);
        buf->cap = cap;
    }
    memcpy(buf->ptr + buf->len, s, len);
    buf->len += len;
}

void enact_buf_raw(enact_buf *buf, const char *s) { enact_buf_append(buf, s, strlen(s)); }

void enact_buf_int(enact_buf *buf, int64_t n) {
    char digits[21];
    size_t i = sizeof digits;
    uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    do {
        digits[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (n < 0) digits[--i] = '-';
    enact_buf_append(buf, digits + i, sizeof digits - i);
}

void enact_buf_string(enact_buf *buf, const char *s) {
    static const char hex[] = "0123456789abcdef";
    enact_buf_append(buf, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            enact_buf_append(buf, esc, 2);
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            enact_buf_append(buf, esc, 6);
        } else {
            enact_buf_append(buf, s, 1);
        }
    }
    enact_buf_append(buf, "\"", 1);
}

const char *enact_buf_cstr(enact_buf *buf) {
    enact_buf_append(buf, "", 0);
    buf->ptr[buf->len] = '\0';
    return buf->ptr;
}

void enact_buf_free(enact_buf *buf) {
    free(buf->ptr);
    *buf = (enact_buf){0};
}

/* ---- the host ---- */

uint64_t enact_next_u64(void) { return enact_runtime_random_next_u64(); }

uint64_t enact_below(uint64_t bound) {
    return (uint64_t)(((unsigned __int128)enact_runtime_random_next_u64() * bound) >> 64);
}

double enact_now(void) {
    enact_runtime_clock_datetime_t t;
    enact_runtime_clock_now(&t);
    return (double)t.seconds + t.nanoseconds / 1e9;
}

char *enact_ask(const char *prompt, const char *schema) {
    return enact_ask_with(prompt, schema, NULL);
}

char *enact_ask_with(const char *prompt, const char *schema, const char *context) {
    enact_buf text = {0};
    enact_buf_string(&text, prompt);
    enact_runtime_input_input_request_t req = {
        .prompt = borrowed(enact_buf_cstr(&text)),
        .schema = {.is_some = schema != NULL},
        .context = {.is_some = context != NULL},
    };
    if (schema) req.schema.val = borrowed(schema);
    if (context) req.context.val = borrowed(context);
    invokable_string_t answer;
    enact_runtime_input_request(&req, &answer);
    enact_buf_free(&text);
    return take(&answer);
}

char *enact_complete(const enact_message *messages, size_t count, enact_error *err) {
    enact_runtime_llm_message_t *list = malloc(count * sizeof *list + 1);
    for (size_t i = 0; i < count; i++) {
        list[i].role = borrowed(messages[i].role);
        list[i].content = borrowed(messages[i].content);
    }
    enact_runtime_llm_completion_request_t req = {
        .model = {.is_some = false},
        .messages = {list, count},
        .temperature = {.is_some = false},
        .max_tokens = {.is_some = false},
        .stop = {NULL, 0},
        .response_format = {.is_some = false},
    };
    enact_runtime_llm_completion_t completion;
    enact_runtime_llm_llm_error_t e;
    bool ok = enact_runtime_llm_complete(&req, &completion, &e);
    free(list);
    if (!ok) {
        static const char *const codes[] = {"llm-unavailable", "llm-rejected", "llm-malformed", "llm-timeout"};
        err->code = dup_str(e.tag < 4 ? codes[e.tag] : "llm-error");
        err->message = take(&e.val.unavailable); /* every case holds one string */
        return NULL;
    }
    char *text = take(&completion.text);
    invokable_string_free(&completion.finish_reason);
    invokable_string_free(&completion.model);
    return text;
}

char *enact_invoke(const char *target, const char *config, const char *input, enact_error *err) {
    invokable_string_t t = borrowed(target), c = {0}, i = borrowed(input), out;
    if (config) c = borrowed(config);
    enact_runtime_invoke_error_t e;
    if (!enact_runtime_invoke_call(&t, config ? &c : NULL, &i, &out, &e)) {
        from_host_error(err, &e);
        return NULL;
    }
    return take(&out);
}

char *enact_mark(const char *name, const char *state) {
    invokable_string_t n = borrowed(name), s = borrowed(state), replaced;
    if (enact_runtime_step_mark(&n, &s, &replaced)) return take(&replaced);
    return dup_str(state);
}

void enact_log(const char *message) {
    invokable_string_t m = borrowed(message);
    enact_runtime_log_log(ENACT_RUNTIME_TYPES_LEVEL_INFO, &m);
}
