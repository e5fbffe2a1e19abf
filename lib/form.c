/*
 * Form-encoded pairs: see form.h.
 */

#include "form.h"

#include <string.h>

#include "hex.h"

int mcp_form_next_pair(const char *text, size_t len, size_t *pos,
                       mcp_form_pair *p)
{
    const char *pair, *amp, *eq;

    if (*pos >= len)
        return 0;
    pair = text + *pos;
    amp = memchr(pair, '&', len - *pos);
    p->len = amp ? (size_t)(amp - pair) : len - *pos;
    eq = memchr(pair, '=', p->len);
    p->name = pair;
    p->nlen = eq ? (size_t)(eq - pair) : p->len;
    p->value = eq ? eq + 1 : NULL;
    p->vlen = eq ? p->len - p->nlen - 1 : 0;
    *pos += p->len + 1;
    return 1;
}

long mcp_form_decode(const char *s, size_t len, char *out)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        }
        else if (c == '%') {
            int hi, lo;
            if (len - i < 3)
                return -1;
            hi = mcp_hex_value(s[i + 1]);
            lo = mcp_hex_value(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0')
            return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return (long)n;
}
