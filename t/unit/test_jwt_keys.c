/*
 * Key loading, refusals, thumbprints, exports and the derived HMAC.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "unit.h"

#include "test_jwt_support.h"

/* RFC 7638 section 3.1: the example key and its thumbprint. */
static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aP"
    "FFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl9"
    "3lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZ"
    "Hzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3X"
    "PksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
static const char rfc7638_thumbprint[] =
    "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

static const char *const rsa2048_forms[] = {
    FIXTURE("rsa2048.pkcs8.pem"), FIXTURE("rsa2048.pkcs1.pem"),
    FIXTURE("rsa2048.spki.pem"),  FIXTURE("rsa2048.pkcs1-public.pem"),
    FIXTURE("rsa2048.pkcs8.b64"), FIXTURE("rsa2048.pkcs8.lines.b64"),
    FIXTURE("rsa2048.spki.b64"),  FIXTURE("rsa2048.pkcs1.b64"),
};

static int contains(const char *haystack, const char *needle)
{
    return haystack && strstr(haystack, needle) != NULL;
}

/* Loads path and expects a refusal whose message names every word given;
 * no message may quote key text ("MII" starts the Base64 of every RSA key
 * DER, PEM bodies included). */
static void expect_refusal(const char *path, const char *word1,
                           const char *word2)
{
    mcp_jwt_key *key = (mcp_jwt_key *)1;
    char err[MCP_JWT_ERRLEN] = "";

    CHECK_INT(mcp_jwt_key_from_file(path, &key, err, sizeof(err)), -1);
    CHECK(key == NULL);
    if (!contains(err, word1) || (word2 && !contains(err, word2)))
        fprintf(stderr, "  message for %s: %s\n", path, err);
    CHECK(contains(err, word1));
    CHECK(!word2 || contains(err, word2));
    CHECK(!contains(err, "MII"));
}

static void test_every_format_loads_the_same_key(void)
{
    mcp_jwt_key *reference = load_fixture(FIXTURE("rsa2048.pkcs8.pem"));

    CHECK(reference != NULL);
    if (!reference)
        return;
    CHECK_INT(mcp_jwt_key_is_private(reference), 1);
    CHECK_INT(mcp_jwt_key_bits(reference), 2048);
    CHECK_INT(mcp_jwt_key_sig_len(reference), 256);
    CHECK_INT(strlen(mcp_jwt_key_kid(reference)), 43);
    for (size_t i = 0; i < sizeof(rsa2048_forms) / sizeof(rsa2048_forms[0]);
         i++) {
        mcp_jwt_key *key = load_fixture(rsa2048_forms[i]);
        int expect_private = contains(rsa2048_forms[i], "pkcs8") ||
                             contains(rsa2048_forms[i], "pkcs1.");
        CHECK(key != NULL);
        if (!key)
            continue;
        CHECK_STR(mcp_jwt_key_kid(key), mcp_jwt_key_kid(reference));
        CHECK_INT(mcp_jwt_key_is_private(key), expect_private);
        CHECK_INT(mcp_jwt_key_bits(key), 2048);
        mcp_jwt_key_free(key);
    }
    mcp_jwt_key_free(reference);
}

static void test_atoti_3072_pair(void)
{
    mcp_jwt_key *private_key = load_fixture(FIXTURE("rsa3072.pkcs8.b64"));
    mcp_jwt_key *public_key = load_fixture(FIXTURE("rsa3072.spki.b64"));

    CHECK(private_key && public_key);
    if (private_key && public_key) {
        CHECK_INT(mcp_jwt_key_bits(private_key), 3072);
        CHECK_INT(mcp_jwt_key_sig_len(private_key), 384);
        CHECK_INT(mcp_jwt_key_is_private(private_key), 1);
        CHECK_INT(mcp_jwt_key_is_private(public_key), 0);
        CHECK_STR(mcp_jwt_key_kid(private_key), mcp_jwt_key_kid(public_key));
    }
    mcp_jwt_key_free(private_key);
    mcp_jwt_key_free(public_key);
}

