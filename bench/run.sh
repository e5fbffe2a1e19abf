#!/usr/bin/env bash
# `make bench`: the module against the limits it cannot beat, measured in one
# run on this machine, so that every figure is a ratio taken side by side.
#
#   1. POST <base>/token (RSA 2048/3072/4096, concurrency 1, 2, 8, 32)
#      against the raw RS512 signing rate of the same key (bench/rsa_speed.c:
#      1 thread against concurrency 1, else 2 threads);
#   2. GET <base> (the page) against a static file of the same bytes behind
#      the same Basic auth;
#   3. a static file behind AuthType mcp-bearer (RSA 3072 token) against the
#      same file with no auth, and the same pair through mod_proxy;
#   4. the RSS of the single worker after N1 and N2 mints (RSA 2048);
#   5. the authorization server (MCPOAuth On, a second httpd of its own,
#      RSA 3072): code redemption and refresh at <base>/oauth/token,
#      httpd's CPU per answer against the CPU of one raw RS512 signature
#      of the same key (bench/rsa_speed.c, 2 threads); the client
#      (bench/oauth_client.py) prepares the codes outside the measure;
#   6. the shared store: two httpds of one configuration (MCPOAuth On,
#      RSA-3072, MCPCredentialsMintRate on but never refusing), one with
#      MCPCredentialsCache shmcb, one with redis: on a redis-server of the
#      run's own on loopback: httpd's CPU per answer of the JSON mint and of
#      code redemption, Redis over shmcb (target <= 1.10), and the Redis
#      commands that guarded requests cause (must be none);
#   7. instruction counts (bench/icount.sh, a few minutes): httpd -X under
#      callgrind, instructions per mint, form post, guarded request (cache
#      off and on) and page, each beside the raw operation it is bounded
#      by, counted the same way, and code redemption and refresh; the
#      functions the overhead goes to; the audit line's cost; the page's
#      static twin's system calls.  These figures do not move with the
#      machine's load, unlike the rates and CPU times of parts 1 to 6;
#   and, to tell the jwt/ unit's costs from httpd's, mcp_jwt_mint and
#   mcp_jwt_verify alone (bench/jwt_speed.c) against the raw operations;
#   and where httpd's CPU goes (perf record on the worker, one more slice
#   of the best mint of each key size and of code redemption, beside the
#   raw loop under perf): OpenSSL, the kernel, libc, httpd and APR, the
#   module, per operation.
#
# Machines are shared: every figure is measured in ROUNDS rounds of one
# slice of ours and one slice of its baseline, alternated (AB BA AB), and
# the ratio is the median of the rounds' ratios.  Each slice also records
# CPU time (httpd's worker from /proc/PID/task/*/schedstat, the raw loop
# from getrusage): the CPU ratio (baseline CPU per operation / ours) moves
# much less than the rates when neighbours load the machine.  A target is
# judged on the throughput ratio when the machine was quiet (every rate
# within 15% of the others on each side, and the raw loop had at least 90%
# of its cores), else on the CPU ratio, and the table says which.
#
# One httpd (event MPM, one child, loopback) with one virtual host per key
# size; the load comes from wrk (ab for the fixed counts of part 4).  Prints
# one table and writes it to bench/results.md with the machine's description.
#
# Environment:
#   BENCH_QUICK=1     a smoke of 10-20 s (RSA-3072 mints at c=8, the page and
#                     bearer pairs, 2,000 mints for memory; 1 s slices, 1 round)
#   BENCH_SECONDS=N   seconds per slice (default 2; quick 1)
#   BENCH_ROUNDS=N    rounds per figure (default 3; quick 1)
#   BENCH_NO_BUILD=1  do not run `make all` first
#   BENCH_KEEP=1      keep the work directory (configs, logs) afterwards
#   BENCH_STRICT=1    exit 1 when a target is missed (errors always exit 1)
#   BENCH_RESULTS=F   where to write the table (default bench/results.md)
#   BENCH_OAUTH_CODES=N  codes redeemed per round (default 1000; quick 300)
#   BENCH_ONLY=store  part 6 alone (a minute): rewrites only its own section
#                     of the results and leaves the rest
#   BENCH_ONLY=icount part 7 alone (a few minutes), the same way; BENCH_QUICK
#                     runs leave part 7 out unless it is asked for alone
#   BENCH_PORT=N      first of eleven loopback ports (default: free ones)
set -euo pipefail

SUITE=bench harness_no_tally=1
# shellcheck source=t/harness/lib.sh
. "$(dirname "$0")/../t/harness/lib.sh"
# shellcheck source=bench/conf.sh
. "$(dirname "$0")/conf.sh"
BENCH_DIR=$ROOT/bench
QUICK=${BENCH_QUICK:-0}
ONLY=${BENCH_ONLY:-}
case $ONLY in "" | store | icount) ;; *) echo "bench: BENCH_ONLY takes 'store' or 'icount'" >&2; exit 2 ;; esac
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results.md}
COMMAND="$( (env | grep -E '^BENCH_' || true) | sort | tr '\n' ' ')bench/run.sh${*:+ $*}"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

if [ "$QUICK" = 1 ]; then
    SECS=${BENCH_SECONDS:-1}
    ROUNDS=${BENCH_ROUNDS:-1}
    BITS_LIST="3072"
    MINT_CONC="8"
    MEM_N1=500
    MEM_N2=2000
    OAUTH_CODES=${BENCH_OAUTH_CODES:-300}
else
    SECS=${BENCH_SECONDS:-2}
    ROUNDS=${BENCH_ROUNDS:-3}
    BITS_LIST="2048 3072 4096"
    MINT_CONC="1 2 8 32"
    MEM_N1=10000
    MEM_N2=100000
    OAUTH_CODES=${BENCH_OAUTH_CODES:-1000}
fi
PAIR_CONC=8               # connections for the page/static/proxy pairs
# The pairs of short requests: twice the rounds, half the slice (at least
# 1 s): their CPU per request swings most with a neighbour's load.
PAIR_SECS=$(( SECS > 1 ? SECS / 2 : 1 ))
PAIR_ROUNDS=$(( SECS > 1 ? ROUNDS * 2 : ROUNDS ))
MEM_CONC=4                # connections for the memory phase
OAUTH_CONC=8              # connections redeeming codes; refresh chains
OAUTH_MIN=0.95            # raw signature CPU / httpd CPU per answer (the mint's, RSA-3072)
MINT_MIN_2048=0.85        # raw signature CPU / httpd CPU per mint
MINT_MIN_3072=0.95
BEARER_NOCACHE_MAX_US=15  # guarded, cache off: CPU beyond open file + raw verify
BEARER_CACHE_MAX_US=5     # guarded, cache on: CPU beyond the open file
STORE_MAX=1.10            # httpd CPU per answer with Redis / with shmcb
STORE_RATE=1000000/1h     # a mint rate limit that counts and never refuses
STORE_MINT_CONC=8         # connections minting in part 6
MEM_LIMIT_KIB=1024
BODY='{"expiresIn":"P7D"}'
USER_NAME=bench
USER_PW=bench-pw

die() { say "error: $*"; exit 1; }

case $ONLY in
icount) TOOLS="ab htpasswd curl gcc valgrind strace" ;;
*) TOOLS="wrk ab htpasswd curl gcc redis-server redis-cli" ;;
esac
[ -n "$ONLY" ] || [ "$QUICK" = 1 ] || TOOLS="$TOOLS valgrind strace perf"
for tool in $TOOLS "$HTTPD" "$PY"; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install -y wrk apache2-utils apache2 curl gcc python3 redis-server valgrind strace linux-perf)"
done

# ---------------------------------------------------------------- build --
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
    say "building (make all)"
    timeout 300 make -C "$ROOT" --no-print-directory all >&2 || die "make all failed"
fi
[ -f "$MODULE" ] || die "no module: run make all"
[ -x "$TOOL" ] || die "no $TOOL: run make all"

mkdir -p "$BENCH_DIR/work"
harness_workdir "$BENCH_DIR/work"
WORK=$work
chmod 755 "$BENCH_DIR/work"
# The workers run as nobody: they must reach the work directory.
if command -v runuser >/dev/null && [ "$(id -u)" = 0 ] &&
    ! runuser -u nobody -- test -x "$WORK" 2>/dev/null; then
    die "user nobody cannot reach $WORK: give o+x to the directories above it"
fi
CONF=$WORK/httpd.conf

stop_httpd() { harness_stop_httpd 15; }
STORE_HTTPDS=""   # part 6's two httpds (their parents)
REDIS_PID=""      # part 6's redis-server
stop_store() {
    local p
    for p in $STORE_HTTPDS; do httpd_pid=$p; stop_httpd; done
    STORE_HTTPDS=""
    [ -z "$REDIS_PID" ] || harness_stop "$REDIS_PID" redis-server 5 || true
    REDIS_PID=""
}
cleanup() {
    local rc=$? log
    trap - EXIT INT TERM
    stop_httpd
    stop_store
    if [ $rc -ne 0 ]; then
        for log in "$WORK/error_log" "$WORK"/store-*/error_log; do
            if [ -f "$log" ]; then tail -n 20 "$log" >&2; fi
        done
    fi
    harness_finish "$([ "${BENCH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ] && echo 1)"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A copy, so that a rebuild during the run does not change what is measured.
cp "$MODULE" "$WORK/mod_mcp_credentials.so"
MODULE_DESC="built $(date -u -r "$MODULE" '+%Y-%m-%d %H:%M UTC')"
if commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null); then
    MODULE_DESC="$MODULE_DESC from $commit"
    [ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] ||
        MODULE_DESC="$MODULE_DESC with uncommitted changes"
fi

say "compiling bench/rsa_speed.c and bench/jwt_speed.c"
timeout 60 gcc -std=c11 -O2 -Wall -Wextra -Werror -o "$WORK/rsa_speed" \
    "$BENCH_DIR/rsa_speed.c" -lcrypto -lpthread || die "cannot build rsa_speed"
