#!/usr/bin/env bash
# Instructions per operation, counted by callgrind: a figure that the
# machine's load does not move (the same binary on the same input counts
# the same), so that a regression test could hold the module's overhead to
# a number.  Part 7 of bench/run.sh (`BENCH_ONLY=icount` runs it alone);
# it also runs on its own:
#
#   bench/icount.sh             # prints the table
#
# One httpd -X (one process, event MPM, one worker thread, loopback, the
# module as built) runs under valgrind --tool=callgrind, which dumps its
# counters (and zeroes them) whenever httpd enters ap_send_error_response:
# a request answered 404 is the marker.  For each operation: WARM requests
# (not counted), a marker, N/2 requests, a marker, N/2 more, a marker: Ir
# per operation is the two dumps' total over N, less what the markers
# themselves add (counted once with no request between two of them); the
# two halves must agree (their spread is printed).  The requests go one at
# a time on one keep-alive connection per half (curl, at most 10 a
# second), so each half also holds one connection's opening and closing.
# The raw operations are counted in C loops: bench/rsa_speed.c and
# bench/jwt_speed.c with --count K under --toggle-collect=counted_ops, Ir
# over K.
#
# Operations (RSA-3072 unless said): the JSON mint (RSA-2048 and 3072),
# the page's form post, a 512 B static file behind AuthType mcp-bearer
# with MCPBearerCache off and on, the page; the baselines: one raw RS512
# signature and verification, the same static file without auth, the
# page's bytes as a static file behind the same Basic auth (EnableMMAP
# Off, as bench/run.sh serves files, and On, httpd's default), and
# without auth.  Then the mint by an httpd under callgrind that does not
# count inside the signature (SIGN_FUNCS), and the guarded request by one
# that does not count inside the verification (VERIFY_FUNCS): the
# functions they spend their other instructions in; and the same mint
# again on a virtual host whose ErrorLog is syslog at LogLevel warn,
# where its audit line is not written (to a file ErrorLog httpd writes
# notice lines whatever the LogLevel): the line's cost.  Then the
# authorization server's token endpoint, by an httpd of its own: code
# redemption and refresh, each also outside the signature (its dumps less
# the inclusive counts of SIGN_FUNCS).  Last, outside valgrind, the
# system calls per request of the page and its twins (strace -c), and
# the system time of one write(2) the size of the audit line (dd).
#
# Prints the table; writes the markdown section (bench/run.sh puts it in
# bench/results.md) to ICOUNT_OUT, else keeps it in the work directory
# with ICOUNT_KEEP=1.  About seven minutes on two cores.
#
# Environment:
#   ICOUNT_N=N        requests counted per cheap operation (default 40)
#   ICOUNT_MINTS=N    mints and form posts counted (default 64: OpenSSL
#                     refreshes the RSA blinding once in every 32 signatures,
#                     so each half holds one refresh)
#   ICOUNT_WARM=N     requests before counting (default 8; mints: 3)
#   ICOUNT_K=K        raw signatures counted (default 32, for the same
#                     reason; verifications 8K)
#   ICOUNT_OUT=FILE   also write the markdown section there (bench/run.sh)
#   ICOUNT_KEYS=DIR   take key-2048.pem and key-3072.pem from DIR
#   ICOUNT_KEEP=1     keep the work directory (profiles, configs, logs)
#   ICOUNT_NO_BUILD=1 do not run `make all` first
#   ICOUNT_MODULE_DESC=TEXT  how the module is described (bench/run.sh)
set -euo pipefail

SUITE=icount harness_no_tally=1
# shellcheck source=t/harness/lib.sh
. "$(dirname "$0")/../t/harness/lib.sh"
# shellcheck source=bench/conf.sh
. "$(dirname "$0")/conf.sh"
BENCH_DIR=$ROOT/bench
N_REQ=${ICOUNT_N:-40}
N_MINT=${ICOUNT_MINTS:-64}
WARM=${ICOUNT_WARM:-8}
WARM_MINT=3
K_SIGN=${ICOUNT_K:-32}
K_VERIFY=$((K_SIGN * 8))
OUT_MD=${ICOUNT_OUT:-}
BODY='{"expiresIn":"P7D"}'
USER_NAME=bench
USER_PW=bench-pw
# What the runs for the profiles do not count: the RSA operation and its
# set-up, as bench/rsa_speed.c counts them (the copy of the key's prepared
# context, mcp_rs512_begin in jwt/prepared.c, then the one-shot call); one
# run for signatures, one for verifications.  (Not EVP_MD_CTX_copy_ex
# itself: every prepared HMAC is copied through it too.)
SIGN_FUNCS="mcp_rs512_begin EVP_DigestSign"
VERIFY_FUNCS="mcp_rs512_begin EVP_DigestVerify"

die() { say "error: $*"; exit 1; }
for tool in valgrind callgrind_annotate curl gcc htpasswd strace "$HTTPD"; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install -y valgrind apache2-utils curl gcc strace apache2)"
done
[ $((N_REQ % 2)) = 0 ] && [ $((N_MINT % 2)) = 0 ] || die "ICOUNT_N and ICOUNT_MINTS must be even (two halves)"

if [ "${ICOUNT_NO_BUILD:-0}" != 1 ]; then
    say "building (make all)"
    timeout 300 make -C "$ROOT" --no-print-directory all >&2 || die "make all failed"
fi
[ -f "$MODULE" ] || die "no module: run make all"
[ -x "$TOOL" ] || die "no $TOOL: run make all"