/* The kid against an implementation written elsewhere (Crypt::PK::RSA). */
static void test_kid_matches_crypt_pk_rsa(void)
{
    mcp_jwt_key *key = load_fixture(FIXTURE("rsa2048.spki.pem"));
    char line[128] = "";
    FILE *p = popen("perl -MCrypt::PK::RSA -e 'print Crypt::PK::RSA->new("
                    "shift)->export_key_jwk_thumbprint(\"SHA256\")' " FIXTURE(
                        "rsa2048.spki.pem"),
                    "r");

    CHECK(p != NULL);
    if (p) {
        if (!fgets(line, sizeof(line), p))
            line[0] = '\0';
        CHECK_INT(pclose(p), 0);
    }
    CHECK_STR(mcp_jwt_key_kid(key), line);
    mcp_jwt_key_free(key);
}

/* Builds an RSA public key from JWK members and loads it as Base64 SPKI. */
static int load_from_jwk_members(const char *n_b64url, const char *e_b64url,
                                 mcp_jwt_key **out, char *err, size_t errlen)
{
    size_t n_len = 0, e_len = 0;
    unsigned char *n_bytes =
        b64url_decode_alloc(n_b64url, strlen(n_b64url), &n_len);
    unsigned char *e_bytes =
        b64url_decode_alloc(e_b64url, strlen(e_b64url), &e_len);
    BIGNUM *n = n_bytes ? BN_bin2bn(n_bytes, (int)n_len, NULL) : NULL;
    BIGNUM *e = e_bytes ? BN_bin2bn(e_bytes, (int)e_len, NULL) : NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pkey = NULL;
    unsigned char *der = NULL;
    char *text = NULL;
    int der_len = 0, rc = -1;

    *out = NULL;
    if (n && e && bld && ctx && OSSL_PARAM_BLD_push_BN(bld, "n", n) &&
        OSSL_PARAM_BLD_push_BN(bld, "e", e) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
        EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1 &&
        (der_len = i2d_PUBKEY(pkey, &der)) > 0 &&
        (text = mcp_b64_encode_alloc(der, (size_t)der_len)) != NULL)
        rc = mcp_jwt_key_from_text(text, strlen(text), out, err, errlen);
    free(text);
    OPENSSL_free(der);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    free(n_bytes);
    free(e_bytes);
    return rc;
}

static void test_rfc7638_thumbprint_and_jwk(void)
{
    mcp_jwt_key *key = NULL;
    char err[MCP_JWT_ERRLEN] = "";
    cJSON *jwk;

    CHECK_INT(load_from_jwk_members(rfc7638_n, "AQAB", &key, err, sizeof(err)),
              0);
    CHECK_STR(mcp_jwt_key_kid(key), rfc7638_thumbprint);
    CHECK_INT(mcp_jwt_key_bits(key), 2048);
    jwk = mcp_jwt_key_public_jwk(key);
    CHECK_INT(cJSON_GetArraySize(jwk), 6);
    CHECK_STR(
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "kty")),
        "RSA");
    /* n and e come back exactly as the RFC spells them: big-endian, no
     * leading zero byte, unpadded base64url. */
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "n")),
              rfc7638_n);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "e")),
              "AQAB");
    CHECK_STR(
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "kid")),
        rfc7638_thumbprint);
    CHECK_STR(
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "alg")),
        "RS512");
    CHECK_STR(
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "use")),
        "sig");
    cJSON_Delete(jwk);
    mcp_jwt_key_free(key);

    /* e = 1 makes the padded digest a valid signature; e = 2 is even. */
    CHECK_INT(load_from_jwk_members(rfc7638_n, "AQ", &key, err, sizeof(err)),
              -1);
    CHECK(contains(err, "exponent"));
    CHECK_INT(load_from_jwk_members(rfc7638_n, "Ag", &key, err, sizeof(err)),
              -1);
    CHECK(contains(err, "exponent"));
}

