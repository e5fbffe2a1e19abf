#!/usr/bin/env bash
# Cross-checks mcp-token against JWT implementations that share no code with
# it: PyJWT (Debian's python3-jwt), Perl's Crypt::JWT and the openssl command.
# Keys travel in Atoti's formats (Base64 DER PKCS#8 / SubjectPublicKeyInfo)
# to prove that a token minted here is one Atoti's own stack accepts, and
# the other way round.
#
# Run from the project root after `make`:   ./t/interop/run.sh
# Prints "ok N - ..." or "not ok N - ..." per check (with the check's output
# under a failure), then "interop: N passed, M failed"; exits 1 when any
# check failed.
#
# MCP_TOKEN, SYSPYTHON and PERL override the tool and interpreters.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/t/interop
TOOL=${MCP_TOKEN:-$root/build/mcp-token}
# python3-jwt is installed for Debian's interpreter only, not for a python3
# that may come first on PATH.
PY=${SYSPYTHON:-/usr/bin/python3}
PERL=${PERL:-perl}

if [ ! -x "$TOOL" ]; then
    echo "interop: $TOOL is missing: run make first" >&2
    exit 1
fi
if ! "$PY" -c 'import jwt' 2>/dev/null; then
    echo "interop: $PY cannot import jwt: apt-get install python3-jwt" >&2
    exit 1
fi
if ! "$PERL" -MCrypt::JWT -e 1 2>/dev/null; then
    echo "interop: perl lacks Crypt::JWT: apt-get install libcrypt-jwt-perl" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

n=0
passed=0
failed=0

# check DESCRIPTION COMMAND...: runs the command in a subshell with errexit
# in force (a function called from `if` would run with errexit off, and a
# failed step would go unnoticed), so any failing step fails the check.
check() {
    local desc=$1 rc
    shift
    n=$((n + 1))
    set +e
    (set -e; "$@") >"$work/check.log" 2>&1
    rc=$?
    set -e
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok $n - $desc"
    else
        failed=$((failed + 1))
        echo "not ok $n - $desc"
        sed 's/^/#   /' "$work/check.log"
    fi
}

# `! cmd` does not trip errexit; this does.
refute() {
    if "$@"; then
        echo "unexpectedly succeeded: $*"
        return 1
    fi
}

py() { "$PY" "$here/pyjwt_helper.py" "$@"; }
pl() { "$PERL" "$here/cryptjwt_helper.pl" "$@"; }
# jcheck FILE EXPR: EXPR over h (header) and c (claims) of a decoded token.
jcheck() { py check "$@"; }

# expect_reject CODE TOKENFILE VERIFY-OPTIONS...: mcp-token verify exits 1
# with "invalid token: CODE: ..." on stderr, and nothing on stdout.
expect_reject() {
    local code=$1 token=$2 rc=0
    shift 2
    "$TOOL" verify "$@" - <"$token" >reject.out 2>reject.err || rc=$?
    cat reject.err
    [ "$rc" -eq 1 ]
    grep -q "^invalid token: $code: " reject.err
    [ "$(wc -l <reject.err)" -eq 1 ]
    [ ! -s reject.out ]
    refute grep -qF "$(cut -d. -f3 "$token")" reject.err
}

# expect_usage ARGS...: exit 2, one line on stderr that points to --help,
# nothing on stdout.
expect_usage() {
    local rc=0
    "$TOOL" "$@" >usage.out 2>usage.err </dev/null || rc=$?
    cat usage.err
    [ "$rc" -eq 2 ]
    [ "$(wc -l <usage.err)" -eq 1 ]
    grep -q 'see mcp-token --help' usage.err
    [ ! -s usage.out ]
}

claims_json() { # SUB IAT NBF EXP JTI
    printf '{"sub":"%s","iss":"activeviam","iat":%d,"nbf":%d,"exp":%d,' \
        "$1" "$2" "$3" "$4"
    printf '"jti":"%s","authorities":["ROLE_USER"]}' "$5"
}

