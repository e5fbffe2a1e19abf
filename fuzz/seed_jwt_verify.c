/*
 * Writes the seed corpus of fuzz_jwt_verify: real tokens signed by the
 * throwaway keys of fuzz/keys/, one for each outcome of mcp_jwt_verify()
 * under the target's fixed options, and seeds for its two structured modes.
 * RS512 (PKCS#1 v1.5) signatures are deterministic, so running it again
 * rewrites the same files.  "fuzz/run.sh --seeds" builds and runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jwt_internal.h"
#include "rs512_sign.h"

static const char *out_dir;

static void write_seed(const char *name, const void *bytes, size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", out_dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static mcp_jwt_key *load(const char *dir, const char *name)
{
    char path[4096], err[MCP_JWT_ERRLEN];
    mcp_jwt_key *key;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (mcp_jwt_key_from_file(path, &key, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    return key;
}

/* header and payload as given, signed with key. */
static char *sign_raw(const mcp_jwt_key *key, const char *header,
                      const char *payload)
{
    size_t len;
    char *token = rs512_sign(key->pkey, (const unsigned char *)header,
                             strlen(header), (const unsigned char *)payload,
                             strlen(payload), &len);
    if (!token)
        exit(1);
    return token;
}

static void seed_token(const char *name, char *token)
{
    write_seed(name, token, strlen(token));
    free(token);
}

static char *sign(const mcp_jwt_key *key, const char *payload)
{
    char err[MCP_JWT_ERRLEN];
    char *token = mcp_jwt_sign(key, payload, strlen(payload), err, sizeof(err));

    if (token == NULL) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    return token;
}

/* "!" + payload bytes + signature bytes of a real token: the target's
 * valid-header mode rebuilds exactly that token. */
static void seed_behind_header(const char *name, const mcp_jwt_key *key,
                               const char *payload)
{
    char *token = sign(key, payload), *sig_text = strrchr(token, '.') + 1;
    size_t plen = strlen(payload), sig_len = 0;
    unsigned char *seed = malloc(1 + plen + strlen(sig_text));

    seed[0] = '!';
    memcpy(seed + 1, payload, plen);
    if (mcp_b64url_decode(sig_text, strlen(sig_text), seed + 1 + plen,
                          &sig_len) != 0 ||
        sig_len != 256)
        exit(1);
    write_seed(name, seed, 1 + plen + sig_len);
    free(seed);
    free(token);
}

#define CLAIMS(extra)                                                          \
    "{\"sub\":\"alice\",\"iss\":\"https://fuzz.example/\",\"aud\":\"mcp\","    \
    "\"iat\":1749990000,\"nbf\":1749990000,\"exp\":1750003600,"                \
    "\"jti\":\"6f1c9d2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f\","                        \
    "\"authorities\":[\"ROLE_USER\",\"ROLE_ADMIN\"]" extra "}"