static void test_refusals(void)
{
    expect_refusal(FIXTURE("rsa1024.pem"), "1024-bit", "2048");
    expect_refusal(FIXTURE("ec-p256.pkcs8.pem"), "EC", "not RSA");
    expect_refusal(FIXTURE("ec-p256.sec1.pem"), "EC PRIVATE KEY",
                   "not an RSA key");
    expect_refusal(FIXTURE("ec-p256.spki.b64"), "EC", "not RSA");
    expect_refusal(FIXTURE("ed25519.pem"), "ED25519", "not RSA");
    expect_refusal(FIXTURE("rsa-pss.pem"), "RSA-PSS", "PSS padding");
    expect_refusal(FIXTURE("rsa2048.cert.pem"), "certificate",
                   "openssl x509 -pubkey");
    expect_refusal(FIXTURE("rsa2048.encrypted-pkcs8.pem"), "encrypted",
                   "ENCRYPTED PRIVATE KEY");
    expect_refusal(FIXTURE("rsa2048.encrypted-pkcs1.pem"), "encrypted",
                   "Proc-Type");
    expect_refusal(FIXTURE("rsa2048.encrypted-pkcs8.b64"), "encrypted",
                   "EncryptedPrivateKeyInfo");
    expect_refusal("fixtures/jwt/does-not-exist.pem", "does not exist",
                   "does-not-exist.pem");
    expect_refusal("fixtures/jwt", "is a directory", "fixtures/jwt");
    expect_refusal("fixtures/jwt/rsa2048.pkcs8.pem/x", "not a directory", NULL);
}

/*
 * An encrypted key must be refused without a prompt.  OpenSSL's default
 * prompt reads /dev/tty even with stdin closed, so the child also leaves
 * its terminal (setsid) and gives up after a few seconds: a prompt shows
 * as a child killed by SIGALRM instead of a hung test.
 */
static void expect_refusal_without_prompt(const char *path)
{
    int fds[2];
    pid_t pid;
    char message[MCP_JWT_ERRLEN] = "";
    ssize_t got = 0;
    int status = 0;

    if (pipe(fds) != 0) {
        CHECK(!"pipe");
        return;
    }
    pid = fork();
    if (pid == 0) {
        mcp_jwt_key *key = NULL;
        char err[MCP_JWT_ERRLEN] = "";
        int rc;
        close(fds[0]);
        setsid();
        close(STDIN_FILENO);
        alarm(20);
        rc = mcp_jwt_key_from_file(path, &key, err, sizeof(err));
        if (write(fds[1], err, strlen(err)) < 0)
            _exit(3);
        _exit(rc == 0 ? 2 : 0);
    }
    close(fds[1]);
    if (pid > 0) {
        size_t used = 0;
        while (used + 1 < sizeof(message) &&
               (got = read(fds[0], message + used,
                           sizeof(message) - 1 - used)) > 0)
            used += (size_t)got;
        message[used] = '\0';
        waitpid(pid, &status, 0);
    }
    close(fds[0]);
    CHECK(pid > 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(contains(message, "encrypted"));
}

static void test_encrypted_keys_never_prompt(void)
{
    expect_refusal_without_prompt(FIXTURE("rsa2048.encrypted-pkcs8.pem"));
    expect_refusal_without_prompt(FIXTURE("rsa2048.encrypted-pkcs1.pem"));
    expect_refusal_without_prompt(FIXTURE("rsa2048.encrypted-pkcs8.b64"));
}

static void test_file_problems(const char *scratch)
{
    char path[128], err[MCP_JWT_ERRLEN] = "";
    mcp_jwt_key *key = NULL;
    int fd;

    snprintf(path, sizeof(path), "%s/empty.pem", scratch);
    CHECK_INT(write_file(path, "", 0), 0);
    expect_refusal(path, "is empty", path);

    snprintf(path, sizeof(path), "%s/blank.pem", scratch);
    CHECK_INT(write_file(path, " \n\n", 3), 0);
    expect_refusal(path, "no key", path);

    snprintf(path, sizeof(path), "%s/huge.pem", scratch);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && ftruncate(fd, 1024 * 1024 + 1) == 0);
    if (fd >= 0)
        close(fd);
    expect_refusal(path, "too large", "1 MiB");

    /* A FIFO with no writer would block a plain open(). */
    snprintf(path, sizeof(path), "%s/fifo", scratch);
    CHECK_INT(mkfifo(path, 0600), 0);
    expect_refusal(path, "not a regular file", NULL);

    snprintf(path, sizeof(path), "%s/unreadable.pem", scratch);
    CHECK_INT(write_file(path, "x", 1), 0);
    CHECK_INT(chmod(path, 0), 0);
    if (geteuid() != 0)
        expect_refusal(path, "unreadable", path);
    else
        printf("test_jwt_keys: root reads mode-0000 files; "
               "'unreadable' not tested\n");

    CHECK_INT(mcp_jwt_key_from_file(NULL, &key, err, sizeof(err)), -1);
    CHECK_INT(mcp_jwt_key_from_file("", &key, err, sizeof(err)), -1);
}