if [ "$QUICK" != 1 ] && [ -z "$ONLY" ]; then
    timeout 120 gcc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -Wall -Wextra \
        -Werror -I"$ROOT/jwt" -I"$ROOT/lib" -o "$WORK/jwt_speed" "$BENCH_DIR/jwt_speed.c" "$ROOT"/jwt/*.c \
        "$ROOT/lib/file.c" "$ROOT/lib/message.c" -lcjson -lcrypto -lpthread || die "cannot build jwt_speed"
fi
# Builds with the verified-token cache (MCPBearerCache) are measured with
# it (the default) and without it.
HAS_CACHE=0
grep -q MCPBearerCache "$WORK/mod_mcp_credentials.so" && HAS_CACHE=1

# ----------------------------------------------------------------- keys --
KEY_BITS_NEEDED=$(printf '%s\n' 2048 3072 $BITS_LIST | sort -un | tr '\n' ' ')
case $ONLY in store) KEY_BITS_NEEDED=3072 ;; icount) KEY_BITS_NEEDED="2048 3072" ;; esac
for bits in $KEY_BITS_NEEDED; do
    say "making an RSA-$bits key"
    timeout 120 "$TOOL" keygen --bits "$bits" "$WORK/key-$bits.pem" \
        >/dev/null 2>&1 || die "mcp-token keygen --bits $bits failed"
done
# A SHA-1 htpasswd: one hash per request, so the figures are about the
# module and not about apr1/bcrypt (either costs more than a signature).
fixture_user "$WORK/htpasswd" "$USER_NAME" "$USER_PW" -s
BASIC="Basic $(printf '%s:%s' "$USER_NAME" "$USER_PW" | base64 -w0)"
TOKEN=$(timeout 20 "$TOOL" mint --key "$WORK/key-3072.pem" \
    --sub "$USER_NAME" --authority ROLE_USER --lifetime P7D 2>/dev/null) ||
    die "mcp-token mint failed"
BEARER="Bearer $TOKEN"
printf '%s' "$BODY" >"$WORK/body.json"

mkdir -p "$WORK/htdocs/open" "$WORK/htdocs/guarded" "$WORK/htdocs/mcp" "$WORK/htdocs/auth" \
    "$WORK/htdocs/mmap" "$WORK/logs"
head -c 512 /dev/zero | tr '\0' 'x' >"$WORK/htdocs/open/small.txt"
cp "$WORK/htdocs/open/small.txt" "$WORK/htdocs/guarded/small.txt"
cp "$WORK/htdocs/open/small.txt" "$WORK/htdocs/mcp/small.txt"
chmod -R a+rX "$WORK/htdocs"

# ---------------------------------------------------------------- ports --
# The last five: part 6's two httpds (each a port of its own and one for
# its virtual host without the verified-token cache) and its redis-server.
if [ -n "${BENCH_PORT:-}" ]; then
    read -r P3072 P2048 P4096 PBACK PNOCACHE POAUTH PSHMCB PSHMCB_NC PREDIS_HTTPD PREDIS_HTTPD_NC PREDIS \
        < <(seq "$BENCH_PORT" $((BENCH_PORT + 10)) | tr '\n' ' ')
else
    read -r P3072 P2048 P4096 PBACK PNOCACHE POAUTH PSHMCB PSHMCB_NC PREDIS_HTTPD PREDIS_HTTPD_NC PREDIS \
        < <(harness_free_ports 11)
fi
port_of() { case $1 in 2048) echo $P2048 ;; 3072) echo $P3072 ;; 4096) echo $P4096 ;; esac; }

# --------------------------------------------------------------- config --
vhost_4096=""
if [ -f "$WORK/key-4096.pem" ]; then
    vhost_4096="Listen 127.0.0.1:$P4096
<VirtualHost 127.0.0.1:$P4096>
    MCPCredentialsSigningKey \"$WORK/key-4096.pem\"
</VirtualHost>"
fi
vhost_nocache=""
if [ "$HAS_CACHE" = 1 ]; then
    vhost_nocache="Listen 127.0.0.1:$PNOCACHE
# The RSA-3072 server again, without the verified-token cache.
<VirtualHost 127.0.0.1:$PNOCACHE>
    MCPBearerCache off
</VirtualHost>"
fi
# What both httpds (this one and the authorization server's) share.
SERVER_CONF=$(cat <<'SERVER'
# One child (its RSS is measured), threads enough for 32 connections plus
# the proxied requests to the backend in the same process.  Two cores.
StartServers 1
ServerLimit 1
ThreadLimit 96
ThreadsPerChild 96
MaxRequestWorkers 96
MinSpareThreads 1
MaxSpareThreads 192
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 15
# no CustomLog: the access log is off
# As in Debian's apache2.conf: without it every request looks for an
# .htaccess in each directory of its path.
<Directory />
    AllowOverride None
</Directory>
# Files are read, not mapped.  With httpd's default (On) each request for
# a file maps it and unmaps it, and munmap in a process of many threads
# flushes the TLB of every CPU the process runs on: a static baseline
# slowed by that is not a baseline (bench/results.md, part 7).  Both sides
# of every pair serve their files so.
EnableMMAP Off
SERVER
)
{ harness_conf_head "$WORK/mod_mcp_credentials.so"; cat <<CONF; } >"$CONF"
Listen 127.0.0.1:$P3072
Listen 127.0.0.1:$P2048
Listen 127.0.0.1:$PBACK
DocumentRoot "$WORK/htdocs"

$SERVER_CONF

MCPCredentialsSigningKey "$WORK/key-3072.pem"
MCPCredentialsRateCache none

$(bench_credentials)
# Baseline of the page: the page's bytes as a static file, same auth.
<Location /auth>
$(harness_basic_auth bench)
</Location>
# The same with httpd's default EnableMMAP On: the baseline until
# 2026-12-05, reported beside the page.
<Location /mmap>
$(harness_basic_auth bench)
</Location>
<Directory "$WORK/htdocs/mmap">
    EnableMMAP On
</Directory>
# /open is served without auth; /guarded is the same file behind tokens.
<Location /guarded>
$(harness_bearer_auth)
</Location>
<Location /proxy-guarded>
$(harness_bearer_auth)
</Location>
ProxyPass /proxy-guarded/ http://127.0.0.1:$PBACK/open/
ProxyPass /proxy-open/ http://127.0.0.1:$PBACK/open/

<VirtualHost 127.0.0.1:$P2048>
    MCPCredentialsSigningKey "$WORK/key-2048.pem"
</VirtualHost>
$vhost_4096
$vhost_nocache
# The backend of the proxy pair: the same DocumentRoot.
<VirtualHost 127.0.0.1:$PBACK>
</VirtualHost>
CONF

# The authorization server (part 5): an httpd of its own, the RSA-3072 key,
# a shmcb store sized for the run, secrets for what it seals.  Every code
# redeemed leaves a grant alive (two records: the grant and its refresh
# generation); the rounds leave some 7,000 records, more than the default
# 512 KB segment holds (about 6,700 of these sizes), whose rings would
# then push out codes approved and not yet redeemed.  4 MB holds them all.
OAUTH_STORE_BYTES=4194304
CONF_OAUTH=$WORK/oauth.conf
OAUTH_BASE=http://127.0.0.1:$POAUTH
head -c 48 /dev/urandom | base64 -w0 >"$WORK/oauth-secret"
chmod 600 "$WORK/oauth-secret"
{ harness_conf_head "$WORK/mod_mcp_credentials.so"; cat <<CONF; } >"$CONF_OAUTH"
Listen 127.0.0.1:$POAUTH
DocumentRoot "$WORK/htdocs"

$SERVER_CONF

$(bench_oauth "$OAUTH_BASE" "shmcb:$WORK/oauth-store($OAUTH_STORE_BYTES)" "$WORK/oauth-secret" "$WORK/key-3072.pem")
CONF

# The shared store (part 6): one configuration, written twice, but for the
# store; each httpd under a ServerRoot of its own (its pid file, shmcb
# segment and mutexes), both running side by side.
REDIS_STORE=redis:127.0.0.1:$PREDIS
store_conf() { # store_conf NAME PORT PORT-NO-CACHE CACHE-SPEC
    local dir=$WORK/store-$1 base=http://127.0.0.1:$2 nocache="# (no MCPBearerCache in this build)"
    [ "$HAS_CACHE" = 1 ] && nocache="MCPBearerCache off"
    mkdir -p "$dir"
    chmod 755 "$dir"
    cat >"$dir/httpd.conf" <<CONF
# Written by the $SUITE suite (part 6, the store: $4).
ServerRoot "$dir"
Include "$WORK/base.conf"
Listen 127.0.0.1:$2
Listen 127.0.0.1:$3
DocumentRoot "$WORK/htdocs"

$SERVER_CONF

$(bench_oauth "$base" "$4" "$WORK/oauth-secret" "$WORK/key-3072.pem" "$STORE_RATE")
<Location /guarded>
$(harness_bearer_auth)
</Location>
# The same server without the verified-token cache: every guarded request
# verifies its token.
<VirtualHost 127.0.0.1:$3>
    $nocache
</VirtualHost>
CONF
}
store_conf shmcb "$PSHMCB" "$PSHMCB_NC" "shmcb:$WORK/store-shmcb/store($OAUTH_STORE_BYTES)"
store_conf redis "$PREDIS_HTTPD" "$PREDIS_HTTPD_NC" "$REDIS_STORE"

start_httpd() {
    harness_start_httpd "$CONF"
    harness_wait_http httpd "http://127.0.0.1:$P3072/open/small.txt" any "$httpd_pid"
}
worker_pid() { ps --ppid "$httpd_pid" -o pid= | tr -d ' ' | head -n 1; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# -------------------------------------------------------------- checks --
# Every path answers as it should before anything is timed.
http_code() { curl -s -o "$WORK/last.body" -w '%{http_code}' --max-time 10 "$@"; }
expect() {
    local want=$1 what=$2 got
    shift 2
    got=$(http_code "$@") || got="curl-failed"
    [ "$got" = "$want" ] || die "$what: HTTP $got, expected $want"
}
# (parts 1 to 5; part 6 checks its own servers)
if [ -z "$ONLY" ]; then
harness_configtest "$CONF"
harness_configtest "$CONF_OAUTH"
say "starting httpd (ports $P3072 3072, $P2048 2048, $P4096 4096, $PBACK backend, $PNOCACHE no cache)"
start_httpd

for bits in $KEY_BITS_NEEDED; do
    expect 200 "mint RSA-$bits" -X POST -H "Authorization: $BASIC" \
        -H 'Content-Type: application/json' --data-binary "$BODY" \
        "http://127.0.0.1:$(port_of "$bits")/mcp-credentials/token"
    grep -q '"token":"ey' "$WORK/last.body" || die "mint RSA-$bits: no token in the answer"
done
expect 401 "mint without a password" -X POST -H 'Content-Type: application/json' \
    --data-binary "$BODY" "http://127.0.0.1:$P3072/mcp-credentials/token"
expect 200 "the page" -H "Authorization: $BASIC" "http://127.0.0.1:$P3072/mcp-credentials"
install -m 644 "$WORK/last.body" "$WORK/htdocs/auth/page.html"
install -m 644 "$WORK/last.body" "$WORK/htdocs/mmap/page.html"
PAGE_BYTES=$(wc -c <"$WORK/htdocs/auth/page.html")
for twin in auth mmap; do
    expect 200 "the page's static twin (/$twin)" -H "Authorization: $BASIC" "http://127.0.0.1:$P3072/$twin/page.html"
    [ "$(wc -c <"$WORK/last.body")" = "$PAGE_BYTES" ] || die "static twin of the page differs in size"
done
expect 200 "guarded with a token" -H "Authorization: $BEARER" "http://127.0.0.1:$P3072/guarded/small.txt"
expect 401 "guarded without a token" "http://127.0.0.1:$P3072/guarded/small.txt"
expect 200 "open" "http://127.0.0.1:$P3072/open/small.txt"
expect 200 "proxy guarded with a token" -H "Authorization: $BEARER" "http://127.0.0.1:$P3072/proxy-guarded/small.txt"
expect 401 "proxy guarded without a token" "http://127.0.0.1:$P3072/proxy-guarded/small.txt"
expect 200 "proxy open" "http://127.0.0.1:$P3072/proxy-open/small.txt"
if [ "$HAS_CACHE" = 1 ]; then
    expect 200 "guarded without the cache" -H "Authorization: $BEARER" "http://127.0.0.1:$PNOCACHE/guarded/small.txt"
    expect 401 "guarded without the cache, no token" "http://127.0.0.1:$PNOCACHE/guarded/small.txt"
fi
fi

# -------------------------------------------------------------- drivers --
cat >"$WORK/bench.lua" <<'LUA'
-- Request shape from the environment; one parsable line at the end.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY") or ""
if body ~= "" then wrk.body = body end
local ctype = os.getenv("BENCH_CTYPE") or ""
if ctype ~= "" then wrk.headers["Content-Type"] = ctype end
local auth = os.getenv("BENCH_AUTH") or ""
if auth ~= "" then wrk.headers["Authorization"] = auth end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d rps=%.2f p50_us=%d p99_us=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
LUA

# Drivers run in subshells: errors and slices go to files.
: >"$WORK/errors"
: >"$WORK/slices"
note_error() { printf '%s\n' "$1" >>"$WORK/errors"; say "ERROR: $1"; }
field() { sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" <<<" $1"; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
# div A B: A/B with two decimals, n/a when B is 0
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b + 0 > 0) printf "%.2f", a / b; else printf "n/a" }'; }

# CPU time of httpd's worker process so far, in ns (all its threads).
WORKER=""
worker_cpu_ns() { cat /proc/"$WORKER"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }

# Part 6 watches its redis-server around every slice of the Redis side
# (STORE_PROBE=1): its CPU, and the commands and bytes it received less
# those of the probe's own INFO (STORE_PROBE_CMDS and STORE_PROBE_BYTES,
# measured before the first slice).
STORE_PROBE=0 STORE_PROBE_CMDS=0 STORE_PROBE_BYTES=0
# store_probe -> "CPU_NS COMMANDS INPUT_BYTES NAME:CALLS,..." (all but
# INFO's calls; "-" for none), or nothing when not watching.
store_probe() {
    [ "$STORE_PROBE" = 1 ] || return 0
    local cpu info
    cpu=$(cat /proc/"$REDIS_PID"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }')
    info=$(timeout 10 redis-cli -h 127.0.0.1 -p "$PREDIS" INFO stats commandstats 2>/dev/null | tr -d '\r') || return 1
    awk -F: -v cpu="$cpu" '
        $1 == "total_commands_processed" { n = $2 }
        $1 == "total_net_input_bytes" { b = $2 }
        $1 ~ /^cmdstat_/ && $1 != "cmdstat_info" {
            split($2, kv, /[=,]/); list = list (list == "" ? "" : ",") substr($1, 9) ":" kv[2]
        }
        END { if (n == "" || b == "") exit 1; printf "%s %s %s %s\n", cpu, n, b, list == "" ? "-" : list }' <<<"$info"
}
# store_note PROBE-BEFORE PROBE-AFTER REQUESTS -> the slice's store fields
# (redis-server's CPU per request, commands, bytes, commands by name).
store_note() {
    [ -n "$1" ] && [ -n "$2" ] || return 0
    awk -v a="$1" -v b="$2" -v req="$3" -v pc="$STORE_PROBE_CMDS" -v pb="$STORE_PROBE_BYTES" 'BEGIN {
        split(a, x, " "); split(b, y, " ")
        n = split(x[4], l, ","); for (i = 1; i <= n; i++) { split(l[i], kv, ":"); before[kv[1]] = kv[2] }
        n = split(y[4], l, ","); list = ""
        for (i = 1; i <= n; i++) {
            split(l[i], kv, ":"); d = kv[2] - before[kv[1]]
            if (kv[1] != "-" && d) list = list (list == "" ? "" : ",") kv[1] ":" d
        }
        printf " store_us_per_op=%s store_cmds=%d store_bytes=%d store_by_cmd=%s",
            (req > 0 ? sprintf("%.2f", (y[1] - x[1]) / 1000 / req) : "n/a"),
            y[2] - x[2] - pc, y[3] - x[3] - pb, list == "" ? "-" : list
    }'
}

# perf_mark begin|end: around what a slice measures.  Under perf_split
# (PERF_OUT set), perf record on the worker runs between the two, taking
# a sample per PERF_PERIOD_NS of a thread's CPU.
PERF_OUT="" PERF_PID="" PERF_PERIOD_NS=250000
perf_mark() {
    [ -n "$PERF_OUT" ] || return 0
    if [ "$1" = begin ]; then
        perf record -q -e cpu-clock -c "$PERF_PERIOD_NS" -p "$WORKER" -o "$PERF_OUT" >/dev/null 2>&1 &
        PERF_PID=$!
        sleep 0.5   # attached
    elif [ -n "$PERF_PID" ]; then
        kill -INT "$PERF_PID"
        wait "$PERF_PID" 2>/dev/null || true
        PERF_PID=""
    fi
}

# ours_slice FIGURE ROUND THREADS CONNS URL METHOD AUTH: one wrk run.
ours_slice() {
    local fig=$1 round=$2 threads=$3 conns=$4 url=$5 method=$6 auth=$7 out line body="" ctype="" c0 c1 s0 s1 req
    if [ "$method" = POST ]; then body=$BODY; ctype=application/json; fi
    c0=$(worker_cpu_ns)
    s0=$(store_probe) || { note_error "$fig: no answer from redis-cli"; s0=""; }
    perf_mark begin
    out=$(BENCH_METHOD=$method BENCH_BODY=$body BENCH_CTYPE=$ctype BENCH_AUTH=$auth \
        timeout $((SECS + 30)) wrk -t"$threads" -c"$conns" -d"${SECS}s" --timeout 10s \
        -s "$WORK/bench.lua" "$url" 2>&1) || { perf_mark end; note_error "$fig: wrk failed"; return 0; }
    perf_mark end
    c1=$(worker_cpu_ns)
    s1=$(store_probe) || { note_error "$fig: no answer from redis-cli"; s1=""; }
    line=$(grep '^BENCH ' <<<"$out" || true)
    [ -n "$line" ] || { note_error "$fig: no result from wrk"; return 0; }
    if [ "$(field "$line" status_errors)" != 0 ] || [ "$(field "$line" socket_errors)" != 0 ]; then
        note_error "$fig: $(field "$line" status_errors) non-2xx answers, $(field "$line" socket_errors) socket errors"
    fi
    req=$(field "$line" requests)
    printf '%s ours round=%s rps=%s p50_us=%s p99_us=%s requests=%s cpu_us_per_op=%s t=%s%s\n' \
        "$fig" "$round" "$(field "$line" rps)" "$(field "$line" p50_us)" "$(field "$line" p99_us)" \
        "$req" "$(div "$(( (c1 - c0) / 1000 ))" "$req")" "$(date +%T)" \
        "$(store_note "$s0" "$s1" "$req")" >>"$WORK/slices"
}

# oauth_client COMMAND...: bench/oauth_client.py against OAUTH_BASE.
oauth_client() {
    timeout "${OAUTH_TIMEOUT:-120}" "$PY" "$BENCH_DIR/oauth_client.py" --base "$OAUTH_BASE" \
        --auth "$BASIC" "$@"
}
# oauth_slice FIGURE ROUND code|refresh: redeem OAUTH_CODES codes approved
# just before (their preparation outside the measure: codes live 60 s), or
# SECS seconds of refresh chains; httpd's CPU around it, the client's not.
# The client registered at OAUTH_BASE is in the file OAUTH_CLIENT.
OAUTH_CLIENT=$WORK/client_id
oauth_slice() {
    local fig=$1 round=$2 kind=$3 out c0 c1 s0 s1 req
    if [ "$kind" = code ]; then
        oauth_client codes --client "$OAUTH_CLIENT" --count "$OAUTH_CODES" --conc 4 \
            --out "$WORK/codes" || { note_error "$fig: cannot prepare codes"; return 0; }
        c0=$(worker_cpu_ns)
        s0=$(store_probe) || { note_error "$fig: no answer from redis-cli"; s0=""; }
        perf_mark begin
        out=$(oauth_client redeem --client "$OAUTH_CLIENT" --codes "$WORK/codes" \
            --conc "$OAUTH_CONC") || { perf_mark end; note_error "$fig: the client failed"; return 0; }
        perf_mark end
        c1=$(worker_cpu_ns)
        s1=$(store_probe) || { note_error "$fig: no answer from redis-cli"; s1=""; }
    else
        c0=$(worker_cpu_ns)
        s0=$(store_probe) || { note_error "$fig: no answer from redis-cli"; s0=""; }
        perf_mark begin
        out=$(oauth_client refresh --client "$OAUTH_CLIENT" --chains "$WORK/chains" \
            --conc "$OAUTH_CONC" --seconds "$SECS") || { perf_mark end; note_error "$fig: the client failed"; return 0; }
        perf_mark end
        c1=$(worker_cpu_ns)
        s1=$(store_probe) || { note_error "$fig: no answer from redis-cli"; s1=""; }
    fi
    [ "$(field "$out" errors)" = 0 ] || note_error "$fig: $(field "$out" errors) refusals"
    req=$(field "$out" requests)
    printf '%s ours round=%s rps=%s p50_us=%s p99_us=%s requests=%s cpu_us_per_op=%s t=%s%s\n' \
        "$fig" "$round" "$(field "$out" rps)" "$(field "$out" p50_us)" "$(field "$out" p99_us)" \
        "$req" "$(div "$(( (c1 - c0) / 1000 ))" "$req")" "$(date +%T)" \
        "$(store_note "$s0" "$s1" "$req")" >>"$WORK/slices"
}

# raw_slice FIGURE ROUND BITS THREADS OP: one run of the raw loop.
raw_slice() {
    local fig=$1 round=$2 out
    out=$(timeout $((SECS + 60)) "$WORK/rsa_speed" --key "$WORK/key-$3.pem" --threads "$4" \
        --seconds "$SECS" --op "$5") || { note_error "$fig: rsa_speed failed"; return 0; }
    # util: the share of its threads' cores the loop got (1.00: the
    # machine was otherwise idle)
    printf '%s base round=%s rps=%s cpu_us_per_op=%s threads=%s util=%s t=%s\n' "$fig" "$round" \
        "$(field "$out" per_sec)" "$(field "$out" cpu_us_per_op)" "$4" \
        "$(calc "$(field "$out" per_sec) * $(field "$out" cpu_us_per_op) / 1e6 / $4")" \
        "$(date +%T)" >>"$WORK/slices"
}

# unit_slice FIGURE ROUND BITS OP: one run of the jwt/ unit alone.
unit_slice() {
    local fig=$1 round=$2 out
    out=$(timeout $((SECS + 60)) "$WORK/jwt_speed" --key "$WORK/key-$3.pem" --threads 1 \
        --seconds "$SECS" --op "$4") || { note_error "$fig: jwt_speed failed"; return 0; }
    printf '%s ours round=%s rps=%s p50_us=0 p99_us=0 requests=%s cpu_us_per_op=%s t=%s\n' \
        "$fig" "$round" "$(field "$out" per_sec)" "$(field "$out" ops)" \
        "$(field "$out" cpu_us_per_op)" "$(date +%T)" >>"$WORK/slices"
}

# perf_split FIGURE TEXT BITS SLICE ARGS...: one more slice of FIGURE
# (SLICE ARGS as measure runs it, with the figure FIGURE-perf, which the
# medians leave out) under perf record on the worker (perf_mark), then the
# raw RSA-BITS signing loop (2 threads) under perf: where each one's CPU
# per operation goes, by the object it is spent in.  perf's cpu-clock:
# this virtual machine has no hardware counters.  Adds one line to
# SPLIT_ROWS, TEXT naming the operation.
SPLIT_ROWS=""
perf_split() {
    local fig=$1 text=$2 bits=$3 data=$WORK/perf.$1 ops out
    shift 3
    say "$fig: one more slice under perf record, then the raw loop"
    rm -f "$data.ours"
    PERF_OUT=$data.ours
    "${@/@R@/perf}"
    PERF_OUT=""
    ops=$(grep -F "$fig-perf ours " "$WORK/slices" | tail -n 1 | awk '{ for (i = 3; i <= NF; i++) if ($i ~ /^requests=/) { sub(/^requests=/, "", $i); print $i } }')
    out=$(timeout $((SECS + 60)) perf record -q -e cpu-clock -c "$PERF_PERIOD_NS" -o "$data.raw" \
        "$WORK/rsa_speed" --key "$WORK/key-$bits.pem" --threads 2 --seconds "$SECS" --op sign 2>/dev/null) ||
        { note_error "$fig: perf record of rsa_speed failed"; return 0; }
    [ -n "$ops" ] && [ "$ops" -gt 0 ] && [ -s "$data.ours" ] || { note_error "$fig: no perf profile"; return 0; }
    local -A o r
    eval "$(by_object "$data.ours" "$ops" o)"
    eval "$(by_object "$data.raw" "$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^ops=/) { sub(/^ops=/, "", $i); print $i } }' <<<"$out")" r)"
    SPLIT_ROWS="$SPLIT_ROWS| $text | ${o[total]:-0} | ${o[libcrypto]:-0} (raw: ${r[libcrypto]:-0}) | ${o[kernel]:-0} | ${o[libc]:-0} | ${o[httpd]:-0} | ${o[module]:-0} | ${o[other]:-0} | ${r[total]:-0} |"$'\n'
}
# by_object DATA OPS ARRAY: assignments ARRAY[GROUP]=US, the microseconds
# of CPU per operation a perf profile spent in each group of objects.
by_object() {
    perf report -i "$1" --stdio --sort dso -n 2>/dev/null | awk -v ops="$2" -v a="$3" -v ns="$PERF_PERIOD_NS" '
        /^#/ || NF < 3 || $2 !~ /^[0-9]+$/ { next }
        {
            d = $3
            if (d ~ /^libcrypto\.so/) g = "libcrypto"
            else if (d ~ /^\[kernel/) g = "kernel"
            else if (d ~ /^libc\.so/) g = "libc"
            else if (d == "mod_mcp_credentials.so") g = "module"
            else if (d == "apache2" || d ~ /^libapr/ || d ~ /^mod_.*\.so$/) g = "httpd"
            else g = "other"
            t[g] += $2; all += $2
        }
        END {
            for (g in t) printf "%s[%s]=%.0f\n", a, g, t[g] * ns / 1000 / ops
            printf "%s[total]=%.0f\n", a, all * ns / 1000 / ops
        }'
}

# measure FIGURE OURS-COMMAND... -- BASE-COMMAND...: ROUNDS rounds, the order
# alternating, so that a neighbour's load falls on both sides alike.
measure() {
    local fig=$1 r ours=() base=()
    shift
    while [ "$1" != -- ]; do ours+=("$1"); shift; done
    shift
    base=("$@")
    for r in $(seq 1 "$ROUNDS"); do
        if [ $((r % 2)) = 1 ]; then
            "${ours[@]/@R@/$r}"; "${base[@]/@R@/$r}"
        else
            "${base[@]/@R@/$r}"; "${ours[@]/@R@/$r}"
        fi
    done
}

# summary FIGURE -> "ours_rps base_rps ratio cpu_ratio p50_ms p99_ms ours_cpu_us base_cpu_us steady"
# ratio: the median of the rounds' throughput ratios; cpu_ratio: the
# median of the rounds' baseline CPU per operation over ours; CPU per
# operation and latencies: medians.
summary() {
    grep -F -- "$1 " "$WORK/slices" | awk -v fig="$1" '
        function median(a, n,   i, j, t) {
            for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
            return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
        }
        function val(k,   i, kv) { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } return "" }
        substr($0, 1, length(fig) + 1) != fig " " { next }
        {
            side = $(split(fig, _x, " ") + 1); r = val("round")
            if (side == "ours") { o[r] = val("rps"); oc[r] = val("cpu_us_per_op"); p50[++n50] = val("p50_us"); p99[n50] = val("p99_us"); no++ }
            else { b[r] = val("rps"); bc[r] = val("cpu_us_per_op"); nb++; u = val("util"); if (u != "" && (umin == "" || u + 0 < umin)) umin = u + 0 }
        }
        END {
            for (r in o) if (r in b && b[r] > 0) { ratio[++nr] = o[r] / b[r] }
            for (r in oc) if (r in bc && oc[r] > 0) { cratio[++nc] = bc[r] / oc[r] }
            for (r in oc) ocs[++noc] = oc[r]; for (r in bc) bcs[++nbc] = bc[r]
            for (r in o) os += o[r]; for (r in b) bs += b[r]
            # steady: more than one round, on each side every rate within
            # 15% of the others, and a raw baseline that had its cores
            # (else httpd, with more threads, gets a larger share of a
            # busy machine than the raw loop and the rates mislead)
            omin = bmin = 1e18; omax = bmax = 0
            for (r in o) { if (o[r] < omin) omin = o[r]; if (o[r] > omax) omax = o[r] }
            for (r in b) { if (b[r] < bmin) bmin = b[r]; if (b[r] > bmax) bmax = b[r] }
            steady = (nr > 1 && omin > 0 && bmin > 0 && omax / omin <= 1.15 && bmax / bmin <= 1.15 && (umin == "" || umin >= 0.90)) ? "steady" : nr > 1 ? "unsteady" : "single"
            printf "%.1f %.1f %s %s %.1f %.1f %.1f %.1f %s\n",
                no ? os / no : 0, nb ? bs / nb : 0,
                nr ? sprintf("%.2f", median(ratio, nr)) : "n/a",
                nc ? sprintf("%.2f", median(cratio, nc)) : "n/a",
                n50 ? median(p50, n50) / 1000 : 0, n50 ? median(p99, n50) / 1000 : 0,
                noc ? median(ocs, noc) : 0, nbc ? median(bcs, nbc) : 0, steady
        }'
}

ROWS=""
# row FIGURE OURS BASELINE RATIO TARGET MET
row() { ROWS="$ROWS| $1 | $2 | $3 | $4 | $5 | $6 |"$'\n'; }
# at_most VALUE MAX -> yes or **no**
at_most() {
    if awk -v v="$1" -v m="$2" 'BEGIN { exit !(v != "" && v + 0 <= m) }'; then echo yes; else echo "**no**"; fi
}
# judge RATIO MIN -> yes or **no**
judge() {
    if awk -v r="$1" -v m="$2" 'BEGIN { exit !(r != "n/a" && r + 0 >= m) }'; then echo yes; else echo "**no**"; fi
}
# verdict RATIO CPU_RATIO STEADY MIN: on the throughput ratio when the
# rounds agreed, else on the CPU ratio, and it says which.
verdict() {
    case $3 in
    steady) judge "$1" "$4" ;;
    single) echo "$(judge "$2" "$4") (cpu: one round)" ;;
    *) echo "$(judge "$2" "$4") (cpu: machine busy)" ;;
    esac
}

# (parts 1 to 5; BENCH_ONLY=store runs part 6 alone)
if [ -z "$ONLY" ]; then
WORKER=$(worker_pid)
[ -n "$WORKER" ] || die "no worker process"

# ---------------------------------------------------------- 1. minting --
for bits in $BITS_LIST; do
    url="http://127.0.0.1:$(port_of "$bits")/mcp-credentials/token"
    for c in $MINT_CONC; do
        if [ "$c" = 1 ]; then th=1; else th=2; fi
        say "RSA-$bits: POST /token, $c connection(s) vs raw signing, $th thread(s); $ROUNDS x ${SECS}s each"
        measure "mint-$bits-c$c" ours_slice "mint-$bits-c$c" @R@ 1 "$c" "$url" POST "$BASIC" \
            -- raw_slice "mint-$bits-c$c" @R@ "$bits" "$th" sign
    done
    best_c="" best_ratio=-1
    for c in $MINT_CONC; do
        [ "$c" != 1 ] || continue
        read -r _ _ _ cpu _ _ _ _ _ < <(summary "mint-$bits-c$c")
        # the best concurrency by the CPU ratio, which judges it
        if awk -v r="$cpu" -v b="$best_ratio" 'BEGIN { exit !(r != "n/a" && r + 0 > b + 0) }'; then
            best_c=$c best_ratio=$cpu
        fi
    done
    eval "MINT_BEST_C_$bits=\$best_c"
    [ -z "$best_c" ] || [ "$QUICK" = 1 ] ||
        perf_split "mint-$bits-c$best_c" "JSON mint, RSA-$bits, c=$best_c" "$bits" \
            ours_slice "mint-$bits-c$best_c-perf" @R@ 1 "$best_c" "$url" POST "$BASIC"
    for c in $MINT_CONC; do
        read -r o b ratio cpu p50 p99 _ _ steady < <(summary "mint-$bits-c$c")
        if [ "$c" = 1 ]; then bl="raw, 1 thread"; else bl="raw, 2 threads"; fi
        fig="mint RSA-$bits, c=$c (p50 $p50 ms, p99 $p99 ms)" target="" met=""
        if [ "$c" = "$best_c" ]; then
            fig="**mint RSA-$bits, best: c=$c** (p50 $p50 ms, p99 $p99 ms)"
            case $bits in
            2048) target=">= $MINT_MIN_2048 (cpu)"; met=$(judge "$cpu" "$MINT_MIN_2048") ;;
            3072) target=">= $MINT_MIN_3072 (cpu)"; met=$(judge "$cpu" "$MINT_MIN_3072") ;;
            *) target="(reported)"; met="-" ;;
            esac
            cpu="**$cpu**"
        fi
        row "$fig" "$o/s" "$b/s ($bl)" "$ratio (cpu $cpu)" "$target" "$met"
    done
done

# -------------------------------------------------------------- 2. page --
say "page vs its static twin ($PAGE_BYTES bytes), Basic auth, c=$PAIR_CONC"
SECS=$PAIR_SECS ROUNDS=$PAIR_ROUNDS measure page ours_slice page @R@ 2 "$PAIR_CONC" "http://127.0.0.1:$P3072/mcp-credentials" GET "$BASIC" \
    -- ours_slice page-static @R@ 2 "$PAIR_CONC" "http://127.0.0.1:$P3072/auth/page.html" GET "$BASIC"
# The baseline is an httpd run too: rewrite its slices as the page's "base".
sed -i 's/^page-static ours /page base /' "$WORK/slices"
read -r o b ratio cpu _ _ _ _ steady < <(summary page)
row "GET page ($PAGE_BYTES B) vs static file of the same bytes, same Basic auth, c=$PAIR_CONC" \
    "$o/s" "$b/s" "**$ratio** (cpu $cpu)" ">= 0.90" "$(verdict "$ratio" "$cpu" "$steady" 0.90)"
if [ "$QUICK" != 1 ]; then
    say "the page vs its twin with EnableMMAP On (httpd's default)"
    SECS=$PAIR_SECS ROUNDS=$PAIR_ROUNDS measure page-mmap ours_slice page-mmap @R@ 2 "$PAIR_CONC" "http://127.0.0.1:$P3072/mcp-credentials" GET "$BASIC" \
        -- ours_slice page-mmap-static @R@ 2 "$PAIR_CONC" "http://127.0.0.1:$P3072/mmap/page.html" GET "$BASIC"
    sed -i 's/^page-mmap-static ours /page-mmap base /' "$WORK/slices"
    read -r o b ratio cpu _ _ _ _ _ < <(summary page-mmap)
    row "the same, the static file with httpd's default \`EnableMMAP On\` (a map and an unmap per request; the baseline until 2026-12-05)" \
        "$o/s" "$b/s" "$ratio (cpu $cpu)" "(reported)" "-"
fi

# ------------------------------------------------------- 3. bearer paths --
cache_note=""
[ "$HAS_CACHE" = 1 ] && cache_note=", MCPBearerCache default (one token: every request a hit)"
say "guarded vs open static file, RSA-3072 token, c=$PAIR_CONC$cache_note"
SECS=$PAIR_SECS ROUNDS=$PAIR_ROUNDS measure bearer ours_slice bearer @R@ 2 "$PAIR_CONC" "http://127.0.0.1:$P3072/guarded/small.txt" GET "$BEARER" \
    -- ours_slice bearer-open @R@ 2 "$PAIR_CONC" "http://127.0.0.1:$P3072/open/small.txt" GET "$BEARER"
sed -i 's/^bearer-open ours /bearer base /' "$WORK/slices"
read -r o b ratio cpu _ _ guarded_cpu open_cpu steady < <(summary bearer)
row "GET 512 B static, mcp-bearer (RSA-3072$cache_note) vs no auth, c=$PAIR_CONC" \
    "$o/s" "$b/s" "**$ratio** (cpu $cpu)" ">= 0.85" "$(verdict "$ratio" "$cpu" "$steady" 0.85)"
nocache_cpu=""
if [ "$HAS_CACHE" = 1 ] && [ "$QUICK" != 1 ]; then
    say "the same with MCPBearerCache off"
    SECS=$PAIR_SECS ROUNDS=$PAIR_ROUNDS measure bearer-nocache ours_slice bearer-nocache @R@ 2 "$PAIR_CONC" \
        "http://127.0.0.1:$PNOCACHE/guarded/small.txt" GET "$BEARER" \
        -- ours_slice bearer-nocache-open @R@ 2 "$PAIR_CONC" "http://127.0.0.1:$PNOCACHE/open/small.txt" GET "$BEARER"
    sed -i 's/^bearer-nocache-open ours /bearer-nocache base /' "$WORK/slices"
    read -r o b ratio cpu _ _ nocache_cpu nocache_open_cpu steady < <(summary bearer-nocache)
    row "the same with MCPBearerCache off (every request verifies)" \
        "$o/s" "$b/s" "$ratio (cpu $cpu)" "(reported)" "-"
fi

if [ "$QUICK" != 1 ]; then
say "the same through mod_proxy"
SECS=$PAIR_SECS ROUNDS=$PAIR_ROUNDS measure proxy ours_slice proxy @R@ 2 "$PAIR_CONC" "http://127.0.0.1:$P3072/proxy-guarded/small.txt" GET "$BEARER" \
    -- ours_slice proxy-open @R@ 2 "$PAIR_CONC" "http://127.0.0.1:$P3072/proxy-open/small.txt" GET "$BEARER"
sed -i 's/^proxy-open ours /proxy base /' "$WORK/slices"
read -r o b ratio cpu _ _ _ _ _ < <(summary proxy)
row "the same through mod_proxy to a backend on loopback (same httpd)" \
    "$o/s" "$b/s" "$ratio (cpu $cpu)" "(reported)" "-"
fi

say "raw RS512 verification, RSA-3072, 1 thread"
raw_slice verify 1 3072 1 verify
verify_cpu=$(awk '$1 == "verify" { for (i = 3; i <= NF; i++) if ($i ~ /^cpu_us_per_op=/) { sub(/.*=/, "", $i); print $i } }' "$WORK/slices")
added_cpu=$(calc "$guarded_cpu - $open_cpu" 1)
if [ -n "$nocache_cpu" ]; then
    added_nocache=$(calc "$nocache_cpu - $nocache_open_cpu" 1)
    row "httpd CPU added per guarded request, cache off (on), vs one raw RS512 verify (RSA-3072)" \
        "$added_nocache us ($added_cpu us)" "$verify_cpu us" "$(div "$added_nocache" "$verify_cpu")" "(reported)" "-"
    beyond=$(calc "$added_nocache - $verify_cpu" 1)
    row "**cache off: httpd CPU per guarded request beyond the unguarded request and one raw verify**" \
        "**$beyond us**" "-" "-" "<= $BEARER_NOCACHE_MAX_US us" "$(at_most "$beyond" "$BEARER_NOCACHE_MAX_US")"
    row "**cache on: httpd CPU per guarded request beyond the unguarded request**" \
        "**$added_cpu us**" "-" "-" "<= $BEARER_CACHE_MAX_US us" "$(at_most "$added_cpu" "$BEARER_CACHE_MAX_US")"
else
    row "httpd CPU added per guarded request vs one raw RS512 verify (RSA-3072)" \
        "$added_cpu us" "$verify_cpu us" "$(div "$added_cpu" "$verify_cpu")" "(reported)" "-"
fi

# A mint is an HTTP request as well as a signature: the CPU an unguarded
# request for a small file costs httpd (the open side of the pair above)
# is spent on every mint whatever the module does, which bounds the CPU
# ratio a mint can reach: raw / (raw + that).
for bits in $BITS_LIST; do
    c=$(eval "echo \${MINT_BEST_C_$bits:-}")
    [ -n "$c" ] && [ -n "$open_cpu" ] || continue
    read -r _ _ _ _ _ _ ocpu bcpu _ < <(summary "mint-$bits-c$c")
    outside=$(calc "$ocpu - $bcpu" 1)
    module=$(calc "$ocpu - $bcpu - $open_cpu" 1)
    row "mint RSA-$bits, c=$c: httpd CPU per mint beyond the raw signature (of which the module's, beyond a bare request's $open_cpu us); the ceiling raw / (raw + bare request)" \
        "$outside us ($module us)" "$bcpu us (raw)" "$(div "$bcpu" "$(calc "$bcpu + $open_cpu" 1)") (ceiling)" "(reported)" "-"
done

if [ "$QUICK" != 1 ]; then
    # The jwt/ unit without httpd, 1 thread: its own overhead per operation.
    say "the jwt/ unit alone vs the raw operations, RSA-3072, 1 thread"
    measure unit-mint unit_slice unit-mint @R@ 3072 mint -- raw_slice unit-mint @R@ 3072 1 sign
    read -r o b ratio cpu _ _ ocpu bcpu _ < <(summary unit-mint)
    row "jwt unit: mcp_jwt_mint + jti (RSA-3072) vs raw sign, CPU per op, 1 thread" \
        "$ocpu us" "$bcpu us" "$cpu" "(reported)" "-"
    measure unit-verify unit_slice unit-verify @R@ 3072 verify -- raw_slice unit-verify @R@ 3072 1 verify
    read -r o b ratio cpu _ _ ocpu bcpu _ < <(summary unit-verify)
    row "jwt unit: mcp_jwt_verify (RSA-3072) vs raw verify, CPU per op, 1 thread" \
        "$ocpu us" "$bcpu us" "$cpu" "(reported)" "-"
fi

# ----------------------------------------------------------- 4. memory --
say "memory: fresh httpd, $MEM_N1 then $MEM_N2 mints (RSA-2048, ab -k -c $MEM_CONC)"
stop_httpd
start_httpd
ab_mints() {
    local n=$1 out complete failed non2xx
    out=$(timeout 600 ab -q -k -n "$n" -c "$MEM_CONC" -p "$WORK/body.json" -T application/json \
        -H "Authorization: $BASIC" "http://127.0.0.1:$P2048/mcp-credentials/token" 2>&1) ||
        { note_error "ab ($n mints) failed"; return 0; }
    complete=$(awk '/^Complete requests:/ {print $3}' <<<"$out")
    failed=$(awk '/^Failed requests:/ {print $3}' <<<"$out")
    non2xx=$(awk '/^Non-2xx responses:/ {print $3}' <<<"$out")
    printf 'memory ab n=%s complete=%s failed=%s non2xx=%s t=%s\n' "$n" "$complete" \
        "$failed" "${non2xx:-0}" "$(date +%T)" >>"$WORK/slices"
    [ "$complete" = "$n" ] && [ "$failed" = 0 ] && [ -z "$non2xx" ] ||
        note_error "ab: $complete of $n complete, $failed failed, ${non2xx:-0} non-2xx"
}
pid=$(worker_pid)
[ -n "$pid" ] || die "no worker process"
rss0=$(rss_kib "$pid")
ab_mints "$MEM_N1"
rss1=$(rss_kib "$pid")
ab_mints $((MEM_N2 - MEM_N1))
[ "$(worker_pid)" = "$pid" ] || note_error "the worker changed during the memory phase"
rss2=$(rss_kib "$pid")
growth=$((rss2 - rss1))
printf 'memory rss_kib start=%s after_%s=%s after_%s=%s\n' "$rss0" "$MEM_N1" "$rss1" "$MEM_N2" "$rss2" >>"$WORK/slices"
if [ "$growth" -le "$MEM_LIMIT_KIB" ]; then mem_met=yes; else mem_met="**no**"; fi
row "worker RSS growth from $MEM_N1 to $MEM_N2 mints (RSA-2048)" \
    "+$growth KiB ($rss1 -> $rss2 KiB)" "$rss0 KiB at start" "-" "<= $MEM_LIMIT_KIB KiB" "$mem_met"
stop_httpd

# ---------------------------------------------- 5. authorization server --
say "authorization server: code redemption and refresh (RSA-3072, $OAUTH_CONC connections) vs raw signing, 2 threads"
harness_start_httpd "$CONF_OAUTH"
harness_wait_http "httpd (MCPOAuth On)" "$OAUTH_BASE/.well-known/oauth-authorization-server" 200 "$httpd_pid"
WORKER=$(worker_pid)
[ -n "$WORKER" ] || die "no worker process (MCPOAuth On)"
oauth_client register --out "$WORK/client_id" || die "cannot register a client"
# Every step of the flow answers as it should before anything is timed.
oauth_client codes --client "$WORK/client_id" --count 2 --conc 1 --out "$WORK/codes" ||
    die "cannot get a code approved"
out=$(oauth_client redeem --client "$WORK/client_id" --codes "$WORK/codes" --conc 1 \
    --refresh-out "$WORK/chains") || die "cannot redeem a code"
[ "$(field "$out" errors)" = 0 ] && [ "$(wc -l <"$WORK/chains")" = 2 ] ||
    die "code redemption refused: $out"
# (the client's note of the first refusal is expected here: not shown)
out=$(oauth_client redeem --client "$WORK/client_id" --codes "$WORK/codes" --conc 1 2>/dev/null) ||
    die "cannot send a code again"
[ "$(field "$out" errors)" = 2 ] || die "a code was redeemed twice: $out"
out=$(oauth_client refresh --client "$WORK/client_id" --chains "$WORK/chains" --conc 1 --seconds 0.2 \
    2>/dev/null) || die "cannot refresh"
[ "$(field "$out" errors)" = 1 ] || die "a grant whose code came twice still refreshes: $out"
# oauth_chains: the refresh figure's chains, grants of their own made just
# before it (the code rounds' grants fill the store: the oldest go first).
oauth_chains() {
    oauth_client codes --client "$WORK/client_id" --count "$OAUTH_CONC" --out "$WORK/codes" ||
        die "cannot get the chains' codes approved"
    out=$(oauth_client redeem --client "$WORK/client_id" --codes "$WORK/codes" \
        --refresh-out "$WORK/chains") || die "cannot redeem the chains' codes"
    [ "$(field "$out" errors)" = 0 ] || die "the chains' codes refused: $out"
    out=$(oauth_client refresh --client "$WORK/client_id" --chains "$WORK/chains" \
        --conc "$OAUTH_CONC" --seconds 0.5) || die "cannot refresh"
    [ "$(field "$out" errors)" = 0 ] || die "refresh refused: $out"
}

for kind in code refresh; do
    [ "$kind" = code ] || oauth_chains
    measure "oauth-$kind" oauth_slice "oauth-$kind" @R@ "$kind" -- raw_slice "oauth-$kind" @R@ 3072 2 sign
    [ "$kind" != code ] || [ "$QUICK" = 1 ] ||
        perf_split oauth-code "OAuth code redemption, RSA-3072, c=$OAUTH_CONC" 3072 oauth_slice oauth-code-perf @R@ code
    read -r o b ratio cpu p50 p99 ocpu bcpu _ < <(summary "oauth-$kind")
    if [ "$kind" = code ]; then what="code redemption ($OAUTH_CODES codes a round)"
    else what="refresh ($OAUTH_CONC chains)"; fi
    met=$(judge "$cpu" "$OAUTH_MIN")
    row "OAuth $what, RSA-3072, c=$OAUTH_CONC (p50 $p50 ms, p99 $p99 ms): httpd CPU per answer vs one raw RS512 signature" \
        "$ocpu us ($o/s)" "$bcpu us ($b/s, raw, 2 threads)" "**$cpu** (throughput $ratio)" ">= $OAUTH_MIN (cpu)" "$met"
    say "oauth-$kind: raw signature CPU / httpd CPU per answer = $cpu (target >= $OAUTH_MIN): $met"
done
stop_httpd

fi # parts 1 to 5

# ------------------------------------------------------ 6. the shared store --
# Two httpds of one configuration side by side, but for the store: shmcb, or
# redis: on a redis-server of this run's own on loopback.  Each figure is
# the median over the rounds (alternated, as above) of the ratio of httpd's
# CPU per answer with Redis to the same with shmcb; redis-server's own CPU
# and the commands it received are noted beside it.  Then guarded requests
# on the Redis side, during which Redis must receive nothing.
# The results' sections of parts 6 and 7 begin with a mark of their own:
# BENCH_ONLY=store or icount rewrites one of them and leaves the rest.
STORE_MARK="<!-- part 6: BENCH_ONLY=store rewrites the results from this line to the next part's mark -->"
ICOUNT_MARK="<!-- part 7: BENCH_ONLY=icount rewrites the results from this line to the next part's mark -->"
STORE_PASS=0 STORE_MISS=0
if [ "$ONLY" != icount ]; then
STORE_FROM=$(wc -l <"$WORK/errors")
STORE_START=$(date -u '+%Y-%m-%d %H:%M UTC')
STORE_LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "the shared store: $REDIS_STORE against shmcb (RSA-3072, MCPCredentialsMintRate $STORE_RATE)"
mkdir -p "$WORK/redis"
redis-server --port "$PREDIS" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK/redis" \
    --daemonize no --loglevel warning >"$WORK/redis/out" 2>&1 &
REDIS_PID=$!
redis_ping() { [ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$PREDIS" PING 2>/dev/null)" = PONG ]; }
for _ in $(seq 100); do
    redis_ping && break
    kill -0 "$REDIS_PID" 2>/dev/null || { cat "$WORK/redis/out" >&2; die "redis-server exited"; }
    sleep 0.1
done
redis_ping || die "redis-server did not answer on port $PREDIS within 10 s"
REDIS_VERSION=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')

store_port() { case $1 in shmcb) echo "$PSHMCB" ;; redis) echo "$PREDIS_HTTPD" ;; esac; }
store_port_nc() { case $1 in shmcb) echo "$PSHMCB_NC" ;; redis) echo "$PREDIS_HTTPD_NC" ;; esac; }
STORE_WORKER_shmcb="" STORE_WORKER_redis=""
store_worker() { case $1 in shmcb) echo "$STORE_WORKER_shmcb" ;; redis) echo "$STORE_WORKER_redis" ;; esac; }
for side in shmcb redis; do
    harness_configtest "$WORK/store-$side/httpd.conf"
    harness_start_httpd "$WORK/store-$side/httpd.conf"
    STORE_HTTPDS="$STORE_HTTPDS $httpd_pid"
    harness_wait_http "httpd (store $side)" \
        "http://127.0.0.1:$(store_port "$side")/.well-known/oauth-authorization-server" 200 "$httpd_pid"
    w=$(worker_pid)
    [ -n "$w" ] || die "no worker process (store $side)"
    printf -v "STORE_WORKER_$side" '%s' "$w"
done
httpd_pid=""

# Every path answers as it should on both before anything is timed.
store_check() {
    local side=$1 OAUTH_BASE OAUTH_CLIENT=$WORK/store-$1/client_id nc out access
    OAUTH_BASE=http://127.0.0.1:$(store_port "$side")
    nc=http://127.0.0.1:$(store_port_nc "$side")
    oauth_client register --out "$OAUTH_CLIENT" || die "store $side: cannot register a client"
    expect 200 "store $side: mint" -X POST -H "Authorization: $BASIC" \
        -H 'Content-Type: application/json' --data-binary "$BODY" "$OAUTH_BASE/mcp-credentials/token"
    grep -q '"token":"ey' "$WORK/last.body" || die "store $side: mint: no token in the answer"
    oauth_client codes --client "$OAUTH_CLIENT" --count 2 --conc 1 --out "$WORK/codes" ||
        die "store $side: cannot get a code approved"
    out=$(oauth_client redeem --client "$OAUTH_CLIENT" --codes "$WORK/codes" --conc 1 \
        --access-out "$WORK/store-$side/access") || die "store $side: cannot redeem a code"
    [ "$(field "$out" errors)" = 0 ] && [ "$(wc -l <"$WORK/store-$side/access")" = 2 ] ||
        die "store $side: code redemption refused: $out"
    out=$(oauth_client redeem --client "$OAUTH_CLIENT" --codes "$WORK/codes" --conc 1 2>/dev/null) ||
        die "store $side: cannot send a code again"
    [ "$(field "$out" errors)" = 2 ] || die "store $side: a code was redeemed twice: $out"
    access=$(head -n 1 "$WORK/store-$side/access")
    expect 200 "store $side: guarded, access token" -H "Authorization: Bearer $access" "$OAUTH_BASE/mcp/small.txt"
    expect 200 "store $side: guarded, access token, no cache" -H "Authorization: Bearer $access" "$nc/mcp/small.txt"
    expect 200 "store $side: guarded, page token, no cache" -H "Authorization: $BEARER" "$nc/guarded/small.txt"
    expect 401 "store $side: guarded without a token" "$OAUTH_BASE/mcp/small.txt"
}
store_check shmcb
store_check redis
[ -n "$(timeout 5 redis-cli -h 127.0.0.1 -p "$PREDIS" --scan --pattern 'mcp-cred:*' | head -n 1)" ] ||
    die "the Redis side's checks left nothing in Redis: is it using its store?"

# The probe's own cost, measured on an idle Redis: what one INFO adds.
STORE_PROBE=1
p1=$(store_probe) && p2=$(store_probe) && p3=$(store_probe) || die "redis-cli INFO failed"
read -r _ n1 b1 l1 <<<"$p1"
read -r _ n2 b2 _ <<<"$p2"
read -r _ n3 b3 l3 <<<"$p3"
STORE_PROBE_CMDS=$((n2 - n1)) STORE_PROBE_BYTES=$((b2 - b1))
[ $((n3 - n2)) = "$STORE_PROBE_CMDS" ] && [ $((b3 - b2)) = "$STORE_PROBE_BYTES" ] && [ "$l1" = "$l3" ] ||
    die "Redis was not idle between two probes ($p1 / $p2 / $p3)"
STORE_PROBE=0

# store_side SIDE FIGURE ROUND mint|code|get [URL AUTH]: one slice against
# the httpd of that store (the Redis side watched by the probe).
store_side() {
    local side=$1 fig=$2 round=$3 kind=$4 OAUTH_BASE OAUTH_CLIENT=$WORK/store-$1/client_id WORKER STORE_PROBE=0
    OAUTH_BASE=http://127.0.0.1:$(store_port "$side")
    WORKER=$(store_worker "$side")
    if [ "$side" = redis ]; then STORE_PROBE=1; fi
    case $kind in
    mint) ours_slice "$fig-$side" "$round" 1 "$STORE_MINT_CONC" "$OAUTH_BASE/mcp-credentials/token" POST "$BASIC" ;;
    code) oauth_slice "$fig-$side" "$round" code ;;
    get) ours_slice "$fig-$side" "$round" 2 "$PAIR_CONC" "$5" GET "$6" ;;
    esac
}
say "store: POST /token, c=$STORE_MINT_CONC, Redis vs shmcb; $ROUNDS x ${SECS}s each"
measure store-mint store_side redis store-mint @R@ mint -- store_side shmcb store-mint @R@ mint
say "store: code redemption ($OAUTH_CODES codes a round, c=$OAUTH_CONC), Redis vs shmcb; $ROUNDS rounds"
measure store-code store_side redis store-code @R@ code -- store_side shmcb store-code @R@ code
say "store: guarded requests on the Redis side (MCPBearerCache on, off; an access token, a page token)"
access=$(head -n 1 "$WORK/store-redis/access")
SECS=$PAIR_SECS store_side redis store-guarded 1 get "http://127.0.0.1:$PREDIS_HTTPD/mcp/small.txt" "Bearer $access"
SECS=$PAIR_SECS store_side redis store-guarded 2 get "http://127.0.0.1:$PREDIS_HTTPD_NC/mcp/small.txt" "Bearer $access"
SECS=$PAIR_SECS store_side redis store-guarded 3 get "http://127.0.0.1:$PREDIS_HTTPD_NC/guarded/small.txt" "$BEARER"
sed -i -E 's/^(store-[a-z]+)-(shmcb|redis) ours /\1 \2 /' "$WORK/slices"
stop_store
STORE_LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# store_summary FIGURE -> "redis_cpu shmcb_cpu ratio redis_rps shmcb_rps
# redis_p50_ms shmcb_p50_ms redis_server_us commands_per_answer
# BY:PER_ANSWER,... requests commands bytes unwatched": CPU per answer,
# latency and redis-server's CPU: medians; ratio: the median of the rounds'
# Redis CPU per answer over shmcb's; the Redis side's commands summed over
# its slices; unwatched: its slices without the probe's figures.
store_summary() {
    awk -v fig="$1" '
        function median(a, n,   i, j, t) {
            for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
            return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
        }
        function val(k,   i, kv) { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } return "" }
        $1 != fig { next }
        $2 == "redis" {
            r = val("round"); rc[r] = val("cpu_us_per_op"); rps_r += val("rps"); nr++
            p50r[nr] = val("p50_us"); su[nr] = val("store_us_per_op")
            req += val("requests"); cmds += val("store_cmds"); bytes += val("store_bytes")
            if (val("store_cmds") == "" || val("store_bytes") == "") unwatched++
            nl = split(val("store_by_cmd"), l, ",")
            for (i = 1; i <= nl; i++) { split(l[i], kv, ":"); if (kv[1] != "-") by[toupper(kv[1])] += kv[2] }
        }
        $2 == "shmcb" { r = val("round"); sc[r] = val("cpu_us_per_op"); rps_s += val("rps"); ns++; p50s[ns] = val("p50_us") }
        END {
            for (r in rc) if (r in sc && sc[r] > 0) ratio[++nratio] = rc[r] / sc[r]
            for (r in rc) rcs[++a] = rc[r]
            for (r in sc) scs[++b] = sc[r]
            list = ""
            for (k in by) list = list (list == "" ? "" : ",") k ":" sprintf("%.2f", req ? by[k] / req : 0)
            printf "%.1f %.1f %s %.1f %.1f %.1f %.1f %.1f %s %s %d %d %d %d\n",
                a ? median(rcs, a) : 0, b ? median(scs, b) : 0,
                nratio ? sprintf("%.2f", median(ratio, nratio)) : "n/a",
                nr ? rps_r / nr : 0, ns ? rps_s / ns : 0,
                nr ? median(p50r, nr) / 1000 : 0, ns ? median(p50s, ns) / 1000 : 0,
                nr ? median(su, nr) : 0, req ? sprintf("%.2f", cmds / req) : "n/a",
                list == "" ? "-" : list, req, cmds, bytes, unwatched + 0
        }' "$WORK/slices"
}
STORE_ROWS="" STORE_PASS=0 STORE_MISS=0
store_row() { STORE_ROWS="$STORE_ROWS| $1 | $2 | $3 | $4 | $5 | $6 |"$'\n'; }
# store_met RATIO MAX -> PASS or **MISS** (counted)
store_met() {
    if awk -v r="$1" -v m="$2" 'BEGIN { exit !(r != "n/a" && r + 0 <= m) }'; then
        STORE_PASS=$((STORE_PASS + 1)); met=PASS
    else
        STORE_MISS=$((STORE_MISS + 1)); met="**MISS**"
    fi
}
by_names() { sed 's/:/ /g; s/,/, /g' <<<"$1"; }
for fig in mint code; do
    read -r rc sc ratio rr sr p50r p50s su cpo by _ _ _ unwatched < <(store_summary "store-$fig")
    [ "$unwatched" = 0 ] || note_error "store-$fig: $unwatched slice(s) of the Redis side without the probe's figures"
    if [ "$fig" = mint ]; then
        what="JSON mint, \`POST <base>/token\`, c=$STORE_MINT_CONC (p50 $p50r ms Redis, $p50s ms shmcb)"
    else
        what="code redemption at \`<base>/oauth/token\` ($OAUTH_CODES codes a round), c=$OAUTH_CONC (p50 $p50r ms Redis, $p50s ms shmcb)"
    fi
    store_met "$ratio" "$STORE_MAX"
    store_row "$what: httpd CPU per answer, RSA-3072" \
        "$rc us ($rr/s); redis-server $su us; $cpo commands ($(by_names "$by"))" "$sc us ($sr/s)" \
        "**$ratio**" "<= $STORE_MAX" "$met"
    say "store-$fig: httpd CPU per answer, Redis / shmcb = $ratio (target <= $STORE_MAX): ${met//\*/}"
