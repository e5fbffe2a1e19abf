/*
 * Token ids: random UUIDs (RFC 9562 version 4) from OpenSSL's CSPRNG.
 *
 * OpenSSL 3 reseeds its generator in a forked child, so httpd children
 * forked from one parent do not repeat each other's ids.
 */
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "jwt_internal.h"

int mcp_jwt_new_jti(char out[37])
{
    unsigned char b[16];

    ERR_set_mark();
    if (RAND_bytes(b, sizeof(b)) != 1) {
        ERR_pop_to_mark();
        out[0] = '\0';
        return -1;
    }
    ERR_pop_to_mark();
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10xx */
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
    return 0;
}