static int text_refusal(const char *text, size_t len, const char *word)
{
    mcp_jwt_key *key = NULL;
    char err[MCP_JWT_ERRLEN] = "";
    int refused =
        mcp_jwt_key_from_text(text, len, &key, err, sizeof(err)) == -1 &&
        key == NULL && contains(err, word) && !contains(err, "MII");

    if (!refused)
        fprintf(stderr, "  message: %s\n", err);
    mcp_jwt_key_free(key);
    return refused;
}

static void test_text_problems(void)
{
    size_t len = 0;
    char *pem = read_file(FIXTURE("rsa2048.pkcs8.pem"), &len);
    char *b64 = read_fixture_line(FIXTURE("rsa2048.pkcs8.b64"));
    char *two = malloc(2 * len + 1), *padded_b64;
    unsigned char binary[4] = {0x30, 0x82, 0x04, 0xbd};

    CHECK(pem && b64 && two);
    if (!pem || !b64 || !two)
        goto done;
    CHECK(text_refusal(pem, len / 2, "without its END line"));
    memcpy(two, pem, len);
    memcpy(two + len, pem, len);
    CHECK(text_refusal(two, 2 * len, "more than one PEM block"));
    CHECK(text_refusal("-----BEGIN pem-----\n", 20, "malformed PEM"));
    CHECK(text_refusal("-----BEGIN PRIVATE KEY-----\nAAAA\n"
                       "-----END PRIVATE KEY-----\n",
                       58, "cannot decode"));
    CHECK(text_refusal("not a key: at all!", 18, "neither PEM nor Base64"));
    CHECK(text_refusal((const char *)binary, 4, "binary"));
    CHECK(text_refusal("", 0, "empty"));
    CHECK(text_refusal("QUFBQQ==", 8, "not the DER"));
    CHECK(text_refusal("QUFBQQ=", 7, "neither PEM nor valid Base64"));
    /* Base64 DER with bytes after the key (here "AAAA" decodes to three
     * zero bytes). */
    padded_b64 = malloc(strlen(b64) + 8);
    if (padded_b64) {
        snprintf(padded_b64, strlen(b64) + 8, "%sAAAA", b64);
        CHECK(text_refusal(padded_b64, strlen(padded_b64), "after the DER"));
        free(padded_b64);
    }
done:
    free(pem);
    free(b64);
    free(two);
}

