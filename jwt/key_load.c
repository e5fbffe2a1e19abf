/*
 * Key text to key: format detection, refusals, file reading.
 *
 * Two rules shape this file.  A passphrase is never asked for: OpenSSL's
 * default is to prompt on the terminal, which would hang "apache2 -t" or a
 * service start, so encrypted keys are recognised and refused before
 * decoding, and the decoder is also given a passphrase callback that
 * refuses.  And no message quotes the text: it may be a private key.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC, even under plain -std=c11 */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>

#include "jwt_internal.h"
#include "file.h"

#define MAX_KEY_FILE_SIZE ((size_t)1 << 20) /* 1 MiB */
#define MAX_PEM_LABEL_LEN 64

static const char inline_spec_prefix[] = "base64:";

static const char *find_text(const char *haystack, size_t len,
                             const char *needle)
{
    size_t needle_len = strlen(needle);

    if (needle_len > len)
        return NULL;
    for (size_t i = 0; i + needle_len <= len; i++)
        if (memcmp(haystack + i, needle, needle_len) == 0)
            return haystack + i;
    return NULL;
}

static int refuse_passphrase(char *pass, size_t pass_size, size_t *pass_len,
                             const OSSL_PARAM params[], void *arg)
{
    int *passphrase_requested = arg;

    (void)pass;
    (void)pass_size;
    (void)params;
    *pass_len = 0;
    *passphrase_requested = 1;
    return 0;
}

/* Decodes one key.  *unconsumed tells how many input bytes were left over,
 * so that trailing data is not silently ignored. */
static EVP_PKEY *decode_pkey(const unsigned char *data, size_t len,
                             const char *input_type, int selection,
                             int *passphrase_requested, size_t *unconsumed)
{
    EVP_PKEY *pkey = NULL;
    OSSL_DECODER_CTX *ctx;
    const unsigned char *cursor = data;
    size_t left = len;

    *unconsumed = len;
    ctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, input_type, NULL, NULL,
                                        selection, NULL, NULL);
    if (!ctx)
        return NULL;
    if (!OSSL_DECODER_CTX_set_passphrase_cb(ctx, refuse_passphrase,
                                            passphrase_requested) ||
        !OSSL_DECODER_from_data(ctx, &cursor, &left)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_DECODER_CTX_free(ctx);
    *unconsumed = left;
    return pkey;
}

static int refuse_encrypted(const char *what, char *err, size_t errlen)
{
    return mcp_jwt_fail(err, errlen,
                        "is an encrypted private key (%s); passphrases are "
                        "not supported: decrypt it with 'openssl pkey'",
                        what);
}

/* The PEM labels this unit reads, and what each must decode to. */
static const struct {
    const char *label;
    int selection;
} accepted_pem_labels[] = {
    {"PRIVATE KEY", EVP_PKEY_KEYPAIR},
    {"RSA PRIVATE KEY", EVP_PKEY_KEYPAIR},
    {"PUBLIC KEY", EVP_PKEY_PUBLIC_KEY},
    {"RSA PUBLIC KEY", EVP_PKEY_PUBLIC_KEY},
};

static int pem_label_is_well_formed(const char *label, size_t len)
{
    if (len == 0 || len > MAX_PEM_LABEL_LEN)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = label[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' '))
            return 0;
    }
    return 1;
}

