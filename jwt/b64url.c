/*
 * Base64 in the two alphabets of RFC 4648: base64url without padding for
 * JWS segments (section 5, as RFC 7515 section 2 requires), and the
 * standard alphabet for the DER key text Atoti keeps in its properties.
 *
 * Decoding is strict so that every token has exactly one encoding: a
 * verifier that accepted two spellings of the same bytes would let a token
 * be altered without touching its signature check, which confuses any
 * cache, log or deny-list keyed on the token text.
 */
#include <stdint.h>
#include <stdlib.h>

#include "jwt_internal.h"

static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int url_digit_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

static int std_digit_value(unsigned char c)
{
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    if (c == '-' || c == '_')
        return -1;
    return url_digit_value(c);
}

static int is_ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t encode_with(const char *alphabet, int pad,
                          const unsigned char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;

    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
                     (uint32_t)in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

size_t mcp_b64url_encoded_len(size_t n)
{
    static const size_t tail[3] = {0, 2, 3};
    return n / 3 * 4 + tail[n % 3];
}

size_t mcp_b64url_encode(const unsigned char *in, size_t n, char *out)
{
    return encode_with(url_alphabet, 0, in, n, out);
}

char *mcp_b64url_encode_alloc(const unsigned char *in, size_t n)
{
    char *out = malloc(mcp_b64url_encoded_len(n) + 1);
    if (out)
        encode_with(url_alphabet, 0, in, n, out);
    return out;
}

char *mcp_b64_encode_alloc(const unsigned char *in, size_t n)
{
    char *out = malloc((n + 2) / 3 * 4 + 1);
    if (out)
        encode_with(std_alphabet, 1, in, n, out);
    return out;
}

/*
 * Accumulates 6-bit digits into bytes.  Once the digits run out, 0, 2 or 4
 * bits are left over; they must be zero, otherwise several texts would
 * decode to the same bytes.
 */
typedef struct {
    uint32_t bits;
    int nbits;
    size_t written;
} digit_sink;

static void sink_digit(digit_sink *sink, int value, unsigned char *out)
{
    sink->bits = ((sink->bits << 6) | (uint32_t)value) & 0xffffff;
    sink->nbits += 6;
    if (sink->nbits >= 8) {
        sink->nbits -= 8;
        out[sink->written++] = (unsigned char)(sink->bits >> sink->nbits);
    }
}

static int sink_leftover_is_zero(const digit_sink *sink)
{
    return (sink->bits & ((1u << sink->nbits) - 1)) == 0;
}

/*
 * The value of each byte as a base64url digit, 64 for a byte that is
 * none: a token's signature alone is 342 to 683 digits, and one lookup a
 * digit is what the guard pays for them.
 */
static const unsigned char url_values[256] = {
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 62, 64, 64,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 64, 64, 64, 64, 64, 64,
    64,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 64, 64, 64, 64, 63,
    64, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
};

int mcp_b64url_decode(const char *in, size_t len, unsigned char *out,
                      size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0, tail = len % 4;
    uint32_t v;

    /* One leftover character carries 6 bits: no byte can end there. */
    if (tail == 1)
        return -1;
    for (; i + 4 <= len; i += 4) {
        unsigned a = url_values[s[i]], b = url_values[s[i + 1]],
                 c = url_values[s[i + 2]], d = url_values[s[i + 3]];
        if ((a | b | c | d) & 64)
            return -1;
        v = a << 18 | b << 12 | c << 6 | d;
        out[o++] = (unsigned char)(v >> 16);
        out[o++] = (unsigned char)(v >> 8);
        out[o++] = (unsigned char)v;
    }
    if (tail) {
        /* Two digits make one byte, three make two; the 4 or 2 bits left
         * over must be zero, otherwise several texts would decode to the
         * same bytes. */
        unsigned a = url_values[s[i]], b = url_values[s[i + 1]],
                 c = tail == 3 ? url_values[s[i + 2]] : 0;
        if ((a | b | c) & 64)
            return -1;
        v = a << 18 | b << 12 | c << 6;
        out[o++] = (unsigned char)(v >> 16);
        if (tail == 3)
            out[o++] = (unsigned char)(v >> 8);
        if (v & (tail == 3 ? 0xffu : 0xffffu))
            return -1;
    }
    *outlen = o;
    return 0;
}

int mcp_b64_decode_key_text(const char *in, size_t len, unsigned char *out,
                            size_t *outlen)
{
    digit_sink sink = {0, 0, 0};
    size_t digits = 0, padding = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (is_ascii_space(c))
            continue;
        if (c == '=') {
            padding++;
            continue;
        }
        int value = std_digit_value(c);
        if (value < 0 || padding > 0)
            return -1;
        sink_digit(&sink, value, out);
        digits++;
    }
    if (digits % 4 == 1)
        return -1;
    if (padding > 0 && padding != (4 - digits % 4) % 4)
        return -1;
    if (!sink_leftover_is_zero(&sink))
        return -1;
    *outlen = sink.written;
    return 0;
}
