/*
 * Strict UTF-8.  Tokens are read by other languages' JSON libraries, and
 * some of them replace or refuse what a lax check lets through, so the
 * bytes are checked before they go into a token.
 */
#include "utf8.h"

int mcp_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        unsigned c = p[i];
        size_t need, k;
        unsigned lo = 0x80, hi = 0xBF;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c < 0xC2 || c > 0xF4)
            return 0; /* a continuation byte, an overlong lead, or > 4 bytes */
        if (c < 0xE0) {
            need = 1;
        } else if (c < 0xF0) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else {
            need = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        }
        if (n - i - 1 < need)
            return 0;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return 0;
        for (k = 2; k <= need; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF)
                return 0;
        i += need + 1;
    }
    return 1;
}