done
read -r _ _ _ _ _ _ _ _ _ by req cmds bytes unwatched < <(store_summary store-guarded)
if [ "$unwatched" != 0 ] || [ "$req" = 0 ]; then
    STORE_MISS=$((STORE_MISS + 1)); met="**FAIL**"
    note_error "store-guarded: $unwatched slice(s) without the probe's figures, $req requests: nothing shown"
elif [ "$cmds" = 0 ] && [ "$bytes" = 0 ]; then
    STORE_PASS=$((STORE_PASS + 1)); met=PASS
else
    STORE_MISS=$((STORE_MISS + 1)); met="**FAIL**"
    note_error "guarded requests touched the store: $cmds commands ($(by_names "$by")), $bytes bytes in $req requests"
fi
store_row "GET 512 B behind \`AuthType mcp-bearer\` on the Redis side, valid tokens (an access token at /mcp, MCPBearerCache on then off; a page token, cache off), c=$PAIR_CONC: what Redis received" \
    "$cmds commands, $bytes bytes in $req requests" "-" "-" "0" "$met"
say "store-guarded: $cmds Redis commands, $bytes bytes during $req guarded requests (must be 0): ${met//\*/}"

store_section() {
    local errs
    errs=$(tail -n +"$((STORE_FROM + 1))" "$WORK/errors")
    echo "$STORE_MARK"
    echo "## The shared store: Redis against shmcb"
    echo
    echo "Made by \`$COMMAND\` on $STORE_START$([ "$QUICK" = 1 ] && echo ' (QUICK smoke: not a measurement)'):"
    echo "$(nproc) CPU(s) shared with other work, load average $STORE_LOAD_START at the part's start and"
    echo "$STORE_LOAD_END at its end; the rates move with the neighbours' load, the ratios of CPU per answer"
    echo "much less. Module: $MODULE_DESC; Redis $REDIS_VERSION."
    echo
    echo "| figure | Redis | shmcb | ratio Redis/shmcb | target | met? |"
    echo "|---|---|---|---|---|---|"
    printf '%s' "$STORE_ROWS"
    echo
    echo "PASS: $STORE_PASS, MISS: $STORE_MISS.$([ -n "$errs" ] && echo ' ERRORS during the part (figures not valid):')"
    [ -z "$errs" ] || printf '%s\n' "$errs" | sed 's/^/- /'
    echo
    echo "What it measures: what a farm's shared store costs httpd, against the local one. Two httpds"
    echo "of one configuration run side by side (each one child, event MPM as above, \`MCPOAuth On\`, the"
    echo "RSA-3072 key, \`MCPCredentialsMintRate $STORE_RATE\`: every mint and approval is counted in"
    echo "the store, none refused); the one difference is \`MCPCredentialsCache shmcb:PATH($OAUTH_STORE_BYTES)\` against"
    echo "\`MCPCredentialsCache redis:127.0.0.1:PORT\`, a redis-server of the run's own on loopback"
    echo "(\`--save '' --appendonly no\`)."
    echo
    echo "- JSON mint: wrk -t1 -c$STORE_MINT_CONC, \`POST <base>/token\` with \`$BODY\`, ${SECS} s a round;"
    echo "  each answer is one RS512 signature and one count in the store."
    echo "- Code redemption: as in part 5, $OAUTH_CODES codes approved through the consent page before each"
    echo "  round (not measured), then redeemed on $OAUTH_CONC connections; each answer takes the code's"
    echo "  record, starts a grant and signs one access token."
    echo "- ratio: the median over $ROUNDS round(s), alternated (AB BA AB), of httpd's worker CPU per"
    echo "  answer with Redis over the same with shmcb (from /proc/PID/task/*/schedstat); below 1.10"
    echo "  means the store's round trips add less than a tenth to a signature's cost. Both sides are"
    echo "  httpd on the same cores, so the machine's load falls on both alike."
    echo "- Beside it, not in the ratio: redis-server's own CPU per answer (on a farm, another"
    echo "  machine's), and the commands Redis received per answer (INFO commandstats, less the probe's"
    echo "  own INFO), by name: a mint's count is an INCR (a window's first also a SETEX). wrk counts"
    echo "  the answers received within its slice: the requests still in flight at its end (up to"
    echo "  c) add a little to the commands and the CPU per answer, on both sides alike."
    echo "- Guarded: wrk -t2 -c$PAIR_CONC, ${PAIR_SECS} s each, a 512 B file behind \`AuthType mcp-bearer\`"
    echo "  on the Redis side, with an access token from a redemption (\`MCPBearerResource\`) with the"
    echo "  verified-token cache and without, then a page token without it. Redis's"
    echo "  \`total_commands_processed\` and \`total_net_input_bytes\` are read before and after each, less"
    echo "  what one probe adds ($STORE_PROBE_CMDS command, $STORE_PROBE_BYTES bytes, measured on the idle"
    echo "  Redis first): any other command or byte is a guarded request touching the store, a bug."
    echo
    echo "<details><summary>Every slice of part 6</summary>"
    echo
    echo '```'
    grep '^store-' "$WORK/slices" || true
    echo '```'
    echo "</details>"
}
store_section >"$WORK/store.md"
fi # part 6