static void test_tolerated_text_variants(void)
{
    size_t len = 0;
    char *pem = read_file(FIXTURE("rsa2048.pkcs8.pem"), &len);
    char *variant = malloc(2 * len + 64);
    mcp_jwt_key *key = NULL;
    char err[MCP_JWT_ERRLEN] = "";
    size_t used = 0;

    CHECK(pem && variant);
    if (!pem || !variant)
        goto done;
    /* A byte order mark, CRLF line ends and text before the block, as
     * "openssl pkcs12" leaves it ("Bag Attributes"). */
    memcpy(variant,
           "\xEF\xBB\xBF"
           "Bag Attributes\r\n",
           19);
    used = 19;
    for (size_t i = 0; i < len; i++) {
        if (pem[i] == '\n')
            variant[used++] = '\r';
        variant[used++] = pem[i];
    }
    CHECK_INT(mcp_jwt_key_from_text(variant, used, &key, err, sizeof(err)), 0);
    CHECK_INT(mcp_jwt_key_is_private(key), 1);
    mcp_jwt_key_free(key);
done:
    free(pem);
    free(variant);
}

static void test_spec(void)
{
    char *b64 = read_fixture_line(FIXTURE("rsa2048.spki.b64"));
    char *spec = b64 ? malloc(strlen(b64) + 8) : NULL;
    mcp_jwt_key *key = NULL,
                *reference = load_fixture(FIXTURE("rsa2048.pkcs8.pem"));
    char err[MCP_JWT_ERRLEN] = "";

    CHECK(spec != NULL);
    if (spec) {
        snprintf(spec, strlen(b64) + 8, "base64:%s", b64);
        CHECK_INT(mcp_jwt_key_from_spec(spec, &key, err, sizeof(err)), 0);
        CHECK_INT(mcp_jwt_key_is_private(key), 0);
        CHECK_STR(mcp_jwt_key_kid(key), mcp_jwt_key_kid(reference));
        mcp_jwt_key_free(key);
    }
    CHECK_INT(mcp_jwt_key_from_spec(FIXTURE("rsa2048.pkcs1.pem"), &key, err,
                                    sizeof(err)),
              0);
    CHECK_INT(mcp_jwt_key_is_private(key), 1);
    mcp_jwt_key_free(key);
    CHECK_INT(mcp_jwt_key_from_spec("base64:%%%", &key, err, sizeof(err)), -1);
    CHECK(contains(err, "inline 'base64:' key"));
    CHECK_INT(mcp_jwt_key_from_spec("base64:", &key, err, sizeof(err)), -1);
    CHECK_INT(mcp_jwt_key_from_spec("", &key, err, sizeof(err)), -1);
    CHECK_INT(mcp_jwt_key_from_spec("nowhere.pem", &key, err, sizeof(err)), -1);
    CHECK(contains(err, "'nowhere.pem' does not exist"));
    free(b64);
    free(spec);
    mcp_jwt_key_free(reference);
}

static void test_exports(void)
{
    mcp_jwt_key *key = load_fixture(FIXTURE("rsa2048.pkcs1.pem"));
    mcp_jwt_key *public_key = load_fixture(FIXTURE("rsa2048.spki.b64"));
    char *expected_private = read_fixture_line(FIXTURE("rsa2048.pkcs8.b64"));
    char *expected_public = read_fixture_line(FIXTURE("rsa2048.spki.b64"));
    char *expected_private_pem = read_file(FIXTURE("rsa2048.pkcs8.pem"), NULL);
    char *expected_public_pem = read_file(FIXTURE("rsa2048.spki.pem"), NULL);
    char *text;
    mcp_jwt_key *again = NULL;
    char err[MCP_JWT_ERRLEN] = "";

    CHECK(key && public_key);
    if (!key || !public_key)
        goto done;
    /* The same bytes openssl writes for the same key. */
    text = mcp_jwt_key_private_der_b64(key);
    CHECK_STR(text, expected_private);
    mcp_jwt_free_secret(text);
    text = mcp_jwt_key_public_der_b64(key);
    CHECK_STR(text, expected_public);
    free(text);
    text = mcp_jwt_key_public_der_b64(public_key);
    CHECK_STR(text, expected_public);
    free(text);
    text = mcp_jwt_key_private_pem(key);
    CHECK_STR(text, expected_private_pem);
    CHECK_INT(
        mcp_jwt_key_from_text(text, strlen(text), &again, err, sizeof(err)), 0);
    CHECK_INT(mcp_jwt_key_is_private(again), 1);
    CHECK_STR(mcp_jwt_key_kid(again), mcp_jwt_key_kid(key));
    mcp_jwt_key_free(again);
    mcp_jwt_free_secret(text);
    text = mcp_jwt_key_public_pem(key);
    CHECK_STR(text, expected_public_pem);
    free(text);

    CHECK(mcp_jwt_key_private_der_b64(public_key) == NULL);
    CHECK(mcp_jwt_key_private_pem(public_key) == NULL);
    mcp_jwt_free_secret(NULL);
done:
    mcp_jwt_key_free(key);
    mcp_jwt_key_free(public_key);
    free(expected_private);
    free(expected_public);
    free(expected_private_pem);
    free(expected_public_pem);
}