b64url_decode() {
    local s
    s=$(tr '_-' '/+' <<<"$1")
    case $((${#s} % 4)) in
    2) s="$s==" ;;
    3) s="$s=" ;;
    esac
    base64 -d <<<"$s"
}

LIFETIME=P7DT12H
LIFETIME_SECONDS=648000
TOKEN_CLAIMS='c["sub"]=="alice" and c["iss"]=="activeviam"
  and c["authorities"]==["ROLE_USER","ROLE_ADMIN"]
  and c["exp"]-c["iat"]=='$LIFETIME_SECONDS' and c["nbf"]==c["iat"]
  and abs(c["iat"]-now)<=60
  and re.fullmatch("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", c["jti"]) is not None
  and h["alg"]=="RS512" and "aud" not in c'

# --- keygen, mint, verified by PyJWT, Crypt::JWT and openssl --------------

t_keygen() {
    "$TOOL" keygen --bits 3072 key.pem >keygen.out 2>keygen.err
    cat keygen.err
    [ "$(wc -l <keygen.out)" -eq 1 ]
    grep -Eqx 'activeviam\.jwt\.key\.public=[A-Za-z0-9+/]+={0,2}' keygen.out
    sed -n 's/^activeviam\.jwt\.key\.public=//p' keygen.out >pub.b64
    head -n 1 key.pem | grep -qx -- '-----BEGIN PRIVATE KEY-----'
    openssl pkey -in key.pem -noout -text | grep -q 'Private-Key: (3072 bit'
    # Atoti's public value is the key's DER SubjectPublicKeyInfo.
    openssl pkey -in key.pem -pubout -outform DER | base64 -w0 >pub.openssl
    [ "$(cat pub.b64)" = "$(cat pub.openssl)" ]
    base64 -d pub.b64 >pub.der
    # PEM made from the property value alone, as an Atoti operator would.
    {
        echo '-----BEGIN PUBLIC KEY-----'
        fold -w 64 pub.b64
        echo '-----END PUBLIC KEY-----'
    } >pub.pem
    openssl pkey -pubin -in pub.pem -noout
}
check "keygen 3072 writes a PKCS#8 PEM and prints its DER SPKI property line" \
    t_keygen

t_keygen_mode() {
    [ "$(stat -c %a key.pem)" = 600 ]
    # A permissive umask must not widen the mode either.
    (umask 000 && "$TOOL" keygen --bits 2048 other.pem >other.out)
    [ "$(stat -c %a other.pem)" = 600 ]
}
check "keygen writes the key with mode 0600, whatever the umask" t_keygen_mode

t_mint() {
    "$TOOL" mint --key key.pem --sub alice --authority ROLE_USER \
        --authority ROLE_ADMIN --lifetime "$LIFETIME" >tok1 2>mint.err
    cat mint.err
    [ "$(wc -l <tok1)" -eq 1 ]
    grep -Eqx '[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+' tok1
    # The token is a credential: stdout only, never stderr.
    refute grep -qF "$(cut -d. -f3 tok1)" mint.err
}
check "mint prints one compact token on stdout and none on stderr" t_mint

t_pyjwt_decode() {
    py decode pub.pem tok1 >tok1.pyjwt
    jcheck tok1.pyjwt "$TOKEN_CLAIMS"
}
check "PyJWT verifies the token with the Atoti public value (as PEM)" \
    t_pyjwt_decode

t_cryptjwt_decode() {
    pl decode pub.b64 tok1 >tok1.cryptjwt
    jcheck tok1.cryptjwt "$TOKEN_CLAIMS"
}
check "Crypt::JWT verifies the token with the Atoti public value (DER)" \
    t_cryptjwt_decode

t_openssl_signature() {
    local h p s
    IFS=. read -r h p s <tok1
    printf '%s.%s' "$h" "$p" >tok1.input
    b64url_decode "$s" >tok1.sig
    # RS512 with a 3072-bit modulus: exactly 384 bytes, leading zeros kept.
    [ "$(stat -c %s tok1.sig)" -eq 384 ]
    openssl dgst -sha512 -verify pub.pem -signature tok1.sig tok1.input
    # And the check can fail: one byte more in the signing input.
    printf 'x' >>tok1.input
    refute openssl dgst -sha512 -verify pub.pem -signature tok1.sig tok1.input
}
check "openssl verifies the RS512 signature over the received bytes" \
    t_openssl_signature

t_defaults() {
    "$TOOL" mint --key key.pem --sub carol >tok-default 2>/dev/null
    py decode pub.pem tok-default >tok-default.json
    jcheck tok-default.json 'c["exp"]-c["iat"]==30*86400
      and c["iss"]=="activeviam" and c["authorities"]==[]'
    "$TOOL" mint --key key.pem --sub carol --lifetime 12h --iss other \
        --aud mcp >tok-opts 2>/dev/null
    "$PY" -c 'import jwt, sys
c = jwt.decode(open("tok-opts").read().strip(), open("pub.pem").read(),
               algorithms=["RS512"], audience="mcp", issuer="other")
sys.exit(0 if c["exp"] - c["iat"] == 43200 else 1)'
}
check "mint defaults to P30D and iss activeviam; --lifetime 12h, --iss, --aud" \
    t_defaults

t_verify_own() {
    "$TOOL" verify --key pub.pem - <tok1 >verify.json 2>verify.err
    [ ! -s verify.err ]
    jcheck verify.json "$TOKEN_CLAIMS"' and h["typ"]=="JWT"'
    # A private key verifies too, and so does Atoti's inline value.
    "$TOOL" verify --key key.pem - <tok1 >/dev/null
    "$TOOL" verify --key "base64:$(cat pub.b64)" - <tok1 >/dev/null
    # Token as an argument instead of stdin.
    "$TOOL" verify --key pub.pem "$(cat tok1)" >verify-arg.json
    cmp verify.json verify-arg.json
}
check "mcp-token verify accepts its token and prints header and claims" \
    t_verify_own

# --- JWK Set --------------------------------------------------------------

t_jwks() {
    "$TOOL" jwks --key key.pem >jwks.json
    "$PY" - <<'EOF'
import json, sys
jwks = json.load(open("jwks.json"))
header = json.load(open("tok1.pyjwt"))["header"]
keys = jwks["keys"]
k = keys[0]
ok = (len(keys) == 1 and k["kty"] == "RSA" and k["alg"] == "RS512"
      and k["use"] == "sig" and k["kid"] == header["kid"]
      and not any(m in k for m in ("d", "p", "q", "dp", "dq", "qi")))
sys.exit(0 if ok else "bad JWK Set: %s" % jwks)
EOF
}
check "jwks prints one public RS512 JWK whose kid is the token's kid" t_jwks

t_jwks_pyjwkset() {
    py decode-jwks set jwks.json tok1 >tok1.jwkset
    jcheck tok1.jwkset "$TOKEN_CLAIMS"
}
check "PyJWT's PyJWKSet verifies the token with the JWK Set" t_jwks_pyjwkset

t_jwks_from_jwk() {
    py decode-jwks from_jwk jwks.json tok1 >tok1.fromjwk
    jcheck tok1.fromjwk "$TOKEN_CLAIMS"
}
check "PyJWT's RSAAlgorithm.from_jwk verifies the token with the JWK" \
    t_jwks_from_jwk

t_jwks_two() {
    "$TOOL" jwks --key key.pem --key other.pem --key pub.pem >jwks2.json
    "$PY" -c 'import json, sys
keys = json.load(open("jwks2.json"))["keys"]
sys.exit(0 if len(keys) == 2 and keys[0]["kid"] != keys[1]["kid"] else 1)'
}
check "jwks with two keys (one given twice) lists each once" t_jwks_two

# --- tokens signed elsewhere, accepted ------------------------------------

now=$(date +%s)
kid() { "$PY" -c 'import json, sys
print(json.load(open(sys.argv[1]))["keys"][0]["kid"])' "$1"; }

t_pyjwt_signed() {
    py sign key.pem "$(claims_json bob "$now" "$now" $((now + 3600)) py-1)" \
        "$(kid jwks.json)" >tok-py
    "$TOOL" verify --key pub.pem - <tok-py >tok-py.json
    jcheck tok-py.json 'c["sub"]=="bob" and c["jti"]=="py-1"
      and c["authorities"]==["ROLE_USER"] and h["alg"]=="RS512"'
}
check "mcp-token verify accepts an RS512 token signed by PyJWT (with kid)" \
    t_pyjwt_signed

t_cryptjwt_signed() {
    pl sign key.pem "$(claims_json dave "$now" "$now" $((now + 3600)) pl-1)" \
        "$(kid jwks.json)" >tok-pl
    "$TOOL" verify --key pub.pem - <tok-pl >tok-pl.json
    jcheck tok-pl.json 'c["sub"]=="dave" and c["jti"]=="pl-1"'
}
check "mcp-token verify accepts an RS512 token signed by Crypt::JWT" \
    t_cryptjwt_signed

t_pyjwt_no_kid() {
    py sign key.pem "$(claims_json erin "$now" "$now" $((now + 3600)) py-2)" \
        >tok-nokid
    "$TOOL" verify --key other.pem --key pub.pem - <tok-nokid >tok-nokid.json
    jcheck tok-nokid.json 'c["sub"]=="erin" and "kid" not in h'
}
check "a token without kid is tried against every key of the ring" \
    t_pyjwt_no_kid

t_rotation() {
    "$TOOL" mint --key other.pem --sub frank >tok-other 2>/dev/null
    "$TOOL" verify --key key.pem --key other.pem - <tok-other >/dev/null
    "$TOOL" verify --key key.pem --key other.pem - <tok1 >/dev/null
}
check "verify with two keys accepts tokens of either (key rotation)" t_rotation

# --- tokens that must be refused ------------------------------------------

t_hs512() {
    py sign-hs512 pub.pem \
        "$(claims_json mallory "$now" "$now" $((now + 3600)) hs-1)" \
        "$(kid jwks.json)" >tok-hs512
    grep -Eqx '[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+' tok-hs512
    expect_reject bad_alg tok-hs512 --key pub.pem
    expect_reject bad_alg tok-hs512 --key key.pem
}
check "an HS512 token keyed with the public PEM is refused: bad_alg" t_hs512

t_other_key() {
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 \
        -out forger.pem 2>/dev/null
    # Same kid as the real key, so the choice of key is not what refuses it.
    py sign forger.pem \
        "$(claims_json mallory "$now" "$now" $((now + 3600)) ok-1)" \
        "$(kid jwks.json)" >tok-forged
    expect_reject bad_signature tok-forged --key pub.pem
    py sign forger.pem \
        "$(claims_json mallory "$now" "$now" $((now + 3600)) ok-2)" \
        >tok-forged-nokid
    expect_reject bad_signature tok-forged-nokid --key pub.pem
}
check "a token signed by another 3072-bit key is refused: bad_signature" \
    t_other_key

t_other_size() {
    py sign other.pem \
        "$(claims_json mallory "$now" "$now" $((now + 3600)) ok-3)" \
        >tok-small
    expect_reject bad_signature_length tok-small --key pub.pem
}
check "a signature of a 2048-bit key against a 3072-bit one: bad_signature_length" \
    t_other_size

t_unknown_kid() {
    expect_reject unknown_kid tok-other --key pub.pem
}
check "a token whose kid names no configured key is refused: unknown_kid" \
    t_unknown_kid

t_expired() {
    py sign key.pem \
        "$(claims_json bob $((now - 7200)) $((now - 7200)) $((now - 3600)) e1)" \
        "$(kid jwks.json)" >tok-expired
    expect_reject expired tok-expired --key pub.pem
}
check "a token that expired an hour ago is refused: expired" t_expired

t_leeway() {
    py sign key.pem \
        "$(claims_json bob $((now - 600)) $((now - 600)) $((now - 20)) e2)" \
        "$(kid jwks.json)" >tok-skew
    "$TOOL" verify --key pub.pem - <tok-skew >/dev/null
    expect_reject expired tok-skew --key pub.pem --leeway 0
}
check "an expiry within the 60 s leeway passes; --leeway 0 refuses it" \
    t_leeway

t_claim_checks() {
    expect_reject bad_issuer tok1 --key pub.pem --iss someone-else
    "$TOOL" verify --key pub.pem --iss activeviam - <tok1 >/dev/null
    expect_reject bad_audience tok1 --key pub.pem --aud mcp
    "$TOOL" verify --key pub.pem --aud mcp - <tok-opts >/dev/null
}
check "verify --iss and --aud refuse a mismatch and accept a match" \
    t_claim_checks

t_tampered() {
    local h p s
    IFS=. read -r h p s <tok1
    # Same header and signature, claims of someone else.
    p=$(printf '{"sub":"root","iss":"activeviam","exp":%d}' $((now + 60)) |
        base64 -w0 | tr '+/' '-_' | tr -d '=')
    printf '%s.%s.%s\n' "$h" "$p" "$s" >tok-tampered
    expect_reject bad_signature tok-tampered --key pub.pem
}
check "a token with a swapped payload is refused: bad_signature" t_tampered

# --- Atoti's properties round trip ----------------------------------------

t_atoti_properties() {
    "$TOOL" atoti-properties --key key.pem >props 2>props.err
    [ ! -s props.err ]
    [ "$(wc -l <props)" -eq 2 ]
    grep -Eqx 'activeviam\.jwt\.key\.private=[A-Za-z0-9+/]+={0,2}' props
    sed -n 's/^activeviam\.jwt\.key\.private=//p' props >priv.b64
    grep -qxF "activeviam.jwt.key.public=$(cat pub.b64)" props
    base64 -d priv.b64 >priv.der
    # openssl pkcs8 reads nothing but a PKCS#8 PrivateKeyInfo...
    openssl pkcs8 -nocrypt -inform DER -in priv.der -out /dev/null
    # ...and this one is the same key.
    [ "$(openssl pkey -inform DER -in priv.der -pubout -outform DER |
        base64 -w0)" = "$(cat pub.b64)" ]
}
check "atoti-properties prints the PKCS#8 and SPKI Base64 DER lines" \
    t_atoti_properties

t_atoti_roundtrip() {
    "$TOOL" mint --key priv.b64 --sub grace --authority ROLE_USER \
        >tok-atoti 2>/dev/null
    "$TOOL" verify --key "base64:$(cat pub.b64)" - <tok-atoti >tok-atoti.json
    jcheck tok-atoti.json 'c["sub"]=="grace"'
    py decode pub.pem tok-atoti >/dev/null
}
check "a key loaded from the private property mints what base64:PUB verifies" \
    t_atoti_roundtrip

t_atoti_public_refused() {
    local rc=0
    "$TOOL" atoti-properties --key pub.pem >props-pub 2>props-pub.err || rc=$?
    cat props-pub.err
    [ "$rc" -eq 1 ]
    grep -q 'public key' props-pub.err
    [ ! -s props-pub ]
}
check "atoti-properties refuses a public key (exit 1, no output)" \
    t_atoti_public_refused

t_no_private_leak() {
    local pem_line der_part
    # From the middle: the private exponent and primes, not the modulus that
    # the public key shares.
    pem_line=$(sed -n 20p key.pem)
    der_part=$(cut -c 1201-1264 priv.b64)
    [ ${#pem_line} -eq 64 ] && [ ${#der_part} -eq 64 ]
    for f in keygen.out keygen.err mint.err verify.json jwks.json jwks2.json \
        tok1.pyjwt reject.err; do
        [ -e "$f" ]
        refute grep -qF "$der_part" "$f"
        refute grep -qF "$pem_line" "$f"
    done
}
check "no output other than atoti-properties holds private key material" \
    t_no_private_leak

# --- keygen safety and usage errors ---------------------------------------

t_keygen_no_overwrite() {
    local before rc=0
    before=$(sha256sum key.pem)
    "$TOOL" keygen --bits 2048 key.pem >kg2.out 2>kg2.err || rc=$?
    cat kg2.err
    [ "$rc" -eq 1 ]
    grep -q 'exists' kg2.err
    [ ! -s kg2.out ]
    [ "$(sha256sum key.pem)" = "$before" ]
    # Nor through a symlink planted where the key goes.
    ln -s victim link.pem
    rc=0
    "$TOOL" keygen --bits 2048 link.pem >/dev/null 2>&1 || rc=$?
    [ "$rc" -eq 1 ]
    [ ! -e victim ]
}
check "keygen refuses to overwrite an existing file (exit 1)" \
    t_keygen_no_overwrite

check "usage: no command exits 2" expect_usage
check "usage: unknown command exits 2" expect_usage frobnicate
check "usage: unknown option exits 2" \
    expect_usage mint --key key.pem --sub a --frobnicate
check "usage: option without its value exits 2" \
    expect_usage mint --key key.pem --sub
check "usage: mint without --sub exits 2" expect_usage mint --key key.pem
check "usage: mint --lifetime P1Y (calendar unit) exits 2" \
    expect_usage mint --key key.pem --sub a --lifetime P1Y
check "usage: mint --lifetime -P1D (not positive) exits 2" \
    expect_usage mint --key key.pem --sub a --lifetime=-P1D
check "usage: verify without --key exits 2" expect_usage verify -
check "usage: verify without a token exits 2" expect_usage verify --key pub.pem
check "usage: keygen --bits 1024 exits 2" \
    expect_usage keygen --bits 1024 small.pem
check "usage: keygen without a file exits 2" expect_usage keygen
check "usage: revoke with both a JTI and --sub exits 2" \
    expect_usage revoke --file rev.txt --sub a some-jti
check "usage: revoke --before without --sub exits 2" \
    expect_usage revoke --file rev.txt --before 2030-01-01T00:00:00Z some-jti
check "usage: revoke with a bad --before exits 2" \
    expect_usage revoke --file rev.txt --sub a --before yesterday

t_help() {
    "$TOOL" --help >help.out
    for c in keygen atoti-properties mint verify jwks revoke; do
        grep -qE "^  $c( |$)" help.out
    done
    "$TOOL" help | cmp - help.out
    "$TOOL" --version | grep -Eqx 'mcp-token [0-9]+\.[0-9]+\.[0-9]+.*'
    [ ! -e small.pem ]
    [ ! -e rev.txt ]
}
check "--help documents every command; --version; usage errors wrote nothing" \
    t_help

# --- revocation file ------------------------------------------------------

# Lines that are not comments.
entries() { grep -v '^#' "$1"; }
# Names in a directory, sorted, on one line: a left-over temporary shows.
files_in() { find "$1" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' '; }

t_revoke_create() {
    local jti
    jti=$("$PY" -c 'import json; print(json.load(open("tok1.pyjwt"))["claims"]["jti"])')
    mkdir rev
    "$TOOL" revoke --file rev/revoked "$jti"
    [ "$(stat -c %a rev/revoked)" = 644 ]
    [ "$(entries rev/revoked)" = "$jti" ]
    echo "$jti" >jti1
}
check "revoke JTI creates the file with mode 0644 and that one entry" \
    t_revoke_create

t_revoke_sub() {
    local ino
    ino=$(stat -c %i rev/revoked)
    "$TOOL" revoke --file rev/revoked --sub alice \
        --before 2030-01-01T00:00:00+02:00
    [ "$(entries rev/revoked)" = "$(cat jti1)
sub alice 2029-12-31T22:00:00Z" ]
    # A new file renamed into place, not the old one written in place.
    [ "$(stat -c %i rev/revoked)" != "$ino" ]
    [ "$(files_in rev)" = "revoked " ]
}
check "revoke --sub --before appends 'sub NAME UTC-time' via rename" \
    t_revoke_sub

t_revoke_now() {
    local line t
    "$TOOL" revoke --file rev/revoked --sub bob
    line=$(tail -n 1 rev/revoked)
    [[ $line =~ ^sub\ bob\ ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z)$ ]]
    t=$(date -u -d "${BASH_REMATCH[1]}" +%s)
    [ $(($(date +%s) - t)) -le 60 ]
    [ "$(entries rev/revoked | wc -l)" -eq 3 ]
}
check "revoke --sub without --before uses the current time" t_revoke_now

t_revoke_existing() {
    printf '# kept by hand\nabc' >rev/hand
    chmod 640 rev/hand
    "$TOOL" revoke --file rev/hand def
    [ "$(cat rev/hand)" = "# kept by hand
abc
def" ]
    [ "$(stat -c %a rev/hand)" = 640 ]
    # A line already there is not added twice.
    "$TOOL" revoke --file rev/hand abc
    [ "$(grep -c '^abc$' rev/hand)" -eq 1 ]
    # Through a symlink, the target changes and the link stays.
    ln -s hand rev/link
    "$TOOL" revoke --file rev/link ghi
    [ -L rev/link ]
    [ "$(tail -n 1 rev/hand)" = ghi ]
    [ "$(files_in rev)" = "hand link revoked " ]
}
check "revoke keeps existing lines, mode and symlinks; no duplicates" \
    t_revoke_existing

t_revoke_concurrent() {
    local i
    for i in $(seq 1 20); do
        "$TOOL" revoke --file rev/busy "jti-$i" 2>/dev/null &
    done
    wait
    [ "$(entries rev/busy | sort -V | tr '\n' ' ')" = \
        "$(seq -f 'jti-%g' 1 20 | tr '\n' ' ')" ]
}
check "20 concurrent revokes lose no line" t_revoke_concurrent

t_revoke_escaped_sub() {
    "$TOOL" revoke --file rev/revoked --sub 'Jane Doe 100%' \
        --before 2025-06-01T12:00:00.5Z
    [ "$(tail -n 1 rev/revoked)" = "sub Jane%20Doe%20100%25 2025-06-01T12:00:00Z" ]
}
check "revoke --sub writes a name with spaces and % escaped as %20 and %25" \
    t_revoke_escaped_sub

t_revoke_bad_entries() {
    expect_usage revoke --file rev/revoked 'two words'
    expect_usage revoke --file rev/revoked '#comment'
    expect_usage revoke --file rev/revoked "$(printf 'j%.0s' $(seq 129))"
    expect_usage revoke --file rev/revoked --sub ''
    [ "$(entries rev/revoked | wc -l)" -eq 4 ]
}
check "revoke refuses a JTI that would not read back as written" \
    t_revoke_bad_entries

t_revoke_broken_file() {
    local before rc=0
    printf 'good-jti\nsub only-a-name\n' >rev/broken
    before=$(sha256sum rev/broken)
    "$TOOL" revoke --file rev/broken new-jti 2>broken.err || rc=$?
    cat broken.err
    [ "$rc" -eq 1 ]
    grep -q 'line 2' broken.err
    [ "$(sha256sum rev/broken)" = "$before" ]
}
check "revoke leaves alone a file the module cannot read (exit 1)" \
    t_revoke_broken_file

echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
