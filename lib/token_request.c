/*
 * The body of a POST to <base>/token.  Both parsers refuse rather than
 * guess: a member or field they do not know, given twice, or of the wrong
 * type is an error naming it, so a client's typo never silently becomes a
 * default lifetime.
 */
#include "token_request.h"
#include "form.h"
#include "message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "timefmt.h"
#include "utf8.h"

/* Deeper than any valid request (an object holding an array) by a margin,
 * and far below what would let cJSON recurse for long. */
#define JSON_MAX_DEPTH 8

/* How much of a client-supplied name a message repeats. */
#define NAME_SHOWN 40

void mcp_token_request_init(mcp_token_request *req)
{
    req->expires_in = NULL;
    req->expires_at = NULL;
    req->has_authorities = 0;
    mcp_roles_init(&req->authorities);
    req->csrf = NULL;
    req->decided = 0;
    req->deny = 0;
}

void mcp_token_request_clear(mcp_token_request *req)
{
    if (req == NULL)
        return;
    free(req->expires_in);
    free(req->expires_at);
    free(req->csrf);
    mcp_roles_clear(&req->authorities);
    mcp_token_request_init(req);
}

/* A client-supplied name made safe to repeat in a message, a log line or a
 * page: printable ASCII other than quotes and backslashes, the rest as '?',
 * cut at NAME_SHOWN bytes.  out needs NAME_SHOWN + 4 bytes. */
static const char *shown_name(const char *s, size_t len, char *out)
{
    size_t i, n = len < NAME_SHOWN ? len : NAME_SHOWN;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] =
            (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
    }
    if (len > NAME_SHOWN) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

static char *dup_text(const char *s, size_t len)
{
    char *copy = malloc(len + 1);

    if (copy) {
        memcpy(copy, s, len);
        copy[len] = '\0';
    }
    return copy;
}

/* ------------------------------------------------------------------ */
/* JSON                                                                 */
/* ------------------------------------------------------------------ */

/*
 * What cJSON does not check, checked on the raw text before it parses:
 * UTF-8, raw NUL bytes, raw control characters inside strings (RFC 8259
 * forbids them), "\u0000" inside strings (cJSON would cut the string
 * there, so two different names could compare equal), and the nesting
 * depth (cJSON recurses once per level).
 */