# -------------------------------------------------- 7. instruction counts --
# bench/icount.sh, with this run's module and keys: its section of the
# results in $WORK/icount.md.
if [ -z "$ONLY" ] && [ "$QUICK" = 1 ]; then
    say "instruction counts (part 7): not in a QUICK run (BENCH_ONLY=icount runs them)"
    : >"$WORK/icount.md"
elif [ "$ONLY" != store ]; then
    say "instruction counts under callgrind (part 7, bench/icount.sh)"
    ICOUNT_FROM=$(wc -l <"$WORK/errors")
    MCP_MODULE=$WORK/mod_mcp_credentials.so ICOUNT_NO_BUILD=1 ICOUNT_KEYS=$WORK \
        ICOUNT_OUT=$WORK/icount.md ICOUNT_MARK=$ICOUNT_MARK ICOUNT_COMMAND=$COMMAND ICOUNT_MODULE_DESC=$MODULE_DESC \
        timeout 1800 "$BENCH_DIR/icount.sh" >&2 || note_error "instruction counts: bench/icount.sh failed"
    [ -s "$WORK/icount.md" ] || { note_error "instruction counts: no section written"; echo "$ICOUNT_MARK" >"$WORK/icount.md"; }
fi

# ------------------------------------------------------------- report --
ERRORS=$(cat "$WORK/errors")
MET=$(awk -F'|' '$7 ~ /^ yes/' <<<"$ROWS" | wc -l)
MISSED=$(awk -F'|' '$7 ~ /^ \*\*no\*\*/' <<<"$ROWS" | wc -l)
httpd_version=$("$HTTPD" -v | sed -n 's/^Server version: //p')
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -z "$ONLY" ]; then
{
    echo "# Benchmark results"
    echo
    echo "Made by \`$COMMAND\` on $(date -u '+%Y-%m-%d %H:%M UTC')$([ "$QUICK" = 1 ] && echo ' (QUICK smoke: not a measurement)')."
    echo
    echo "Parts 1 to 6 measure time: rates and CPU time per operation, which move with the machine's"
    echo "load. Part 7, at the end, counts instructions, which do not$([ -s "$WORK/icount.md" ] || echo ' (not in this run)')."
    echo
    echo "| figure | ours | baseline | ratio | target | met? |"
    echo "|---|---|---|---|---|---|"
    printf '%s' "$ROWS"
    echo
    echo "Targets met: $MET, missed: $MISSED.$([ -n "$ERRORS" ] && echo ' ERRORS during the run (figures not valid):')"
    [ -z "$ERRORS" ] || printf '%s\n' "$ERRORS" | sed 's/^/- /'
    echo
    echo "The mint, guarded-request and token-endpoint targets are judged on CPU, as the rates of a"
    echo "load generator that shares the cores with httpd are biased against it; the page's on the"
    echo "throughput ratio when the machine was quiet (below)."
    echo
    echo "ratio: the median over $ROUNDS round(s) of ours/baseline throughput, each round one ${SECS} s slice"
    echo "of each, alternated (the page and bearer pairs: $PAIR_ROUNDS rounds of ${PAIR_SECS} s). (cpu X): the"
    echo "median over the same rounds of baseline CPU time per operation / ours (httpd's worker for ours;"
    echo "the raw loop, or httpd serving the baseline path): what the ratio would be with the cores to"
    echo "ourselves. A target is judged on the throughput ratio when the machine was quiet (each side's"
    echo "rates within 15% across rounds, and the raw loop got at least 90% of its cores), else on the"
    echo "CPU ratio, marked \"(cpu: machine busy)\": on a shared machine a neighbour's load moves the"
    echo "rates by 2x between slices, and httpd's 32 threads take a bigger share of a busy machine than"
    echo "the raw loop's 2, while the CPU ratios move much less."
    echo
    if [ -n "$SPLIT_ROWS" ]; then
        echo "### Where httpd's CPU goes (perf)"
        echo
        echo "One more slice of each, under \`perf record -e cpu-clock\` on httpd's worker (a sample per"
        echo "$((PERF_PERIOD_NS / 1000)) us of a thread's CPU; this machine has no hardware counters), then the raw loop"
        echo "(bench/rsa_speed.c, 2 threads, the same key) under perf: microseconds of CPU per operation by"
        echo "the object they were spent in. OpenSSL's share holds the signature (and, at the token"
        echo "endpoint, its MACs and digests: some 100,000 instructions beside the signature's 31 million,"
        echo "part 7); set beside the raw loop's, it shows whether the signature costs more in httpd than"
        echo "alone. The rest is the request: the kernel (loopback TCP, epoll, the hand-off between the"
        echo "listener and the workers, preemption among the workers), libc, httpd and APR, the module."
        echo
        echo "| operation | httpd, total | OpenSSL (libcrypto) | kernel | libc | httpd and APR | the module | other | raw signature, total |"
        echo "|---|---|---|---|---|---|---|---|---|"
        printf '%s' "$SPLIT_ROWS"
        echo
    fi
    cat "$BENCH_DIR/costs.md"
    echo
    echo "## Machine"
    echo
    echo "- $(nproc) CPU(s): $cpu_model"
    echo "- kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "- $httpd_version, event MPM (one child, ThreadsPerChild 96), $(openssl version | cut -d' ' -f1-2)"
    echo "- $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), $(ab -V | head -n 1 | sed 's/^This is //; s/ <.*//')"
    echo "- module: $MODULE_DESC"
    echo "- load average at start: $LOAD_START; at end: $load_end"
    echo
    echo "## How it was measured"
    echo
    echo "- One httpd on loopback, one child, a virtual host per key size; access log off, LogLevel warn"
    echo "  (each mint's audit line is written all the same: notice lines go to an ErrorLog file whatever"
    echo "  the LogLevel), AllowOverride None, \`EnableMMAP Off\` (files read, not mapped: see part 7);"
    echo "  \`MCPCredentialsMintRate off\`, \`MCPCredentialsRateCache none\`; Basic auth from a SHA-1 htpasswd."
    echo "- Mints: \`POST /mcp-credentials/token\` with \`$BODY\`, wrk -t1 -cC. Baseline: bench/rsa_speed.c"
    echo "  (RS512 PKCS#1 v1.5 on a shared EVP_PKEY; each thread prepares a context once and copies it"
    echo "  before each EVP_DigestSign, as jwt/prepared.c does), 1 thread against c=1, 2 threads against the"
    echo "  others. The best concurrency is the one with the best CPU ratio among c >= 2."
    echo "- Pairs: wrk -t2 -c$PAIR_CONC, GET. The bearer pairs send the same Authorization header to both paths."
    echo "- wrk runs on the same two cores as httpd; the raw loop has them to itself."
    echo "- Memory: a fresh httpd, ab -k -c $MEM_CONC; VmRSS of the single worker."
    echo "- OAuth: a second httpd (same MPM settings) with \`MCPOAuth On\`, the RSA-3072 key, the store"
    echo "  shmcb of $((OAUTH_STORE_BYTES / 1048576)) MB (the rounds keep some 7,000 records alive, more than the default 512 KB holds),"
    echo "  \`MCPCredentialsMintRate off\`; one client registered, Python's"
    echo "  http.client on $OAUTH_CONC keep-alive connections (bench/oauth_client.py). Code redemption: each"
    echo "  round approves $OAUTH_CODES codes through the consent page and its form (not measured), then"
    echo "  redeems them all (\`grant_type=authorization_code\` with PKCE S256); refresh: $OAUTH_CONC chains,"
    echo "  each answer's refresh token sent next, for ${SECS} s a round. Judged on CPU: one raw RS512"
    echo "  signature (bench/rsa_speed.c, 2 threads, same key) over httpd's worker CPU per answer, the"
    echo "  median over the rounds; (throughput) is the rate ratio, with the client on the same cores."
    echo
    echo "<details><summary>Every slice</summary>"
    echo
    echo '```'
    grep -v '^store-' "$WORK/slices" || true
    echo '```'
    echo "</details>"
    echo
    cat "$WORK/store.md"
    if [ -s "$WORK/icount.md" ]; then
        echo
        cat "$WORK/icount.md"
    fi
} >"$RESULTS.tmp"
else
    # Part 6 or 7 alone: the results as they were, with that part's
    # section (from its mark to the next part's mark, or to the end)
    # replaced by the new one, or added at the end.
    case $ONLY in store) part=6 new=$WORK/store.md ;; icount) part=7 new=$WORK/icount.md ;; esac
    if [ -f "$RESULTS" ]; then
        awk -v part="<!-- part $part:" -v new="$new" '
            function emit(   line) { while ((getline line < new) > 0) print line; close(new); done = 1 }
            index($0, part) == 1 { if (blank) print ""; blank = 0; emit(); skipping = 1; next }
            skipping && /^<!-- part [0-9]+:/ { skipping = 0; print "" }
            skipping { next }
            /^$/ { blank++; next }
            { while (blank) { print ""; blank-- } print }
            END { if (!done) { print ""; emit() } }' "$RESULTS" >"$RESULTS.tmp"
    else
        { echo "# Benchmark results"; echo; cat "$new"; } >"$RESULTS.tmp"
    fi
fi
mv "$RESULTS.tmp" "$RESULTS"
echo
[ -n "$ONLY" ] || sed -n '/^| figure | ours/,/^Targets met/p' "$RESULTS"
[ "$ONLY" = icount ] || sed -n '/^| figure | Redis/,/^PASS: /p' "$RESULTS"
[ "$ONLY" = store ] || sed -n '/^| operation | Ir per op/,/^$/p' "$RESULTS"
say "written to ${RESULTS#"$ROOT"/}"
[ -z "$ERRORS" ] || exit 1
if [ "${BENCH_STRICT:-0}" = 1 ] && [ $((MISSED + STORE_MISS)) -gt 0 ]; then exit 1; fi
exit 0
