/*
 * base64url for JWS segments and standard Base64 for DER key text.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "test_jwt_support.h"

/* Decodes with the strict JWS decoder; 1 when it accepts the text. */
static int url_accepts(const char *text)
{
    unsigned char out[64];
    size_t out_len;

    return mcp_b64url_decode(text, strlen(text), out, &out_len) == 0;
}

static int key_text_accepts(const char *text)
{
    unsigned char out[64];
    size_t out_len;

    return mcp_b64_decode_key_text(text, strlen(text), out, &out_len) == 0;
}

static void test_rfc4648_vectors(void)
{
    static const struct {
        const char *plain, *encoded;
    } vectors[] = {{"", ""},
                   {"f", "Zg"},
                   {"fo", "Zm8"},
                   {"foo", "Zm9v"},
                   {"foob", "Zm9vYg"},
                   {"fooba", "Zm9vYmE"},
                   {"foobar", "Zm9vYmFy"}};

    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        char out[16];
        unsigned char back[16];
        size_t plain_len = strlen(vectors[i].plain), back_len = 99;

        CHECK_INT(mcp_b64url_encoded_len(plain_len),
                  strlen(vectors[i].encoded));
        CHECK_INT(mcp_b64url_encode((const unsigned char *)vectors[i].plain,
                                    plain_len, out),
                  strlen(vectors[i].encoded));
        CHECK_STR(out, vectors[i].encoded);
        CHECK_INT(mcp_b64url_decode(vectors[i].encoded,
                                    strlen(vectors[i].encoded), back,
                                    &back_len),
                  0);
        CHECK_INT(back_len, plain_len);
        CHECK(memcmp(back, vectors[i].plain, plain_len) == 0);
    }
}

static void test_alphabets(void)
{
    const unsigned char high[] = {0xfb, 0xff};
    char url[8];
    char *standard;

    mcp_b64url_encode(high, sizeof(high), url);
    CHECK_STR(url, "-_8");
    standard = mcp_b64_encode_alloc(high, sizeof(high));
    CHECK_STR(standard, "+/8=");
    free(standard);
    standard = mcp_b64_encode_alloc((const unsigned char *)"f", 1);
    CHECK_STR(standard, "Zg==");
    free(standard);
}

static void test_round_trip_every_byte(void)
{
    unsigned char data[256], back[256];
    char text[400];

    for (int i = 0; i < 256; i++)
        data[i] = (unsigned char)(255 - i);
    for (size_t n = 0; n <= sizeof(data); n += 1 + n / 8) {
        size_t back_len = 0, text_len = mcp_b64url_encode(data, n, text);
        int ok = text_len == mcp_b64url_encoded_len(n) &&
                 strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                              "vwxyz0123456789-_") == text_len &&
                 mcp_b64url_decode(text, text_len, back, &back_len) == 0 &&
                 back_len == n && memcmp(back, data, n) == 0;
        CHECK(ok);
    }
}

static void test_strict_url_decoding(void)
{
    unsigned char out[8];
    size_t out_len;

    CHECK(url_accepts("Zm9vYg"));
    CHECK(!url_accepts("Zm9vYg==")); /* padding */
    CHECK(!url_accepts("Zm9vYg="));  /* partial padding */
    CHECK(!url_accepts("Zg=="));     /* padding */
    CHECK(!url_accepts("Z"));        /* a lone sixth of a byte */
    CHECK(!url_accepts("Zm9vY"));    /* likewise after a quantum */
    CHECK(!url_accepts("Zh"));       /* 'h' leaves bit 0001 unused */
    CHECK(!url_accepts("Zm-"));      /* '-' leaves bits 10 unused */
    CHECK(url_accepts("Zm8"));       /* '8' leaves 00 */
    CHECK(!url_accepts("+/8"));      /* standard alphabet */
    CHECK(!url_accepts("-_8="));     /* padded url alphabet */
    CHECK(!url_accepts(" Zm8"));     /* whitespace */
    CHECK(!url_accepts("Zm8\n"));    /* a line break */
    CHECK(!url_accepts("Zm.8"));     /* a separator inside */
    CHECK(!url_accepts("Zm9v\x80")); /* a non-ASCII byte */
    CHECK(url_accepts(""));          /* nothing decodes to nothing */
    /* A NUL inside the given length is a foreign character too. */
    CHECK_INT(mcp_b64url_decode("Zm\0v", 4, out, &out_len), -1);
}


