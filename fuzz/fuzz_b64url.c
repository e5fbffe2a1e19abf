/*
 * libFuzzer target for jwt/b64url.c: the strict base64url decoder of JWS
 * segments and the standard-alphabet decoder of Base64 DER key text.
 * What must hold for any input:
 *   - decoding writes no more than the documented (len * 3) / 4 bytes (the
 *     output buffer has exactly that size, so ASan sees an overrun);
 *   - base64url: encode then decode gives the bytes back; a text that
 *     decodes is the one encoding of its bytes (re-encoding gives the text),
 *     which is what keeps a token from having two spellings;
 *   - key text: a text that decodes is the standard encoding of its bytes
 *     once white space and '=' are set aside.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jwt_internal.h"

static void check_url_round_trip(const uint8_t *data, size_t size)
{
    size_t enc_len = mcp_b64url_encoded_len(size), dec_len = 0;
    char *enc = malloc(enc_len + 1);
    unsigned char *dec = malloc(enc_len * 3 / 4);

    if (enc == NULL || (dec == NULL && enc_len > 0))
        abort();
    if (mcp_b64url_encode(data, size, enc) != enc_len || strlen(enc) != enc_len)
        abort();
    if (mcp_b64url_decode(enc, enc_len, dec, &dec_len) != 0 ||
        dec_len != size || memcmp(dec, data, size) != 0)
        abort();
    free(enc);
    free(dec);
}

static void check_url_decode(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    unsigned char *dec = malloc(size * 3 / 4);
    size_t dec_len = 0;
    char *again;

    if (dec == NULL && size > 0)
        abort();
    if (mcp_b64url_decode(text, size, dec, &dec_len) == 0) {
        if (dec_len > size * 3 / 4)
            abort();
        again = mcp_b64url_encode_alloc(dec, dec_len);
        if (again == NULL || strlen(again) != size ||
            memcmp(again, text, size) != 0)
            abort();
        free(again);
    }
    free(dec);
}

static int is_key_text_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The text without white space and '=', and likewise the encoding. */
static size_t strip(const char *in, size_t n, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++)
        if (!is_key_text_space(in[i]) && in[i] != '=')
            out[o++] = in[i];
    return o;
}

static void check_key_text_decode(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    unsigned char *dec = malloc(size * 3 / 4);
    size_t dec_len = 0, a, b;
    char *again, *s1, *s2;

    if (dec == NULL && size > 0)
        abort();
    if (mcp_b64_decode_key_text(text, size, dec, &dec_len) == 0) {
        if (dec_len > size * 3 / 4)
            abort();
        again = mcp_b64_encode_alloc(dec, dec_len);
        s1 = malloc(size + 1);
        s2 = again ? malloc(strlen(again) + 1) : NULL;
        if (again == NULL || s1 == NULL || s2 == NULL)
            abort();
        a = strip(text, size, s1);
        b = strip(again, strlen(again), s2);
        if (a != b || memcmp(s1, s2, a) != 0)
            abort();
        free(again);
        free(s1);
        free(s2);
    }
    free(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_url_round_trip(data, size);
    check_url_decode(data, size);
    check_key_text_decode(data, size);
    return 0;
}