int main(int argc, char **argv)
{
    mcp_jwt_key *a, *b;
    char text[256];

    if (argc != 3) {
        fprintf(stderr, "usage: %s KEYS_DIR OUT_DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[2];
    a = load(argv[1], "fuzz-a-2048.pem");
    b = load(argv[1], "fuzz-b-3072.pem");

    seed_token("ok", sign(a, CLAIMS("")));
    seed_token("ok-aud-array",
               sign(a, "{\"iss\":\"https://fuzz.example/\",\"aud\":[\"x\","
                       "\"mcp\"],\"exp\":1750000061}"));
    seed_token("ok-second-key-no-kid",
               sign_raw(b, "{\"alg\":\"RS512\",\"typ\":\"JWT\"}", CLAIMS("")));
    seed_token("expired",
               sign(a, "{\"iss\":\"https://fuzz.example/\",\"aud\":\"mcp\","
                       "\"exp\":1749999940}"));
    seed_token("not-yet-valid",
               sign(a, "{\"iss\":\"https://fuzz.example/\",\"aud\":\"mcp\","
                       "\"nbf\":1750000061,\"exp\":1760000000}"));
    seed_token("wrong-issuer",
               sign(a, "{\"iss\":\"https://evil.example/\",\"aud\":\"mcp\","
                       "\"exp\":1760000000}"));
    seed_token("no-exp", sign(a, "{\"iss\":\"https://fuzz.example/\","
                                 "\"aud\":\"mcp\"}"));
    seed_token("claim-types",
               sign(a, "{\"exp\":1.5e9,\"iat\":\"now\",\"nbf\":1e309,"
                       "\"sub\":7,\"authorities\":[1]}"));
    seed_token("exp-2p63", sign(a, "{\"iss\":\"https://fuzz.example/\","
                                   "\"aud\":\"mcp\",\"exp\":"
                                   "9223372036854775807}"));
    seed_token("duplicate-claim",
               sign(a, "{\"sub\":\"alice\",\"sub\":\"admin\",\"exp\":1}"));
    seed_token("escaped-nul",
               sign(a, "{\"sub\":\"ad\\u0000min\",\"exp\":1760000000}"));
    seed_token("payload-array", sign(a, "[1,2,3]"));
    seed_token("alg-none", sign_raw(a, "{\"alg\":\"none\"}", CLAIMS("")));
    seed_token("alg-rs256",
               sign_raw(a, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", CLAIMS("")));
    seed_token("crit", sign_raw(a, "{\"alg\":\"RS512\",\"crit\":[\"exp\"]}",
                                CLAIMS("")));
    seed_token("kid-unknown",
               sign_raw(a, "{\"alg\":\"RS512\",\"kid\":\"../../etc/passwd\"}",
                        CLAIMS("")));
    seed_token("header-duplicate",
               sign_raw(a, "{\"alg\":\"RS512\",\"alg\":\"none\"}", CLAIMS("")));
    seed_token("header-not-object",
               sign_raw(a, "[\"alg\",\"RS512\"]", CLAIMS("")));
    seed_token("kid-not-string",
               sign_raw(a, "{\"alg\":\"RS512\",\"kid\":5}", CLAIMS("")));
    seed_token("nested-duplicate",
               sign(a, CLAIMS(",\"x\":[{\"role\":\"a\",\"role\":\"b\"}]")));
    /* past 16 members the duplicate check sorts instead of comparing pairs */
    seed_token("many-members",
               sign(a, CLAIMS(",\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,"
                              "\"f\":6,\"g\":7,\"h\":8,\"i\":9")));
    seed_token("many-members-duplicate",
               sign(a, CLAIMS(",\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,"
                              "\"f\":6,\"g\":7,\"h\":8,\"sub\":\"root\"")));
    write_seed("two-segments", "eyJhbGciOiJSUzUxMiJ9.e30", 24);
    write_seed("four-segments", "eyJhbGciOiJSUzUxMiJ9.e30.AAAA.AAAA", 34);

    /* the signed mode: "header\npayload", or a payload alone */
    write_seed("signed-header-payload",
               "{\"alg\":\"RS512\",\"typ\":\"JWT\"}\n" CLAIMS(""),
               strlen("{\"alg\":\"RS512\",\"typ\":\"JWT\"}\n" CLAIMS("")));
    write_seed("signed-payload", CLAIMS(""), strlen(CLAIMS("")));
    /* names the 3072-bit key, whose signature length cannot match */
    snprintf(text, sizeof(text),
             "{\"alg\":\"RS512\",\"kid\":\"%s\"}\n{\"exp\":1760000000}",
             mcp_jwt_key_kid(b));
    write_seed("signed-kid-b", text, strlen(text));
    /* the valid-header mode */
    seed_behind_header("behind-header-ok", a, CLAIMS(""));

    mcp_jwt_key_free(a);
    mcp_jwt_key_free(b);
    return 0;
}