static mcp_treq_status json_prescan(const char *s, size_t len, char *msg,
                                    size_t msglen)
{
    size_t i, depth = 0;
    int in_string = 0;

    if (!mcp_utf8_valid(s, len)) {
        mcp_message(msg, msglen, "the body is not valid UTF-8");
        return MCP_TREQ_MALFORMED;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\0') {
            mcp_message(msg, msglen, "the body holds a NUL byte");
            return MCP_TREQ_MALFORMED;
        }
        if (in_string) {
            if (c == '"') {
                in_string = 0;
            } else if (c < 0x20) {
                mcp_message(msg, msglen,
                        "a string holds a raw control character: escape it");
                return MCP_TREQ_MALFORMED;
            } else if (c == '\\' && i + 1 < len) {
                i++;
                if (s[i] == 'u' && len - i > 4 &&
                    memcmp(s + i + 1, "0000", 4) == 0) {
                    mcp_message(msg, msglen, "strings must not contain \\u0000");
                    return MCP_TREQ_MALFORMED;
                }
            }
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > JSON_MAX_DEPTH) {
                mcp_message(msg, msglen, "the body nests deeper than %d levels",
                        JSON_MAX_DEPTH);
                return MCP_TREQ_MALFORMED;
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return MCP_TREQ_OK;
}

static int json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static mcp_treq_status json_authorities(const cJSON *item,
                                        mcp_token_request *req, char *msg,
                                        size_t msglen)
{
    const cJSON *role;
    size_t index = 0;

    if (!cJSON_IsArray(item)) {
        mcp_message(msg, msglen,
                "\"authorities\" must be an array of role strings");
        return MCP_TREQ_TYPE;
    }
    cJSON_ArrayForEach(role, item)
    {
        size_t len;
        int r;

        if (!cJSON_IsString(role) || role->valuestring == NULL) {
            mcp_message(msg, msglen, "\"authorities\"[%zu] must be a string",
                    index);
            return MCP_TREQ_TYPE;
        }
        len = strlen(role->valuestring);
        if (!mcp_role_is_valid(role->valuestring, len)) {
            mcp_message(msg, msglen,
                    "\"authorities\"[%zu] is not a valid role (1 to %d "
                    "bytes, no control character)",
                    index, MCP_ROLE_MAX_LEN);
            return MCP_TREQ_TYPE;
        }
        if (req->authorities.n >= MCP_ROLES_MAX &&
            !mcp_roles_contains(&req->authorities, role->valuestring)) {
            mcp_message(msg, msglen, "\"authorities\" holds more than %d roles",
                    MCP_ROLES_MAX);
            return MCP_TREQ_TYPE;
        }
        r = mcp_roles_add(&req->authorities, role->valuestring, len);
        if (r < 0) {
            mcp_message(msg, msglen, "out of memory");
            return MCP_TREQ_NOMEM;
        }
        index++;
    }
    req->has_authorities = 1;
    return MCP_TREQ_OK;
}

static mcp_treq_status json_members(const cJSON *root, mcp_token_request *req,
                                    char *msg, size_t msglen)
{
    const cJSON *m;
    int seen_in = 0, seen_at = 0, seen_auth = 0;
    char shown[NAME_SHOWN + 4];

    cJSON_ArrayForEach(m, root)
    {
        const char *name = m->string ? m->string : "";
        int *seen;
        char **slot = NULL;
        mcp_treq_status st;

        if (strcmp(name, "expiresIn") == 0) {
            seen = &seen_in;
            slot = &req->expires_in;
        } else if (strcmp(name, "expiresAt") == 0) {
            seen = &seen_at;
            slot = &req->expires_at;
        } else if (strcmp(name, "authorities") == 0) {
            seen = &seen_auth;
        } else {
            mcp_message(msg, msglen,
                    "unknown member \"%s\": give \"expiresIn\" or "
                    "\"expiresAt\", and optionally \"authorities\"",
                    shown_name(name, strlen(name), shown));
            return MCP_TREQ_UNKNOWN;
        }
        if (*seen) {
            mcp_message(msg, msglen, "member \"%s\" is given twice", name);
            return MCP_TREQ_DUPLICATE;
        }
        *seen = 1;
        if (slot == NULL) {
            st = json_authorities(m, req, msg, msglen);
            if (st != MCP_TREQ_OK)
                return st;
            continue;
        }
        if (!cJSON_IsString(m) || m->valuestring == NULL) {
            mcp_message(msg, msglen, "\"%s\" must be a string", name);
            return MCP_TREQ_TYPE;
        }
        *slot = dup_text(m->valuestring, strlen(m->valuestring));
        if (*slot == NULL) {
            mcp_message(msg, msglen, "out of memory");
            return MCP_TREQ_NOMEM;
        }
    }
    if (seen_in && seen_at) {
        mcp_message(msg, msglen,
                "give either \"expiresIn\" or \"expiresAt\", not both");
        return MCP_TREQ_BOTH;
    }
    if (!seen_in && !seen_at) {
        mcp_message(msg, msglen,
                "give \"expiresIn\" (a duration such as P30D) or "
                "\"expiresAt\" (an RFC 3339 date-time)");
        return MCP_TREQ_NEITHER;
    }
    return MCP_TREQ_OK;
}

/* What both parsers do first: an empty request and message, and the size
 * limit.  A NULL body is an empty one. */
static mcp_treq_status start(mcp_token_request *req, const char *body,
                             size_t *len, char *msg, size_t msglen)
{
    mcp_message(msg, msglen, "%s", "");
    mcp_token_request_clear(req);
    if (*len > MCP_TOKEN_REQUEST_MAX_BODY) {
        mcp_message(msg, msglen, "the body is larger than %d bytes",
                    MCP_TOKEN_REQUEST_MAX_BODY);
        return MCP_TREQ_TOO_LARGE;
    }
    if (body == NULL)
        *len = 0;
    return MCP_TREQ_OK;
}

mcp_treq_status mcp_token_request_parse_json(const char *body, size_t len,
                                             mcp_token_request *req, char *msg,
                                             size_t msglen)
{
    const char *end = NULL;
    cJSON *root;
    mcp_treq_status st;
    size_t i;

    if (start(req, body, &len, msg, msglen) != MCP_TREQ_OK)
        return MCP_TREQ_TOO_LARGE;
    for (i = 0; i < len && json_space(body[i]); i++)
        ;
    if (i == len) {
        mcp_message(msg, msglen,
                "the body is empty: send a JSON object such as "
                "{\"expiresIn\":\"P30D\"}");
        return MCP_TREQ_MALFORMED;
    }
    st = json_prescan(body, len, msg, msglen);
    if (st != MCP_TREQ_OK)
        return st;

    root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (root == NULL) {
        mcp_message(msg, msglen, "the body is not valid JSON");
        return MCP_TREQ_MALFORMED;
    }
    /* cJSON stops after the first value: anything but white space after it
     * is a second value or garbage. */
    for (; end && end < body + len; end++) {
        if (!json_space(*end)) {
            cJSON_Delete(root);
            mcp_message(msg, msglen, "the body has data after the JSON object");
            return MCP_TREQ_MALFORMED;
        }
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        mcp_message(msg, msglen, "the body must be a JSON object");
        return MCP_TREQ_NOT_OBJECT;
    }
    st = json_members(root, req, msg, msglen);
    cJSON_Delete(root);
    if (st != MCP_TREQ_OK)
        mcp_token_request_clear(req);
    return st;
}

/* ------------------------------------------------------------------ */
/* HTML form                                                            */
/* ------------------------------------------------------------------ */


static int is_digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* "Z" or [+-]hh:mm, hh 00-23 and mm 00-59 as RFC 3339 has them. */
static int valid_tz(const char *tz)
{
    if (strcmp(tz, "Z") == 0)
        return 1;
    return strlen(tz) == 6 && (tz[0] == '+' || tz[0] == '-') &&
           is_digits(tz + 1, 2) && tz[3] == ':' && is_digits(tz + 4, 2) &&
           (tz[1] - '0') * 10 + (tz[2] - '0') <= 23 && tz[4] <= '5';
}

/* The fields this endpoint takes, with a bit each for "seen". */
enum {
    F_LIFETIME = 1 << 0,
    F_DATE = 1 << 1,
    F_TZ = 1 << 2,
    F_ROLES_SHOWN = 1 << 3,
    F_CSRF = 1 << 4,
    F_DECISION = 1 << 5
};

typedef struct {
    char *lifetime, *date, *tz;
    unsigned seen;
} form_fields;

static mcp_treq_status form_field(const char *name, char *value, size_t vlen,
                                  form_fields *f, mcp_token_request *req,
                                  char *msg, size_t msglen)
{
    static const struct {
        const char *name;
        unsigned bit;
    } single[] = {{"lifetime", F_LIFETIME},
                  {"date", F_DATE},
                  {"tz", F_TZ},
                  {"roles_shown", F_ROLES_SHOWN},
                  {"csrf", F_CSRF},
                  {"decision", F_DECISION}};
    char shown[NAME_SHOWN + 4];
    size_t k;
    char **slot;

    if (strcmp(name, "authorities") == 0) {
        int r;
        if (!mcp_role_is_valid(value, vlen)) {
            mcp_message(msg, msglen,
                    "field \"authorities\" holds an invalid role (1 to %d "
                    "bytes, no control character)",
                    MCP_ROLE_MAX_LEN);
            return MCP_TREQ_TYPE;
        }
        if (req->authorities.n >= MCP_ROLES_MAX &&
            !mcp_roles_contains(&req->authorities, value)) {
            mcp_message(msg, msglen,
                    "field \"authorities\" holds more than %d roles",
                    MCP_ROLES_MAX);
            return MCP_TREQ_TYPE;
        }
        r = mcp_roles_add(&req->authorities, value, vlen);
        if (r < 0) {
            mcp_message(msg, msglen, "out of memory");
            return MCP_TREQ_NOMEM;
        }
        req->has_authorities = 1;
        return MCP_TREQ_OK;
    }
    for (k = 0; k < sizeof(single) / sizeof(single[0]); k++)
        if (strcmp(name, single[k].name) == 0)
            break;
    if (k == sizeof(single) / sizeof(single[0])) {
        mcp_message(msg, msglen, "unknown field \"%s\"",
                shown_name(name, strlen(name), shown));
        return MCP_TREQ_UNKNOWN;
    }
    if (f->seen & single[k].bit) {
        mcp_message(msg, msglen, "field \"%s\" is given twice", name);
        return MCP_TREQ_DUPLICATE;
    }
    f->seen |= single[k].bit;

    switch (single[k].bit) {
    case F_ROLES_SHOWN:
        if (strcmp(value, "1") != 0) {
            mcp_message(msg, msglen, "field \"roles_shown\" must be 1");
            return MCP_TREQ_TYPE;
        }
        req->has_authorities = 1;
        return MCP_TREQ_OK;
    case F_LIFETIME:
        slot = &f->lifetime;
        break;
    case F_DATE:
        slot = &f->date;
        break;
    case F_TZ:
        slot = &f->tz;
        break;
    case F_DECISION:
        if (strcmp(value, "approve") && strcmp(value, "deny")) {
            mcp_message(msg, msglen,
                        "field \"decision\" must be approve or deny");
            return MCP_TREQ_TYPE;
        }
        req->deny = strcmp(value, "deny") == 0;
        req->decided = 1;
        return MCP_TREQ_OK;
    default:
        slot = &req->csrf;
        break;
    }
    *slot = dup_text(value, vlen);
    if (*slot == NULL) {
        mcp_message(msg, msglen, "out of memory");
        return MCP_TREQ_NOMEM;
    }
    return MCP_TREQ_OK;
}

/* lifetime=custom: the last second of the chosen day at the browser's
 * offset, checked as a whole by the RFC 3339 reader (which knows the
 * lengths of months). */
static mcp_treq_status form_custom_date(const form_fields *f,
                                        mcp_token_request *req, char *msg,
                                        size_t msglen)
{
    const char *tz = (f->tz && *f->tz) ? f->tz : "Z";
    const char *d = f->date;
    char text[32];

    if (d == NULL || *d == '\0') {
        mcp_message(msg, msglen,
                "give \"date\" (YYYY-MM-DD) with \"lifetime\" custom");
        return MCP_TREQ_NEITHER;
    }
    if (strlen(d) != 10 || !is_digits(d, 4) || d[4] != '-' ||
        !is_digits(d + 5, 2) || d[7] != '-' || !is_digits(d + 8, 2)) {
        mcp_message(msg, msglen, "field \"date\" must be a date YYYY-MM-DD");
        return MCP_TREQ_TYPE;
    }
    if (!valid_tz(tz)) {
        mcp_message(msg, msglen,
                "field \"tz\" must be Z or an offset such as +02:00");
        return MCP_TREQ_TYPE;
    }
    snprintf(text, sizeof(text), "%sT23:59:59%s", d, tz);
    if (mcp_rfc3339_parse(text, strlen(text), NULL) != 0) {
        mcp_message(msg, msglen, "field \"date\" is not a date of the calendar");
        return MCP_TREQ_TYPE;
    }
    req->expires_at = dup_text(text, strlen(text));
    if (req->expires_at == NULL) {
        mcp_message(msg, msglen, "out of memory");
        return MCP_TREQ_NOMEM;
    }
    return MCP_TREQ_OK;
}

static mcp_treq_status parse_form(const char *body, size_t len,
                                  mcp_token_request *req, form_fields *f,
                                  char *buf, char *msg, size_t msglen)
{
    size_t pos = 0;
    mcp_treq_status st;
    mcp_form_pair p;

    while (mcp_form_next_pair(body, len, &pos, &p)) {
        long dn, dv = 0;
        char *name = buf, *value;

        /* "a=1&&b=2" and a trailing '&' carry nothing, as browsers and
         * URLSearchParams read them */
        if (p.len == 0)
            continue;
        dn = mcp_form_decode(p.name, p.nlen, name);
        value = buf + (dn < 0 ? 0 : dn) + 1;
        value[0] = '\0';
        /* "name" alone is "name=" */
        if (dn >= 0 && p.value)
            dv = mcp_form_decode(p.value, p.vlen, value);
        if (dn < 0 || dv < 0) {
            mcp_message(msg, msglen,
                    "the form has a bad percent escape or a NUL byte");
            return MCP_TREQ_MALFORMED;
        }
        if (!mcp_utf8_valid(name, (size_t)dn) ||
            !mcp_utf8_valid(value, (size_t)dv)) {
            mcp_message(msg, msglen, "the form is not valid UTF-8");
            return MCP_TREQ_MALFORMED;
        }
        st = form_field(name, value, (size_t)dv, f, req, msg, msglen);
        if (st != MCP_TREQ_OK)
            return st;
    }

    if (f->lifetime == NULL || *f->lifetime == '\0') {
        mcp_message(msg, msglen,
                "choose a lifetime: give \"lifetime\" (a duration such as "
                "P30D, or custom with \"date\")");
        return MCP_TREQ_NEITHER;
    }
    /* With a preset, date and tz are whatever the page's other inputs
     * held: a browser submits them anyway. */
    if (strcmp(f->lifetime, "custom") == 0)
        return form_custom_date(f, req, msg, msglen);
    req->expires_in = f->lifetime;
    f->lifetime = NULL;
    return MCP_TREQ_OK;
}

/*
 * After a failed parse: the csrf field alone, when the body holds exactly
 * one well-formed one, so that the caller can refuse a forged post before
 * saying what else is wrong with it (a forgery then learns nothing).
 */
static char *form_find_csrf(const char *body, size_t len, char *buf)
{
    size_t pos = 0;
    char *found = NULL;
    mcp_form_pair p;

    while (mcp_form_next_pair(body, len, &pos, &p)) {
        long dn = mcp_form_decode(p.name, p.nlen, buf), dv = 0;

        if (dn < 0 || strcmp(buf, "csrf") != 0)
            continue;
        buf[0] = '\0';
        if (p.value)
            dv = mcp_form_decode(p.value, p.vlen, buf);
        if (found || dv < 0 || !mcp_utf8_valid(buf, (size_t)dv)) {
            free(found);
            return NULL;
        }
        found = dup_text(buf, (size_t)dv);
        if (found == NULL)
            return NULL;
    }
    return found;
}

mcp_treq_status mcp_token_request_parse_form(const char *body, size_t len,
                                             mcp_token_request *req, char *msg,
                                             size_t msglen)
{
    form_fields f = {NULL, NULL, NULL, 0};
    mcp_treq_status st;
    char *buf;

    if (start(req, body, &len, msg, msglen) != MCP_TREQ_OK)
        return MCP_TREQ_TOO_LARGE;
    /* one pair decoded at a time: its name and value never outgrow it */
    buf = malloc(len + 2);
    if (buf == NULL) {
        mcp_message(msg, msglen, "out of memory");
        return MCP_TREQ_NOMEM;
    }
    st = parse_form(body, len, req, &f, buf, msg, msglen);
    free(f.lifetime);
    free(f.date);
    free(f.tz);
    if (st != MCP_TREQ_OK) {
        mcp_token_request_clear(req);
        if (st != MCP_TREQ_NOMEM)
            req->csrf = form_find_csrf(body, len, buf);
    }
    free(buf);
    return st;
}

const char *mcp_treq_status_code(mcp_treq_status st)
{
    switch (st) {
    case MCP_TREQ_OK:
        return "ok";
    case MCP_TREQ_TOO_LARGE:
        return "payload_too_large";
    case MCP_TREQ_NOMEM:
        return "server_error";
    case MCP_TREQ_MALFORMED:
    case MCP_TREQ_NOT_OBJECT:
    case MCP_TREQ_DUPLICATE:
    case MCP_TREQ_UNKNOWN:
    case MCP_TREQ_TYPE:
    case MCP_TREQ_BOTH:
    case MCP_TREQ_NEITHER:
        return "invalid_request";
    }
    return "invalid_request";
}