static int load_pem(const char *text, size_t len, mcp_jwt_key **out, char *err,
                    size_t errlen)
{
    static const char begin_marker[] = "-----BEGIN ";
    static const char dashes[] = "-----";
    const char *end = text + len;
    const char *begin = find_text(text, len, begin_marker);
    const char *label, *label_end, *end_line, *block_end;
    char label_buf[MAX_PEM_LABEL_LEN + 1], end_marker[MAX_PEM_LABEL_LEN + 16];
    size_t label_len, unconsumed;
    int selection = -1, passphrase_requested = 0;
    EVP_PKEY *pkey;

    if (!begin)
        return mcp_jwt_fail(err, errlen, "has no PEM BEGIN line");
    label = begin + strlen(begin_marker);
    label_end = find_text(label, (size_t)(end - label), dashes);
    if (!label_end ||
        !pem_label_is_well_formed(label, (size_t)(label_end - label)))
        return mcp_jwt_fail(err, errlen, "has a malformed PEM BEGIN line");
    label_len = (size_t)(label_end - label);
    memcpy(label_buf, label, label_len);
    label_buf[label_len] = '\0';

    snprintf(end_marker, sizeof(end_marker), "-----END %s-----", label_buf);
    end_line = find_text(label_end, (size_t)(end - label_end), end_marker);
    if (!end_line)
        return mcp_jwt_fail(err, errlen,
                            "has a PEM '%s' block without its END line "
                            "(truncated?)",
                            label_buf);
    block_end = end_line + strlen(end_marker);
    /* One key per text: with several, which one is used would depend on
     * the order of blocks, an easy mistake to miss. */
    if (find_text(block_end, (size_t)(end - block_end), begin_marker))
        return mcp_jwt_fail(err, errlen,
                            "holds more than one PEM block; expected one key");

    if (strcmp(label_buf, "ENCRYPTED PRIVATE KEY") == 0)
        return refuse_encrypted("PEM 'ENCRYPTED PRIVATE KEY'", err, errlen);
    /* RFC 1421 headers inside the block: OpenSSL's legacy encryption. */
    if (find_text(label_end, (size_t)(end_line - label_end), "Proc-Type:") ||
        find_text(label_end, (size_t)(end_line - label_end), "DEK-Info:"))
        return refuse_encrypted("PEM with Proc-Type: 4,ENCRYPTED", err, errlen);
    for (size_t i = 0;
         i < sizeof(accepted_pem_labels) / sizeof(accepted_pem_labels[0]); i++)
        if (strcmp(label_buf, accepted_pem_labels[i].label) == 0)
            selection = accepted_pem_labels[i].selection;
    if (selection < 0) {
        if (strcmp(label_buf, "CERTIFICATE") == 0)
            return mcp_jwt_fail(err, errlen,
                                "is a certificate, not a key; extract its "
                                "public key with 'openssl x509 -pubkey "
                                "-noout'");
        return mcp_jwt_fail(err, errlen,
                            "holds a PEM '%s' block, not an RSA key (expected "
                            "PRIVATE KEY, RSA PRIVATE KEY, PUBLIC KEY or RSA "
                            "PUBLIC KEY)",
                            label_buf);
    }

    pkey =
        decode_pkey((const unsigned char *)begin, (size_t)(block_end - begin),
                    "PEM", selection, &passphrase_requested, &unconsumed);
    if (!pkey && passphrase_requested)
        return refuse_encrypted("a passphrase was requested", err, errlen);
    if (!pkey)
        return mcp_jwt_fail(err, errlen,
                            "has a PEM '%s' block that OpenSSL cannot decode",
                            label_buf);
    return mcp_jwt_key_from_pkey(pkey, out, err, errlen);
}

/* Atoti's activeviam.jwt.key.private / .public values: Base64 of a PKCS#8
 * PrivateKeyInfo or of an X.509 SubjectPublicKeyInfo. */
static int load_base64_der(const char *text, size_t len, mcp_jwt_key **out,
                           char *err, size_t errlen)
{
    size_t der_size = len / 4 * 3 + 3, der_len = 0, unconsumed = 0;
    unsigned char *der = malloc(der_size);
    int passphrase_requested = 0;
    EVP_PKEY *pkey = NULL;

    if (!der)
        return mcp_jwt_fail(err, errlen, "out of memory");
    if (mcp_b64_decode_key_text(text, len, der, &der_len) != 0 ||
        der_len == 0) {
        OPENSSL_clear_free(der, der_size);
        return mcp_jwt_fail(err, errlen,
                            "is neither PEM nor valid Base64 DER text");
    }
    pkey = decode_pkey(der, der_len, "DER", EVP_PKEY_KEYPAIR,
                       &passphrase_requested, &unconsumed);
    if (!pkey && !passphrase_requested)
        pkey = decode_pkey(der, der_len, "DER", EVP_PKEY_PUBLIC_KEY,
                           &passphrase_requested, &unconsumed);
    OPENSSL_clear_free(der, der_size);

    if (!pkey && passphrase_requested)
        return refuse_encrypted("DER EncryptedPrivateKeyInfo", err, errlen);
    if (!pkey)
        return mcp_jwt_fail(err, errlen,
                            "is Base64 text but not the DER of a PKCS#8 "
                            "private key or an X.509 SubjectPublicKeyInfo "
                            "public key");
    if (unconsumed != 0) {
        EVP_PKEY_free(pkey);
        return mcp_jwt_fail(err, errlen,
                            "has %zu bytes after the DER key; expected the "
                            "key alone",
                            unconsumed);
    }
    return mcp_jwt_key_from_pkey(pkey, out, err, errlen);
}