mkdir -p "$BENCH_DIR/work"
harness_workdir "$BENCH_DIR/work"
WORK=$work
VG_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_vg
    if [ $rc -ne 0 ]; then
        for log in "$WORK"/error_log "$WORK"/cg/*.log; do
            if [ -f "$log" ]; then tail -n 20 "$log" >&2; fi
        done
    fi
    harness_finish "$([ "${ICOUNT_KEEP:-0}" = 1 ] || [ $rc -ne 0 ] && echo 1)"
    exit $rc
}
# stop_vg: ends the httpd under valgrind (its pid in VG_PID).
stop_vg() {
    [ -n "$VG_PID" ] || return 0
    harness_stop "$VG_PID" "httpd under callgrind" 120 || true
    VG_PID=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp "$MODULE" "$WORK/mod_mcp_credentials.so"
# (bench/run.sh gives its own description: its MODULE is its copy)
MODULE_DESC=${ICOUNT_MODULE_DESC:-"built $(date -u -r "$MODULE" '+%Y-%m-%d %H:%M UTC')"}
if [ -z "${ICOUNT_MODULE_DESC:-}" ] && commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null); then
    MODULE_DESC="$MODULE_DESC from $commit"
    [ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] ||
        MODULE_DESC="$MODULE_DESC with uncommitted changes"
fi

say "compiling bench/rsa_speed.c and bench/jwt_speed.c"
timeout 60 gcc -std=c11 -O2 -Wall -Wextra -Werror -o "$WORK/rsa_speed" \
    "$BENCH_DIR/rsa_speed.c" -lcrypto -lpthread || die "cannot build rsa_speed"
timeout 120 gcc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -Wall -Wextra \
    -Werror -I"$ROOT/jwt" -I"$ROOT/lib" -o "$WORK/jwt_speed" "$BENCH_DIR/jwt_speed.c" "$ROOT"/jwt/*.c \
    "$ROOT/lib/file.c" "$ROOT/lib/message.c" -lcjson -lcrypto -lpthread || die "cannot build jwt_speed"

# ---------------------------------------------------------------- setup --
for bits in 2048 3072; do
    if [ -n "${ICOUNT_KEYS:-}" ] && [ -f "$ICOUNT_KEYS/key-$bits.pem" ]; then
        cp "$ICOUNT_KEYS/key-$bits.pem" "$WORK/key-$bits.pem"
    else
        say "making an RSA-$bits key"
        timeout 120 "$TOOL" keygen --bits "$bits" "$WORK/key-$bits.pem" >/dev/null 2>&1 ||
            die "mcp-token keygen --bits $bits failed"
    fi
done
# As in bench/run.sh: a SHA-1 htpasswd (one SHA-1 per request).
fixture_user "$WORK/htpasswd" "$USER_NAME" "$USER_PW" -s
BASIC="Basic $(printf '%s:%s' "$USER_NAME" "$USER_PW" | base64 -w0)"
TOKEN=$(timeout 20 "$TOOL" mint --key "$WORK/key-3072.pem" \
    --sub "$USER_NAME" --authority ROLE_USER --lifetime P7D 2>/dev/null) ||
    die "mcp-token mint failed"
BEARER="Bearer $TOKEN"
printf '%s' "$BODY" >"$WORK/body.json"
mkdir -p "$WORK/htdocs/open" "$WORK/htdocs/guarded" "$WORK/htdocs/auth" "$WORK/htdocs/mmap"
head -c 512 /dev/zero | tr '\0' 'x' >"$WORK/htdocs/open/small.txt"
cp "$WORK/htdocs/open/small.txt" "$WORK/htdocs/guarded/small.txt"
chmod -R a+rX "$WORK/htdocs"

read -r P3072 P2048 PNOCACHE PNOLOG POAUTH < <(harness_free_ports 5)
H3072=http://127.0.0.1:$P3072
HOAUTH=http://127.0.0.1:$POAUTH
CONF=$WORK/httpd.conf
# As bench/run.sh's httpd (the same sections), with one worker thread:
# under valgrind threads run one at a time anyway, and one thread signs
# every token, so that the RSA blinding is refreshed once in every 32
# signatures (OpenSSL refreshes each thread's blinding every 32 uses).
{ harness_conf_head "$WORK/mod_mcp_credentials.so"; cat <<CONF; } >"$CONF"
Listen 127.0.0.1:$P3072
Listen 127.0.0.1:$P2048
Listen 127.0.0.1:$PNOCACHE
Listen 127.0.0.1:$PNOLOG
DocumentRoot "$WORK/htdocs"
StartServers 1
ServerLimit 1
ThreadLimit 1
ThreadsPerChild 1
MaxRequestWorkers 1
MinSpareThreads 1
MaxSpareThreads 2
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 60
# no CustomLog: the access log is off
<Directory />
    AllowOverride None
</Directory>
# As in bench/run.sh: files are read, not mapped (see "The page against
# its static twin"), but under /mmap, with httpd's default.
EnableMMAP Off
<Directory "$WORK/htdocs/mmap">
    EnableMMAP On
</Directory>

MCPCredentialsSigningKey "$WORK/key-3072.pem"
MCPCredentialsRateCache none

$(bench_credentials)
# The page's bytes as a static file, same auth.
<Location /auth>
$(harness_basic_auth bench)
</Location>
<Location /mmap>
$(harness_basic_auth bench)
</Location>
# /open is served without auth; /guarded is the same file behind tokens.
<Location /guarded>
$(harness_bearer_auth)
</Location>

<VirtualHost 127.0.0.1:$P2048>
    MCPCredentialsSigningKey "$WORK/key-2048.pem"
</VirtualHost>
<VirtualHost 127.0.0.1:$PNOCACHE>
    MCPBearerCache off
</VirtualHost>
# httpd writes notice lines (the audit line of each mint) to a file
# ErrorLog whatever the LogLevel; to syslog, only down to the LogLevel.
<VirtualHost 127.0.0.1:$PNOLOG>
    ErrorLog syslog:local7
</VirtualHost>
CONF
harness_configtest "$CONF"

# The authorization server, as bench/run.sh's (part 5) but for the one
# worker thread: its own httpd, the RSA-3072 key, a shmcb store.
OAUTH=$WORK/oauth
CONF_OAUTH=$OAUTH/httpd.conf
mkdir -p "$OAUTH"
head -c 48 /dev/urandom | base64 -w0 >"$OAUTH/secret"
chmod 600 "$OAUTH/secret"
{ harness_conf_head "$WORK/mod_mcp_credentials.so"; cat <<CONF; } >"$CONF_OAUTH"
Listen 127.0.0.1:$POAUTH
DocumentRoot "$WORK/htdocs"
$(sed -n '/^StartServers/,/^<\/Directory>$/p' "$CONF")

$(bench_oauth "$HOAUTH" "shmcb:$OAUTH/store(4194304)" "$OAUTH/secret" "$WORK/key-3072.pem")
CONF
harness_configtest "$CONF_OAUTH"

# -------------------------------------------------------------- helpers --
CG=$WORK/cg
mkdir -p "$CG"
# httpd's worker runs as nobody and writes the dumps.
chown nobody "$CG" 2>/dev/null || chmod 777 "$CG"
: >"$WORK/counts"   # NAME IR_PER_OP HALF_A HALF_B N
calc() { awk "BEGIN { printf \"%.${2:-0}f\", $1 }"; }
# cg_total FILE: the Ir total of a callgrind dump (its cost lines), which
# must agree with its summary line within 200 Ir.
cg_total() {
    local t s
    t=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$1")
    s=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$1")
    [ -n "$t" ] && [ -n "$s" ] || die "no total in $1"
    [ $((t > s ? t - s : s - t)) -le 200 ] || die "$1: totals $t, summary $s"
    echo "$t"
}
note_count() { # note_count NAME IR_A IR_B N
    printf '%s %s %s %s %s\n' "$1" "$(calc "($2 + $3) / $4")" "$2" "$3" "$4" >>"$WORK/counts"
}
count_of() { awk -v n="$1" '$1 == n { print $2 }' "$WORK/counts"; }
spread_of() { awk -v n="$1" '$1 == n { a = $3; b = $4; m = (a + b) / 2; printf "%.2f", m ? 100 * (a > b ? a - b : b - a) / m : 0 }' "$WORK/counts"; }

# The marker: callgrind dumps its counters, and zeroes them, when httpd
# enters ap_send_error_response: a request answered 404 (mark_dump), which
# none of the counted requests reaches (they all answer 2xx to GET or
# POST).  A dump thus also holds the end of the marker request before it
# and the start of its own (and the opening and closing of their
# connections): calibrate() counts exactly that, with no request in
# between, and batch() subtracts it.  (Callgrind's --zero-before would
# spare a marker, but after it the dump's cost lines no longer add up to
# its summary line; from dump to dump they do, and cg_total checks it.)
MARKERS=(--dump-before=ap_send_error_response)

# start_vg NAME [VALGRIND-OPTION...]: httpd -X under callgrind, until it
# answers; then calibrate.  Its configuration is VG_CONF, its address
# VG_BASE, where the markers go.
start_vg() {
    local name=$1
    shift
    say "starting httpd -X under callgrind ($name)"
    valgrind --tool=callgrind --callgrind-out-file="$CG/$name" "${MARKERS[@]}" \
        "$@" "$HTTPD" -X -f "$VG_CONF" >"$CG/$name.log" 2>&1 &
    VG_PID=$!
    VG_NAME=$name
    harness_wait_http "httpd under callgrind" "$VG_BASE/open/small.txt" any "$VG_PID" 300
    # valgrind made its output file as root, before httpd became nobody,
    # who writes the dumps beside it and the last one (at exit) into it.
    chown nobody "$CG/$name" || die "cannot give $CG/$name to nobody"
    calibrate
}
# last_dump: the newest dump file of the running httpd.
last_dump() {
    local f
    for f in "$CG/$VG_NAME".[0-9]*; do if [ -f "$f" ]; then echo "${f##*.} $f"; fi; done |
        sort -n | tail -n 1 | cut -d' ' -f2-
}
# settle: lets the server finish with the connection its client closed.
settle() { sleep 1; }
# mark_dump: a dump; prints its file's name once written.
mark_dump() {
    local before after code
    before=$(last_dump)
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 "$VG_BASE/open/no-such-file") || code=000
    [ "$code" = 404 ] || die "the dump's marker request: HTTP $code, expected 404"
    settle
    for _ in $(seq 100); do
        after=$(last_dump)
        if [ -n "$after" ] && [ "$after" != "$before" ]; then echo "$after"; return 0; fi
        sleep 0.1
    done
    die "no dump written"
}
# calibrate: what the markers add to each dump, in CAL: from a 404 to
# the next, with nothing between them.
calibrate() {
    mark_dump >/dev/null
    CAL=$(cg_total "$(mark_dump)")
    say "$VG_NAME: the marker counts $CAL Ir"
}
# requests N CURL-ARGS... URL: N requests on one keep-alive connection
# (curl with the URL N times), at most RATE a second, so that httpd is
# done with each (its log, its pool) and waits for the next when it
# comes: else how much of that it has done when the next request arrives
# depends on the timing, and so would the count (a few hundred
# instructions a request).  Dies unless all answer 2xx.
RATE=10/s
requests() {
    local n=$1 url urls=() i
    shift
    url=${*: -1}
    set -- "${@:1:$(($# - 1))}"
    for ((i = 0; i < n; i++)); do urls+=("$url"); done
    send_curl "$n" -s --max-time 120 -o /dev/null -w '%{stderr}%{http_code}\n' "$@" "${urls[@]}"
}
# send_curl N CURL-ARGS...: one curl for N transfers, at most RATE a
# second, each writing its status to stderr; dies unless all N answer 2xx.
send_curl() {
    local n=$1 codes ok
    shift
    codes=$(timeout 900 curl --rate "$RATE" "$@" 2>&1 >/dev/null) || die "curl failed: $codes"
    ok=$(grep -c '^2[0-9][0-9]$' <<<"$codes" || true)
    [ "$ok" = "$n" ] || die "$ok of $n answers 2xx: $(sort <<<"$codes" | uniq -c | tr '\n' ' ')"
}
# same_requests PART N CURL-ARGS... URL: batch's sender for N alike
# requests (PART, which of batch's three parts, does not matter).
same_requests() { shift; requests "$@"; }
# batch NAME N WARM CURL-ARGS... URL: Ir per request (see the header).
batch() {
    local name=$1 n=$2 warm=$3
    shift 3
    batch_by "$name" "$n" "$warm" same_requests "$@"
}
# batch_by NAME N WARM SENDER ARGS...: the same, the requests sent by
# SENDER PART COUNT ARGS... for each PART: warm (WARM requests), a and b
# (N/2 each, counted).
batch_by() {
    local name=$1 n=$2 warm=$3 sender=$4 a b
    shift 4
    say "$name: $warm requests to warm up, then $n counted"
    "$sender" warm "$warm" "$@"
    settle
    mark_dump >/dev/null
    "$sender" a $((n / 2)) "$@"
    settle
    a=$(mark_dump)
    "$sender" b $((n / 2)) "$@"
    settle
    b=$(mark_dump)
    cp "$a" "$CG/half.$name.a"
    cp "$b" "$CG/half.$name.b"
    cp "$b" "$CG/prof.$name"
    note_count "$name" $(( $(cg_total "$a") - CAL )) $(( $(cg_total "$b") - CAL )) "$n"
    say "$name: $(count_of "$name") Ir per request (halves differ by $(spread_of "$name")%)"
}
# raw NAME K PROGRAM ARGS...: Ir per operation of a C loop (--count K).
raw() {
    local name=$1 k=$2 out
    shift 2
    say "$name: $k operations counted"
    out=$(timeout 900 valgrind --tool=callgrind --collect-atstart=no --toggle-collect=counted_ops \
        --callgrind-out-file="$CG/raw.$name" "$@" --count "$k" 2>"$CG/raw.$name.log") ||
        die "$name: $* --count $k failed"
    grep -q "count=$k" <<<"$out" || die "$name: $out"
    cp "$CG/raw.$name" "$CG/prof.$name"
    # one run: no halves (a C loop has no server between its operations)
    note_count "$name" "$(cg_total "$CG/raw.$name")" 0 "$k"
    sed -i "s/^$name \([^ ]*\) \([^ ]*\) 0 $k\$/$name \1 \2 - $k/" "$WORK/counts"
    say "$name: $(count_of "$name") Ir per operation"
}

# token_requests PART N KIND: batch_by's sender for the token endpoint:
# the N requests of $OAUTH/KIND.PART.curl (a curl --config file of one
# transfer each: bench/oauth_client.py curl-config).
token_requests() {
    local f=$OAUTH/$3.$1.curl
    [ "$(grep -c '^url = ' "$f")" = "$2" ] || die "$f does not hold $2 requests"
    send_curl "$2" -K "$f"
}

JSON_MINT=(-H 'Content-Type: application/json' --data-binary "@$WORK/body.json" -H "Authorization: $BASIC")

# -------------------------------------------------- the raw operations --
raw sign2048 "$K_SIGN" "$WORK/rsa_speed" --key "$WORK/key-2048.pem" --op sign
raw sign3072 "$K_SIGN" "$WORK/rsa_speed" --key "$WORK/key-3072.pem" --op sign
raw verify3072 "$K_VERIFY" "$WORK/rsa_speed" --key "$WORK/key-3072.pem" --op verify
raw unitmint3072 "$K_SIGN" "$WORK/jwt_speed" --key "$WORK/key-3072.pem" --op mint
raw unitverify3072 "$K_VERIFY" "$WORK/jwt_speed" --key "$WORK/key-3072.pem" --op verify

# ------------------------------------------------------------- httpd --
VG_CONF=$CONF VG_BASE=$H3072
start_vg main
# The page, and its bytes as static files: behind the same Basic auth
# (served with EnableMMAP Off, as every file here, and with httpd's
# default EnableMMAP On), and without auth.
code=$(curl -s -o "$WORK/page.html" -w '%{http_code}' --max-time 60 \
    -H "Authorization: $BASIC" "$H3072/mcp-credentials") || code=000
[ "$code" = 200 ] || die "the page: HTTP $code"
for d in auth mmap open; do install -m 644 "$WORK/page.html" "$WORK/htdocs/$d/page.html"; done
PAGE_BYTES=$(wc -c <"$WORK/page.html")
# The form as a browser without JavaScript posts it, with the page's CSRF
# token (good for this hour and the next).
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/page.html" | head -n 1)
[ -n "$csrf" ] || die "no CSRF token in the page"
printf 'csrf=%s&tz=Z&lifetime=P7D&roles_shown=1&authorities=ROLE_USER' "$csrf" >"$WORK/form.txt"
code=$(curl -s -o "$WORK/form.html" -w '%{http_code}' --max-time 60 -H "Authorization: $BASIC" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$WORK/form.txt" \
    "$H3072/mcp-credentials/token") || code=000
[ "$code" = 200 ] && grep -q 'eyJ' "$WORK/form.html" || die "the form post: HTTP $code, or no token in the page"

# An idle server: what its threads count in 5 s with no request, to show
# how little the seconds a batch lasts add.
say "an idle server: 5 s"
mark_dump >/dev/null
sleep 5
IDLE_PER_S=$(calc "($(cg_total "$(mark_dump)") - CAL) / 5")

batch mint2048 "$N_MINT" "$WARM_MINT" "${JSON_MINT[@]}" "http://127.0.0.1:$P2048/mcp-credentials/token"
batch mint3072 "$N_MINT" "$WARM_MINT" "${JSON_MINT[@]}" "$H3072/mcp-credentials/token"
batch form3072 "$N_MINT" "$WARM_MINT" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$WORK/form.txt" \
    -H "Authorization: $BASIC" "$H3072/mcp-credentials/token"
batch guardednocache "$N_REQ" "$WARM" -H "Authorization: $BEARER" "http://127.0.0.1:$PNOCACHE/guarded/small.txt"
batch guarded "$N_REQ" "$WARM" -H "Authorization: $BEARER" "$H3072/guarded/small.txt"
batch open "$N_REQ" "$WARM" -H "Authorization: $BEARER" "$H3072/open/small.txt"
batch page "$N_REQ" "$WARM" -H "Authorization: $BASIC" "$H3072/mcp-credentials"
batch pagestatic "$N_REQ" "$WARM" -H "Authorization: $BASIC" "$H3072/auth/page.html"
batch pagemmap "$N_REQ" "$WARM" -H "Authorization: $BASIC" "$H3072/mmap/page.html"
batch pageopen "$N_REQ" "$WARM" "$H3072/open/page.html"
stop_vg

# ---------------------------------------- the overhead's own profile --
# toggles "FUNCTION...": in TOGGLES, callgrind's options to count all but
# them (collection on from the start: after the toggles, which would set
# it off).
toggles() {
    local f
    TOGGLES=()
    for f in $1; do TOGGLES+=(--toggle-collect="$f"); done
    TOGGLES+=(--collect-atstart=yes)
}
toggles "$SIGN_FUNCS"
start_vg nosign "${TOGGLES[@]}"
audit_count() { grep -c 'minted token jti=' "$WORK/error_log" || true; }
audit0=$(audit_count)
batch mint3072-norsa "$N_MINT" "$WARM_MINT" "${JSON_MINT[@]}" "$H3072/mcp-credentials/token"
audit1=$(audit_count)
# The audit line's cost, without the signature's: the blinding refresh
# varies by some thousands of instructions from one to the next.
batch mint3072nolog-norsa "$N_MINT" "$WARM_MINT" "${JSON_MINT[@]}" "http://127.0.0.1:$PNOLOG/mcp-credentials/token"
audit2=$(audit_count)
[ $((audit1 - audit0)) = $((WARM_MINT + N_MINT)) ] && [ "$audit2" = "$audit1" ] ||
    die "audit lines: $((audit1 - audit0)) for $((WARM_MINT + N_MINT)) mints to the file ErrorLog, $((audit2 - audit1)) to syslog (expected none)"
AUDIT_BYTES=$(grep 'minted token jti=' "$WORK/error_log" | tail -n 1 | wc -c)
stop_vg
toggles "$VERIFY_FUNCS"
start_vg noverify "${TOGGLES[@]}"
batch guardednocache-norsa "$N_REQ" "$WARM" -H "Authorization: $BEARER" "http://127.0.0.1:$PNOCACHE/guarded/small.txt"
stop_vg

# ------------------------------------------- the authorization server --
# Code redemption and refresh at <base>/oauth/token.  The grants whose
# refresh tokens are used, and the codes, are made before the batches by
# bench/oauth_client.py (a consent page and its approval each: the
# approval answers 303, which dumps too); each refresh is the first of
# its grant.  Codes live 60 seconds: they are approved last, just before
# their batch, which redeems them in about half of that.
VG_CONF=$CONF_OAUTH VG_BASE=$HOAUTH
start_vg oauth
oauth_client() {
    timeout 1800 "$PY" "$BENCH_DIR/oauth_client.py" --base "$HOAUTH" --auth "$BASIC" "$@" ||
        die "bench/oauth_client.py $1 failed"
}
n_codes=$((WARM_MINT + N_MINT))
say "oauth: $n_codes grants for the refresh tokens, then $n_codes codes"
oauth_client register --out "$OAUTH/client"
oauth_client codes --client "$OAUTH/client" --count "$n_codes" --conc 1 --out "$OAUTH/grants"
out=$(oauth_client redeem --client "$OAUTH/client" --codes "$OAUTH/grants" --conc 1 --refresh-out "$OAUTH/refresh")
[ "$(wc -l <"$OAUTH/refresh")" = "$n_codes" ] || die "oauth: $out"
oauth_client codes --client "$OAUTH/client" --count "$n_codes" --conc 1 --out "$OAUTH/redeem"
# part_of FILE PART: the lines of FILE for batch_by's PART.
part_of() {
    case $2 in
    warm) head -n "$WARM_MINT" "$1" ;;
    a) sed -n "$((WARM_MINT + 1)),$((WARM_MINT + N_MINT / 2))p" "$1" ;;
    b) tail -n $((N_MINT / 2)) "$1" ;;
    esac
}
for part in warm a b; do
    part_of "$OAUTH/redeem" "$part" >"$OAUTH/in.$part"
    oauth_client curl-config --client "$OAUTH/client" --codes "$OAUTH/in.$part" --out "$OAUTH/redeem.$part.raw"
    part_of "$OAUTH/refresh" "$part" >"$OAUTH/in.$part"
    oauth_client curl-config --client "$OAUTH/client" --refresh "$OAUTH/in.$part" --out "$OAUTH/refresh.$part.raw"
    for kind in redeem refresh; do
        # each transfer silent, its body dropped, its status to stderr
        awk '{ print } /^url = / { print "silent"; print "max-time = 120"; print "output = \"/dev/null\""
                                  print "write-out = \"%{stderr}%{http_code}\\n\"" }' \
            "$OAUTH/$kind.$part.raw" >"$OAUTH/$kind.$part.curl"
    done
done
batch_by redeem3072 "$N_MINT" "$WARM_MINT" token_requests redeem
batch_by refresh3072 "$N_MINT" "$WARM_MINT" token_requests refresh
stop_vg
VG_CONF=$CONF VG_BASE=$H3072

# --------------------------------------------- system calls per request --
# The page and its twins outside valgrind, where the instructions do not
# show what the kernel does: an httpd -X of the same configuration, strace
# -c attached to all its threads after WARM requests, N requests.
say "system calls per request: the page and its static twins (strace -c)"
"$HTTPD" -X -f "$CONF" >"$WORK/strace-httpd.out" 2>&1 &
VG_PID=$!
harness_wait_http "httpd -X" "$H3072/open/small.txt" any "$VG_PID" 30
: >"$WORK/syscalls"  # KIND SYSCALL CALLS_PER_REQUEST
for kind in page pagestatic pagemmap pageopen; do
    case $kind in
    page) args=(-H "Authorization: $BASIC" "$H3072/mcp-credentials") ;;
    pagestatic) args=(-H "Authorization: $BASIC" "$H3072/auth/page.html") ;;
    pagemmap) args=(-H "Authorization: $BASIC" "$H3072/mmap/page.html") ;;
    pageopen) args=("$H3072/open/page.html") ;;
    esac
    requests "$WARM" "${args[@]}"
    strace -f -c -o "$WORK/strace.$kind" -p "$(ls "/proc/$VG_PID/task" | paste -sd,)" 2>/dev/null &
    st=$!
    sleep 1    # attached
    requests "$N_REQ" "${args[@]}"
    sleep 0.5
    kill -INT "$st"
    wait "$st" 2>/dev/null || true
    # "% time seconds usecs/call calls [errors] syscall": calls per request
    awk -v kind="$kind" -v n="$N_REQ" '
        $NF ~ /^[a-z_0-9]+$/ && $NF != "total" && $NF != "syscall" && $4 ~ /^[0-9]+$/ {
            printf "%s %s %.2f\n", kind, $NF, $4 / n }' "$WORK/strace.$kind" >>"$WORK/syscalls"
done
stop_vg

# What the audit line adds in the kernel, which no instruction count
# shows: one write(2) of its size to a file opened O_APPEND, as httpd's
# ErrorLog is.  dd's system time over 100,000 such writes (a time, not a
# count: it moves with the machine's load).
say "one write(2) of $AUDIT_BYTES bytes, appended: dd x 100000"
WRITE_US=$( { /usr/bin/time -f '%S' dd if=/dev/zero of="$WORK/append.test" bs="$AUDIT_BYTES" count=100000 \
    oflag=append conv=notrunc status=none; } 2>&1 | tail -n 1 | awk '{ printf "%.1f", $1 * 1e6 / 100000 }')
rm -f "$WORK/append.test"

# The token endpoint outside the RSA functions, from its own dumps: each
# half's total less the inclusive counts of the functions SIGN_FUNCS
# names (counted, for the mint, by an httpd that skips them).
# incl_of FILE FUNCTION: a function's inclusive Ir in a dump.
incl_of() {
    callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
        awk -v f="$2" '{ s = $0; sub(/ \[[^]]*\]$/, "", s); sub(/^.*:/, "", s) }
                       s == f { v = $1; gsub(",", "", v); t += v } END { print t + 0 }'
}
for kind in redeem refresh; do
    halves=()
    for f in "$CG/half.${kind}3072.a" "$CG/half.${kind}3072.b"; do
        rsa=0
        for fn in $SIGN_FUNCS; do rsa=$((rsa + $(incl_of "$f" "$fn"))); done
        [ "$rsa" -gt 0 ] || die "no $SIGN_FUNCS in $f"
        halves+=($(( $(cg_total "$f") - CAL - rsa )))
    done
    declare "RSA_IN_$kind=$rsa"   # the second half's: its dump is prof.${kind}3072
    note_count "${kind}3072-norsa" "${halves[0]}" "${halves[1]}" "$N_MINT"
done

# --------------------------------------------------------------- report --
commas() { sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta' <<<"$1"; }
c() { count_of "$1"; }
# row OPERATION OURS-IR BASELINE-TEXT BASELINE-IR: one line of the table
ROWS=""
row() {
    ROWS="$ROWS| $1 | $(commas "$2") | $3 | $(commas "$4") | $(commas "$(($2 - $4))") | $(calc "$2 / $4" 2) |"$'\n'
}
row "JSON mint, \`POST <base>/token\`, RSA-2048" "$(c mint2048)" \
    "one raw RS512 signature, RSA-2048" "$(c sign2048)"
row "JSON mint, RSA-3072" "$(c mint3072)" "one raw RS512 signature, RSA-3072" "$(c sign3072)"
row "the page's form post (a mint; the answer is the page with the token), RSA-3072" "$(c form3072)" \
    "one raw RS512 signature, RSA-3072" "$(c sign3072)"
row "the page's form post against the JSON mint, RSA-3072" "$(c form3072)" \
    "the JSON mint, RSA-3072" "$(c mint3072)"
row "GET 512 B static behind \`AuthType mcp-bearer\`, \`MCPBearerCache off\` (RSA-3072 token)" \
    "$(c guardednocache)" "the same file without auth + one raw RS512 verification" \
    "$(( $(c open) + $(c verify3072) ))"
row "the same, \`MCPBearerCache\` on (every request a hit)" "$(c guarded)" \
    "the same file without auth" "$(c open)"
row "GET \`<base>\`, the page ($PAGE_BYTES B), Basic auth" "$(c page)" \
    "its bytes as a static file, same Basic auth" "$(c pagestatic)"
row "the audit line: a JSON mint, RSA-3072, outside the RSA functions, with the line (file ErrorLog)" \
    "$(c mint3072-norsa)" "the same without it (ErrorLog syslog, LogLevel warn)" "$(c mint3072nolog-norsa)"
row "OAuth code redemption, \`POST <base>/oauth/token\` (authorization_code, PKCE S256), RSA-3072" \
    "$(c redeem3072)" "one raw RS512 signature, RSA-3072" "$(c sign3072)"
row "OAuth refresh (the refresh token rotated), RSA-3072" "$(c refresh3072)" \
    "one raw RS512 signature, RSA-3072" "$(c sign3072)"
row "OAuth code redemption, outside the RSA functions" "$(c redeem3072-norsa)" \
    "the JSON mint, outside the RSA functions" "$(c mint3072-norsa)"
row "OAuth refresh, outside the RSA functions" "$(c refresh3072-norsa)" \
    "the JSON mint, outside the RSA functions" "$(c mint3072-norsa)"
row "jwt/ alone: \`mcp_jwt_mint\` and a jti, RSA-3072 (jwt_speed)" "$(c unitmint3072)" \
    "one raw RS512 signature, RSA-3072" "$(c sign3072)"
row "jwt/ alone: \`mcp_jwt_verify\`, RSA-3072 (jwt_speed)" "$(c unitverify3072)" \
    "one raw RS512 verification, RSA-3072" "$(c verify3072)"
TABLE="| operation | Ir per op | baseline | baseline Ir | overhead Ir (ours - baseline) | ratio |
|---|---|---|---|---|---|
$ROWS"

# top FILE N PER [self|incl [MODULE-BELOW IR]]: the N functions of a
# profile that count most, inclusive (or self), per operation (PER
# operations in the profile); the threads' frames (clone, start_thread)
# and unnamed functions left out.  With MODULE-BELOW: only the module's
# functions that count less than IR (those outside the signature, when IR
# is its count), their share of the profile's total less IR.
top() {
    local file=$1 n=$2 per=$3 incl=yes below=${5:-}
    [ "${4:-}" = self ] && incl=no
    callgrind_annotate --inclusive=$incl --auto=no --threshold=100 "$file" 2>/dev/null |
        awk -v n="$n" -v per="$per" -v q="'" -v below="$below" -v incl="$incl" '
        function commas(x,   s) { s = sprintf("%d", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
        /PROGRAM TOTALS/ { v = $1; gsub(",", "", v); below += 0; total = below ? v - below : v; next }
        total && k < n && /^ *[0-9,]+ \( *[0-9.]+%\) / {
            v = $1; gsub(",", "", v); v += 0   # a number: compared below
            fn = $0; sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, "", fn)
            lib = ""
            i = index(fn, " [")
            if (i) { lib = substr(fn, i + 2); sub(/\]$/, "", lib); fn = substr(fn, 1, i - 1) }
            sub(/^.*:/, "", fn); sub(/^.*\//, "", lib)
            bare = fn; sub(q "[0-9]+$", "", bare)   # a recursion level: a quote and a number
            if (bare ~ /^0x[0-9a-f]+$/ || bare ~ /^(clone|clone3|start_thread|\(below main\))$/) next
            # callgrind takes a loop that jumps back to its function'"'"'s first
            # instruction for a recursion; the inclusive count of such a
            # level counts the same instructions again
            if (incl == "yes" && bare != fn) next
            if (below && (v >= below || lib != "mod_mcp_credentials.so")) next
            if (seen[fn]++) next
            printf "| %s | %.1f%% | `%s` (%s) |\n", commas(v / per), 100 * v / total, fn, lib
            k++
        }'
}
sys_table() {
    awk '
        { calls[$1 " " $2] = $3; if ($3 >= 0.5) keep[$2] = 1 }
        END {
            print "| system call | the page | the twin, EnableMMAP Off | the twin, EnableMMAP On | the twin without auth |"
            print "|---|---|---|---|---|"
            for (s in keep) {
                line = "| " s
                split("page pagestatic pagemmap pageopen", k, " ")
                for (i = 1; i <= 4; i++) line = line " | " ((k[i] " " s) in calls ? calls[k[i] " " s] : "0")
                print line " |"
            }
        }' "$WORK/syscalls" | { read -r h; read -r u; echo "$h"; echo "$u"; sort; }
}
sys_of() { awk -v k="$1" -v s="$2" '$1 == k && $2 == s { v = $3 } END { print v + 0 }' "$WORK/syscalls"; }

MAX_SPREAD=$(awk '$4 != "-" { a = $3; b = $4; m = (a + b) / 2; d = m ? 100 * (a > b ? a - b : b - a) / m : 0; if (d > x) x = d } END { printf "%.2f", x }' "$WORK/counts")
HALF_MINT=$((N_MINT / 2))
HALF_REQ=$((N_REQ / 2))
SIG_IN_HTTPD=$(( $(c mint3072) - $(c mint3072-norsa) ))
VERIFY_IN_HTTPD=$(( $(c guardednocache) - $(c guardednocache-norsa) ))
AUDIT_IR=$(( $(c mint3072-norsa) - $(c mint3072nolog-norsa) ))

# The section's first line: bench/run.sh's mark of part 7.
MARK=${ICOUNT_MARK:-"<!-- part 7: BENCH_ONLY=icount rewrites the results from this line to the next part's mark -->"}
section() {
    echo "$MARK"
    echo "## Instruction counts (callgrind): stable across load"
    echo
    echo "Made by \`${ICOUNT_COMMAND:-bench/icount.sh}\` on $(date -u '+%Y-%m-%d %H:%M UTC'); module $MODULE_DESC;"
    echo "$(valgrind --version), $("$HTTPD" -v | sed -n 's/^Server version: //p'), $(openssl version | cut -d' ' -f1-2)."
    echo
    echo "These are not times but counts of the instructions executed in user space (callgrind's"
    echo "\`Ir\`), which the machine's load does not change: the same binary on the same input counts"
    echo "the same (each figure is counted in two halves, which agree within $MAX_SPREAD%). The"
    echo "throughput and CPU figures above are times and move with the neighbours' load; these can"
    echo "be held by a regression test. What the kernel does (system calls, page faults) is not in them,"
    echo "and OpenSSL takes the code paths of the CPU that valgrind emulates (no SHA extensions, for one),"
    echo "the same for ours and for the baseline: the ratios hold, the counts are valgrind's."
    echo
    printf '%s\n' "$TABLE"
    echo "overhead: ours - baseline, what the module and httpd add to the operation that bounds the"
    echo "request; ratio: ours / baseline (1.00: nothing added). From run to run the requests without a"
    echo "signature repeat within a few hundred Ir; a signature varies by some thousands (the random"
    echo "numbers of its blinding), and so does a mint's overhead: a regression test would rather hold"
    echo "the count outside the RSA functions (below: $(commas "$(c mint3072-norsa)") a JSON mint, $(commas "$(c guardednocache-norsa)")"
    echo "a guarded request without the cache)."
    echo
    echo "- Counted: one httpd -X (event MPM, one worker thread, loopback; the sections, auth and"
    echo "  \`LogLevel warn\` of the throughput runs, \`EnableMMAP Off\`) under \`valgrind --tool=callgrind\`."
    echo "  Per operation: $WARM requests (mints: $WARM_MINT) not counted, then $N_REQ (mints and form"
    echo "  posts: $N_MINT) one at a time on a keep-alive connection (curl, at most 10 a second, so that"
    echo "  httpd is done with each request before the next comes), in two halves of one connection each,"
    echo "  so that a half holds one connection's opening and closing. Callgrind dumps its counters (and zeroes"
    echo "  them) when httpd enters \`ap_send_error_response\`: a request answered 404 before a batch and"
    echo "  after each half (a function none of the counted requests reaches). What the marker adds to a"
    echo "  dump was counted alone, with no request between two markers ($(commas "$CAL") Ir), and is"
    echo "  subtracted; nothing else is. An idle server counts $(commas "$IDLE_PER_S") Ir a second: the seconds"
    echo "  a half lasts under valgrind add nothing that matters."
    echo "- Raw operations: bench/rsa_speed.c (a context prepared once with \`EVP_DigestSignInit\` and"
    echo "  \`EVP_PKEY_CTX_set_rsa_padding\`, copied with \`EVP_MD_CTX_copy_ex\` before each \`EVP_DigestSign\`,"
    echo "  as jwt/prepared.c does; the same with Verify) and bench/jwt_speed.c, each with"
    echo "  \`--count K\`: two operations to warm up, then K counted ($K_SIGN signatures, $K_VERIFY"
    echo "  verifications) in a function of their own (\`--toggle-collect=counted_ops\`)."
    echo "- OpenSSL refreshes an RSA key's blinding every 32 private-key operations (about a third of a"
    echo "  signature's instructions): every count of signatures here spans a multiple of 32 of them, and"
    echo "  one worker thread signs them all, so the refresh weighs the same in ours and in the baseline."
    echo "- The signature inside httpd (its mint less the same mint counted outside the RSA functions,"
    echo "  below) counts $(commas "$SIG_IN_HTTPD") Ir, the raw one $(commas "$(c sign3072)"); the verification"
    echo "  inside httpd $(commas "$VERIFY_IN_HTTPD"), the raw one $(commas "$(c verify3072)")."
    echo
    echo "### The audit line"
    echo
    echo "Every mint writes one line at level notice ($AUDIT_BYTES bytes here) to the error log. To an"
    echo "\`ErrorLog\` file httpd writes notice lines whatever the \`LogLevel\` (\`LogLevel warn\` does not"
    echo "stop it); only an \`ErrorLog syslog:\` below notice drops it. Counted on a virtual host with"
    echo "\`ErrorLog syslog:local7\` at \`LogLevel warn\`, where the line is not written (by an httpd that"
    echo "does not count the signature, below: its blinding refresh varies by thousands of"
    echo "instructions from one to the next), the same mint counts $(commas "$AUDIT_IR") Ir less: $(calc "100 * $AUDIT_IR / $(c mint3072)" 3)% of an RSA-3072 mint,"
    echo "$(calc "100 * $AUDIT_IR / $(c mint2048)" 3)% of an RSA-2048 one. Besides, in the kernel, one \`write(2)\`"
    echo "of the line to the file: about $WRITE_US us of system time here (dd, 100,000 appends of $AUDIT_BYTES"
    echo "bytes; a time, so load-dependent), where a signature takes milliseconds."
    echo
    echo "### Where the overhead goes"
    echo
    echo "The mint and the guarded request counted again, each by an httpd under callgrind that does"
    echo "not count inside \`$(sed 's/ /`, `/g' <<<"$SIGN_FUNCS")\` (the mint), or"
    echo "\`$(sed 's/ /`, `/g' <<<"$VERIFY_FUNCS")\` (the guarded request): what"
    echo "is left is the overhead (with its share of the marker requests, $(commas "$(calc "$CAL / $HALF_MINT")") Ir a"
    echo "mint, $(commas "$(calc "$CAL / $HALF_REQ")") a guarded request). The functions that count most, inclusive"
    echo "(the function and all it calls) and self (its own instructions), per operation; httpd's and"
    echo "APR's static functions have no name (stripped) and are left out."
    echo
    echo "JSON mint, RSA-3072: $(commas "$(c mint3072-norsa)") Ir outside the RSA functions."
    echo
    echo "| Ir per mint, inclusive | share | function |"
    echo "|---|---|---|"
    top "$CG/prof.mint3072-norsa" 15 "$HALF_MINT"
    echo
    echo "| Ir per mint, self | share | function |"
    echo "|---|---|---|"
    top "$CG/prof.mint3072-norsa" 10 "$HALF_MINT" self
    echo
    echo "GET behind \`AuthType mcp-bearer\`, \`MCPBearerCache off\`: $(commas "$(c guardednocache-norsa)") Ir outside the RSA functions."
    echo
    echo "| Ir per request, inclusive | share | function |"
    echo "|---|---|---|"
    top "$CG/prof.guardednocache-norsa" 15 "$HALF_REQ"
    echo
    echo "| Ir per request, self | share | function |"
    echo "|---|---|---|"
    top "$CG/prof.guardednocache-norsa" 10 "$HALF_REQ" self
    echo
    echo "### The token endpoint"
    echo
    echo "A code redemption counts $(commas "$(c redeem3072)") Ir, $(calc "$(c redeem3072) / $(c sign3072)" 3) times one raw"
    echo "signature; a refresh $(commas "$(c refresh3072)"), $(calc "$(c refresh3072) / $(c sign3072)" 3) times (the JSON mint:"
    echo "$(calc "$(c mint3072) / $(c sign3072)" 3)). Outside the RSA functions (each half's dump less the inclusive counts"
    echo "of \`$(sed 's/ /`, `/g' <<<"$SIGN_FUNCS")\`) a redemption counts $(commas "$(c redeem3072-norsa)") Ir and a refresh"
    echo "$(commas "$(c refresh3072-norsa)"), against $(commas "$(c mint3072-norsa)") for the JSON mint: the store's"
    echo "records, each read and written with its MAC, the PKCE check, the sealed refresh token, the"
    echo "answer's JSON. The module's functions outside the signature that count most, inclusive, per"
    echo "redemption (share: of the count outside the RSA functions):"
    echo
    echo "| Ir per redemption, inclusive | share | function |"
    echo "|---|---|---|"
    top "$CG/prof.redeem3072" 12 "$HALF_MINT" incl "$RSA_IN_redeem"
    echo
    echo "The same per refresh:"
    echo
    echo "| Ir per refresh, inclusive | share | function |"
    echo "|---|---|---|"
    top "$CG/prof.refresh3072" 12 "$HALF_MINT" incl "$RSA_IN_refresh"
    echo
    echo "### The page against its static twin"
    echo
    echo "Until 2026-12-05 the throughput runs served the page's static twin with httpd's default"
    echo "\`EnableMMAP On\`, and the page came out 1.8 to 2.5 times as fast as the same bytes from a file."
    echo "In instructions the page costs $(commas "$(c page)") Ir, the twin $(commas "$(c pagestatic)") with"
    echo "\`EnableMMAP Off\` and $(commas "$(c pagemmap)") with it on, $(commas "$(c pageopen)") without auth (Basic"
    echo "auth from the SHA-1 htpasswd: $(commas "$(( $(c pagestatic) - $(c pageopen) ))") Ir, not a bcrypt per"
    echo "request): the page does $(calc "$(c page) / $(c pagestatic)" 1) times the twin's work in user space. The"
    echo "twin's cost was in the kernel. With \`EnableMMAP On\` httpd maps the file into memory for each"
    echo "request ($(sys_of pagemmap mmap) \`mmap\` and $(sys_of pagemmap munmap) \`munmap\` a request, below), takes a page"
    echo "fault when the mapped page is first read and unmaps it when the request ends; \`munmap\` in a"
    echo "process of many threads must flush the TLB of every CPU the process runs on, which on this"
    echo "virtual machine is a cross-CPU call. The page is rendered from memory and pays none of it."
    echo "A baseline slow for a reason of its own is not a baseline: the throughput runs now serve"
    echo "every file with \`EnableMMAP Off\` (httpd reads a small file with \`read(2)\` instead), on"
    echo "both sides of every pair, and report the page against the twin with \`EnableMMAP On\` once,"
    echo "beside the page against the twin without it (part 2): against that one the page is the"
    echo "slower, as its instructions say it should be."
    echo
    echo "System calls per request (strace -c on an httpd -X of the same configuration, $N_REQ requests"
    echo "on one keep-alive connection after $WARM; calls of the connection itself count 1/$N_REQ; shown"
    echo "when 0.5 a request or more somewhere):"
    echo
    sys_table
    echo
    echo "<details><summary>Every count</summary>"
    echo
    echo '```'
    echo "# name Ir-per-op first-half second-half count (raw loops: one run)"
    cat "$WORK/counts"
    echo "# the marker: $CAL; idle: $IDLE_PER_S Ir/s"
    echo '```'
    echo "</details>"
}
section >"$WORK/section.md"
[ -z "$OUT_MD" ] || cp "$WORK/section.md" "$OUT_MD"
echo
printf '%s\n' "$TABLE"
say "instruction counts: the section is in ${OUT_MD:-$WORK/section.md (ICOUNT_KEEP=1 keeps it)}"
