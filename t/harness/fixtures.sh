#!/bin/bash
# Keys, users and groups for the suites.  Sourced (by t/harness/lib.sh) it
# gives the functions; run as `t/harness/fixtures.sh apache-test` it makes
# what the Apache::Test suite needs under t/ and git does not keep (made
# once; `make clean` removes them).

# fixture_key FILE BITS [openssl]: an RSA key, 0600, unless FILE exists;
# made by mcp-token when it is built ($TOOL) and openssl is not asked for,
# else by openssl.
fixture_key() {
    [ -f "$1" ] && return 0
    if [ -x "${TOOL:-}" ] && [ "${3:-}" != openssl ]; then
        "$TOOL" keygen --bits "$2" "$1" >/dev/null
    else
        (umask 077 && openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1" 2>/dev/null)
    fi
}

# fixture_pub KEY.pem: its public key in KEY.pub.pem, unless that exists.
fixture_pub() {
    local pub=${1%.pem}.pub.pem
    [ -f "$pub" ] || openssl pkey -in "$1" -pubout -out "$pub" 2>/dev/null
}

# fixture_user FILE USER PASSWORD [-s]: USER in htpasswd FILE (0644), unless
# already there; bcrypt at cost 4, or SHA-1 with -s (for load: a bcrypt
# check costs more than a mint).
fixture_user() {
    local hash=-bB
    [ "${4:-}" = -s ] && hash=-bs
    touch "$1"
    grep -qF "$2:" "$1" && return 0
    if [ "$hash" = -bB ]; then
        htpasswd "$hash" -C 4 "$1" "$2" "$3" 2>/dev/null
    else
        htpasswd "$hash" "$1" "$2" "$3" 2>/dev/null
    fi
    chmod 644 "$1"
}

# fixture_groups FILE: the group file (AuthGroupFile format) from stdin, 0644.
fixture_groups() {
    cat >"$1"
    chmod 644 "$1"
}

# The Apache::Test suite's: RSA keys (the signing key, a previous key that
# only verifies, a stranger's key, and the bad keys the configuration tests
# feed to httpd), the users (each password is the name with "-pw") and
# their groups.
fixtures_apache_test() {
    local t=$1 u long_user
    mkdir -p "$t/keys"
    (
        umask 022
        cd "$t" || exit 1
        # openssl's keys: the suite runs before mcp-token may be built.
        fixture_key keys/signing.pem 3072 openssl
        fixture_key keys/previous.pem 2048 openssl
        fixture_key keys/stranger.pem 2048 openssl
        fixture_key keys/small-1024.pem 1024 openssl
        fixture_pub keys/previous.pem
        fixture_pub keys/signing.pem
        [ -f keys/ec.pem ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out keys/ec.pem 2>/dev/null
        [ -f keys/encrypted.pem ] || openssl pkey -in keys/previous.pem -aes256 -passout pass:secret -out keys/encrypted.pem
        # Atoti's property format: Base64 DER, PKCS#8 private and SPKI public.
        [ -f keys/atoti.private.b64 ] || openssl pkcs8 -topk8 -nocrypt -in keys/previous.pem -outform DER | base64 -w0 > keys/atoti.private.b64
        [ -f keys/atoti.public.b64 ] || openssl pkey -in keys/previous.pem -pubout -outform DER | base64 -w0 > keys/atoti.public.b64
        # The key files stay root's: httpd reads them before it drops privileges.
        chmod 600 keys/*.pem keys/*.b64
        # long-user-... has a name of 150 bytes, longer than a memcache or
        # redis key may be (about 115).
        long_user=long-user-$(printf 'x%.0s' $(seq 140))
        for u in alice bob carol dave erin '<img src=x onerror=alert(1)>' "$long_user"; do
            fixture_user conf/htpasswd "$u" "$u-pw"
        done
        fixture_groups conf/groups <<'GROUPS'
# group: members (AuthGroupFile format)
ROLE_USER: alice bob
ROLE_ADMIN: alice
cn=analysts,ou=groups,dc=example,dc=com: bob
GROUPS
    )
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case ${1:-} in
    apache-test) fixtures_apache_test "$(cd "$(dirname "$0")/.." && pwd)" ;;
    *) echo "usage: $0 apache-test" >&2; exit 2 ;;
    esac
fi