static void test_jwks(void)
{
    mcp_jwt_key *k2048 = load_fixture(FIXTURE("rsa2048.pkcs8.pem"));
    mcp_jwt_key *k2048_public = load_fixture(FIXTURE("rsa2048.spki.pem"));
    mcp_jwt_key *k3072 = load_fixture(FIXTURE("rsa3072.spki.b64"));
    const mcp_jwt_key *ring[] = {k2048, k3072, k2048_public, NULL};
    char *json = mcp_jwt_jwks_json(ring, 4);
    cJSON *set = json ? cJSON_Parse(json) : NULL;
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(set, "keys");
    const cJSON *jwk;

    CHECK(cJSON_IsObject(set));
    CHECK_INT(cJSON_GetArraySize(set), 1);
    CHECK(cJSON_IsArray(keys));
    CHECK_INT(cJSON_GetArraySize(keys), 2);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                  cJSON_GetArrayItem(keys, 0), "kid")),
              mcp_jwt_key_kid(k2048));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                  cJSON_GetArrayItem(keys, 1), "kid")),
              mcp_jwt_key_kid(k3072));
    cJSON_ArrayForEach(jwk, keys)
    {
        const char *n =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "n"));
        size_t n_len = 0;
        unsigned char *modulus =
            n ? b64url_decode_alloc(n, strlen(n), &n_len) : NULL;
        CHECK_INT(cJSON_GetArraySize(jwk), 6);
        CHECK(modulus != NULL && modulus[0] != 0);
        CHECK(n_len == 256 || n_len == 384);
        /* A public JWK carries no private member. */
        CHECK(!cJSON_GetObjectItemCaseSensitive(jwk, "d"));
        free(modulus);
    }
    cJSON_Delete(set);
    free(json);

    json = mcp_jwt_jwks_json(NULL, 0);
    CHECK_STR(json, "{\"keys\":[]}");
    free(json);
    mcp_jwt_key_free(k2048);
    mcp_jwt_key_free(k2048_public);
    mcp_jwt_key_free(k3072);
}

/* HMAC-SHA256 under SHA-256("mod_mcp_credentials csrf v1" || PKCS#8 DER),
 * computed here from the fixture's DER with OpenSSL directly. */
static void expected_hmac(const char *data, unsigned char out[32])
{
    static const char label[] = "mod_mcp_credentials csrf v1";
    char *b64 = read_fixture_line(FIXTURE("rsa2048.pkcs8.b64"));
    unsigned char der[4096], secret[32];
    size_t der_len = 0;
    unsigned int secret_len = 0, out_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    memset(out, 0, 32);
    if (b64 && mcp_b64_decode_key_text(b64, strlen(b64), der, &der_len) == 0 &&
        ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
        EVP_DigestUpdate(ctx, label, sizeof(label) - 1) &&
        EVP_DigestUpdate(ctx, der, der_len) &&
        EVP_DigestFinal_ex(ctx, secret, &secret_len))
        HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)data,
             strlen(data), out, &out_len);
    EVP_MD_CTX_free(ctx);
    free(b64);
}