static int is_base64_text_byte(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' ||
           c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_printable_text_byte(unsigned char c)
{
    return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\r' || c == '\n';
}

static int load_text(const char *text, size_t len, mcp_jwt_key **out, char *err,
                     size_t errlen)
{
    int all_base64 = 1, all_printable = 1, only_space = 1;

    /* A byte order mark, as some Windows editors save. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        all_base64 &= is_base64_text_byte(c);
        all_printable &= is_printable_text_byte(c);
        only_space &= c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }
    if (only_space)
        return mcp_jwt_fail(err, errlen, "holds no key (empty)");
    if (!all_printable)
        return mcp_jwt_fail(err, errlen,
                            "is binary (DER?); give the key as PEM or as "
                            "Base64 DER text");
    if (find_text(text, len, "-----BEGIN "))
        return load_pem(text, len, out, err, errlen);
    if (all_base64)
        return load_base64_der(text, len, out, err, errlen);
    return mcp_jwt_fail(err, errlen, "is neither PEM nor Base64 DER text");
}

/* The message it leaves in err is a predicate ("is a 1024-bit RSA key")
 * that the public entry points complete with their subject. */
static int load_key_text(const char *text, size_t len, mcp_jwt_key **out,
                         char *err, size_t errlen)
{
    int rc;

    /* Failed decoding attempts queue OpenSSL errors on this thread; left
     * there, they would surface in an unrelated TLS call later. */
    ERR_set_mark();
    rc = load_text(text, len, out, err, errlen);
    ERR_pop_to_mark();
    return rc;
}

int mcp_jwt_key_from_text(const char *text, size_t len, mcp_jwt_key **out,
                          char *err, size_t errlen)
{
    char predicate[MCP_JWT_ERRLEN];

    *out = NULL;
    if (!text)
        return mcp_jwt_fail(err, errlen, "key text is empty");
    if (load_key_text(text, len, out, predicate, sizeof(predicate)) != 0)
        return mcp_jwt_fail(err, errlen, "key text %s", predicate);
    return 0;
}

int mcp_jwt_key_from_file(const char *path, mcp_jwt_key **out, char *err,
                          size_t errlen)
{
    char *content = NULL, predicate[MCP_JWT_ERRLEN];
    size_t len = 0;
    int rc;

    *out = NULL;
    if (!path || !*path)
        return mcp_jwt_fail(err, errlen, "no key file given");
    if (mcp_file_read(path, "key file", MAX_KEY_FILE_SIZE, 0, &content, &len,
                      NULL, err, errlen) != 0)
        return -1;
    rc = load_key_text(content, len, out, predicate, sizeof(predicate));
    mcp_file_free(content, len);
    if (rc != 0)
        return mcp_jwt_fail(err, errlen, "key file '%s' %s", path, predicate);
    return 0;
}

int mcp_jwt_key_from_spec(const char *spec, mcp_jwt_key **out, char *err,
                          size_t errlen)
{
    const size_t prefix_len = sizeof(inline_spec_prefix) - 1;
    char predicate[MCP_JWT_ERRLEN];

    *out = NULL;
    if (!spec || !*spec)
        return mcp_jwt_fail(err, errlen, "no key given");
    if (strncmp(spec, inline_spec_prefix, prefix_len) != 0)
        return mcp_jwt_key_from_file(spec, out, err, errlen);
    if (load_key_text(spec + prefix_len, strlen(spec + prefix_len), out,
                      predicate, sizeof(predicate)) != 0)
        return mcp_jwt_fail(err, errlen, "inline 'base64:' key %s", predicate);
    return 0;
}