/* The decoder as RFC 4648 describes it, a digit at a time: what the
 * table-driven one must agree with. */
static int reference_decode(const char *in, size_t len, unsigned char *out,
                            size_t *out_len)
{
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned bits = 0, nbits = 0;
    size_t o = 0;

    if (len % 4 == 1)
        return -1;
    for (size_t i = 0; i < len; i++) {
        const char *at = in[i] ? strchr(digits, in[i]) : NULL;
        if (!at)
            return -1;
        bits = (bits << 6 | (unsigned)(at - digits)) & 0xffffff;
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            out[o++] = (unsigned char)(bits >> nbits);
        }
    }
    if (bits & ((1u << nbits) - 1))
        return -1;
    *out_len = o;
    return 0;
}

/* Every text of one to three characters drawn from digits of each kind
 * and from bytes that are none, alone and after a full quantum: the
 * decoder accepts exactly what the reference does, with the same bytes. */
static void test_agrees_with_reference(void)
{
    static const char pool[] = "AZaz09-_BgQw+/=.\x80 \xff";
    const size_t n = sizeof(pool) - 1;
    char text[8];
    unsigned char a[8], b[8];
    size_t a_len, b_len, tried = 0, differ = 0;

    for (size_t len = 1; len <= 3; len++) {
        size_t total = 1;
        for (size_t k = 0; k < len; k++)
            total *= n + 1;
        for (size_t code = 0; code < total; code++) {
            size_t c = code, used = 0;
            for (size_t k = 0; k < len; k++, c /= n + 1)
                if (c % (n + 1) < n)
                    text[used++] = pool[c % (n + 1)];
            for (int prefix = 0; prefix <= 1; prefix++) {
                char full[12];
                size_t full_len = (prefix ? 4 : 0) + used;
                memcpy(full, "Zm9v", 4);
                memcpy(full + (prefix ? 4 : 0), text, used);
                int ra = mcp_b64url_decode(full, full_len, a, &a_len);
                int rb = reference_decode(full, full_len, b, &b_len);
                tried++;
                if (ra != rb || (ra == 0 && (a_len != b_len ||
                                             memcmp(a, b, a_len) != 0)))
                    differ++;
            }
        }
    }
    CHECK(tried > 10000);
    CHECK_INT(differ, 0);
}

static void test_key_text_decoding(void)
{
    unsigned char out[16];
    size_t out_len = 0;

    CHECK(key_text_accepts("Zm9vYg=="));
    CHECK(key_text_accepts("Zm9vYg"));
    CHECK(key_text_accepts(" Zm9v\r\nYmFy \n"));
    CHECK(key_text_accepts("Zm9v\nYg==\n"));
    CHECK(!key_text_accepts("Zm9vYg="));   /* one '=' short */
    CHECK(!key_text_accepts("Zm9vYmFy=")); /* padding a full quantum */
    CHECK(!key_text_accepts("Zg==Zg=="));  /* data after padding */
    CHECK(!key_text_accepts("Zm9vYmFy===="));
    CHECK(!key_text_accepts("-_8"));  /* url alphabet */
    CHECK(!key_text_accepts("Zh==")); /* non-zero unused bits */
    CHECK(!key_text_accepts("Z"));
    CHECK_INT(mcp_b64_decode_key_text("+/8=", 4, out, &out_len), 0);
    CHECK_INT(out_len, 2);
    CHECK(out[0] == 0xfb && out[1] == 0xff);
}

int main(void)
{
    test_rfc4648_vectors();
    test_alphabets();
    test_round_trip_every_byte();
    test_strict_url_decoding();
    test_agrees_with_reference();
    test_key_text_decoding();
    return UNIT_DONE("test_b64url");
}