static void test_hmac(void)
{
    static const char data[] = "alice|1700000000";
    mcp_jwt_key *pkcs1 = load_fixture(FIXTURE("rsa2048.pkcs1.pem"));
    mcp_jwt_key *pkcs8 = load_fixture(FIXTURE("rsa2048.pkcs8.b64"));
    mcp_jwt_key *public_key = load_fixture(FIXTURE("rsa2048.spki.pem"));
    mcp_jwt_key *other = load_fixture(FIXTURE("rsa3072.pkcs8.b64"));
    unsigned char a[32], b[32], c[32], want[32];

    CHECK_INT(
        mcp_jwt_key_hmac(pkcs1, (const unsigned char *)data, strlen(data), a),
        0);
    CHECK_INT(
        mcp_jwt_key_hmac(pkcs8, (const unsigned char *)data, strlen(data), b),
        0);
    CHECK_INT(
        mcp_jwt_key_hmac(other, (const unsigned char *)data, strlen(data), c),
        0);
    expected_hmac(data, want);
    CHECK(memcmp(a, b, 32) == 0);
    CHECK(memcmp(a, want, 32) == 0);
    CHECK(memcmp(a, c, 32) != 0);
    CHECK_INT(mcp_jwt_key_hmac(public_key, (const unsigned char *)data,
                               strlen(data), c),
              -1);
    CHECK_INT(mcp_jwt_key_hmac(pkcs1, NULL, 0, c), 0);
    mcp_jwt_key_free(pkcs1);
    mcp_jwt_key_free(pkcs8);
    mcp_jwt_key_free(public_key);
    mcp_jwt_key_free(other);
}

static void test_generate(void)
{
    mcp_jwt_key *key = NULL;
    char err[MCP_JWT_ERRLEN] = "";
    mcp_jwt_verify_opts opts = {.now = 1700000000};
    mcp_jwt_verified verified;
    const mcp_jwt_key *ring[1];
    char *token;

    CHECK_INT(mcp_jwt_key_generate(1024, &key, err, sizeof(err)), -1);
    CHECK(key == NULL);
    CHECK(contains(err, "1024"));
    CHECK_INT(mcp_jwt_key_generate(2048, &key, err, sizeof(err)), 0);
    CHECK_INT(mcp_jwt_key_is_private(key), 1);
    CHECK_INT(mcp_jwt_key_bits(key), 2048);
    CHECK_INT(strlen(mcp_jwt_key_kid(key)), 43);
    ring[0] = key;
    token = mcp_jwt_sign(key, "{}", 2, err, sizeof(err));
    CHECK_INT(mcp_jwt_verify(token, token ? strlen(token) : 0, ring, 1, &opts,
                             &verified),
              MCP_JWT_OK);
    mcp_jwt_verified_clear(&verified);
    free(token);
    mcp_jwt_key_free(key);
    mcp_jwt_key_free(NULL);
}

int main(void)
{
    char scratch[64];

    if (make_scratch(scratch) != 0) {
        fprintf(stderr, "cannot make a scratch directory\n");
        return 1;
    }
    test_every_format_loads_the_same_key();
    test_atoti_3072_pair();
    test_kid_matches_crypt_pk_rsa();
    test_rfc7638_thumbprint_and_jwk();
    test_refusals();
    test_encrypted_keys_never_prompt();
    test_file_problems(scratch);
    test_text_problems();
    test_tolerated_text_variants();
    test_spec();
    test_exports();
    test_jwks();
    test_hmac();
    test_generate();
    remove_scratch(scratch);
    return UNIT_DONE("test_jwt_keys");
}
