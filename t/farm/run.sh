#!/usr/bin/env bash
# The farm: two httpd nodes with the module (A and B, each its own httpd,
# ServerRoot, logs and pid, event MPM) sharing their state through one
# store, a load balancer in front of them (a third httpd with
# mod_proxy_balancer, mod_lbmethod_byrequests and mod_proxy_http), and the
# MCP server of the e2e suite behind the nodes; every server on 127.0.0.1,
# on free ports, started here and stopped at the end.
#
# The nodes' and the balancer's configuration is docs/farm.md's, as
# written: the fenced blocks after <!-- farm:node --> and
# <!-- farm:balancer --> with only their addresses, ports and paths
# replaced (and, for memcached, the documented MCPCredentialsCache line of
# memcached in place of Redis's), so that the suite fails when the
# documented configuration stops working.  Like the documented file, the
# nodes' configuration is one file at one path, which both nodes include
# (a rate limit's counter is known by the file and line of its directive);
# it ends with two locations of the tests' own (minting under a limit of
# 20 an hour, and minting under a limit never reached).  Each node's
# httpd.conf adds what a Debian installation would (ServerRoot, modules,
# logs, the MPM's sizes) and the address its Listen line takes.
#
# The tests (t/farm/*.test.mjs, node:test) run twice: with
# `MCPCredentialsCache redis:...` (Debian's redis-server, nothing saved)
# and with `memcache:...` (memcached); FARM_STORE tells them which.  A test
# that applies to one store only is skipped for the other by name
# ("redis only", "memcache only") and is not planned there.  The run fails
# when fewer tests ran than planned: the tests declared in the files
# (lines starting with `test(` or `onlyWith('<store>',`).
#
# Run from anywhere after `make all` and `npm ci`:   ./t/farm/run.sh
# (or ./t/farm/run.sh t/farm/20-race.test.mjs for one file).  Ends with
# "farm: N passed, M failed"; exits non-zero on any failure.
#
# Environment: FARM_STORES ("redis memcache"), FARM_KEEP=1 (keep the work
# directory under /tmp and print its path), FARM_TIMEOUT (seconds for the
# tests of one store, 200), FARM_RACES (the races of 20-race, 30),
# FARM_MODULE (the .so), and those of t/harness/lib.sh (MCP_HTTPD or HTTPD, MCP_TOKEN,
# MCP_MODDIR, NODE).  Both runs take about a minute and a half.
set -euo pipefail

SUITE=farm
# shellcheck source=t/harness/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../harness/lib.sh"
root=$ROOT
here=$root/t/farm
doc=$root/docs/farm.md
MODULE=${FARM_MODULE:-$MODULE}
TEST_TIMEOUT=${FARM_TIMEOUT:-200}
STORES=${FARM_STORES:-redis memcache}
started=$(date +%s)

[ -x "$TOOL" ] || die "$TOOL is missing: run make tool first"
[ -f "$MODULE" ] || die "$MODULE is missing: run make module first"
[ -x "$HTTPD" ] || die "$HTTPD is missing: apt-get install apache2"
[ -d "$root/node_modules/@modelcontextprotocol/sdk" ] ||
    die "@modelcontextprotocol/sdk is missing: run npm ci (make deps)"
need_cmd redis-server "apt-get install redis-server"
need_cmd memcached "apt-get install memcached"
need_cmd htpasswd "apt-get install apache2-utils"
for m in mod_proxy_balancer mod_lbmethod_byrequests mod_slotmem_shm mod_remoteip; do
    need_file "$MODDIR/$m.so" "apt-get install apache2"
done
for s in $STORES; do
    case $s in redis|memcache) ;; *) die "FARM_STORES: unknown store $s" ;; esac
done

harness_workdir
shared=$work/shared
store_dir=$work/store
balancer_dir=$work/balancer
backend_pid=

# node_stop DIR WHAT: the httpd whose pid file is in DIR, TERM, then KILL
# (with its children, by their ids) after 5 s.
node_stop() {
    local dir=$1 pid kids p
    pid=$(cat "$dir/httpd.pid" 2>/dev/null) || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        say "$2 did not stop within 5 s: killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    for p in $kids; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
    rm -f "$dir/httpd.pid"
    return 0
}

stop_httpds() {
    node_stop "$balancer_dir" "the balancer"
    node_stop "$work/nodeA" "node A"
    node_stop "$work/nodeB" "node B"
}

cleanup() {
    local rc=$?
    set +e
    stop_httpds
    harness_stop "$backend_pid" "the MCP server"
    "$here/store.sh" stop redis "$store_dir"
    "$here/store.sh" stop memcache "$store_dir"
    harness_finish "${FARM_KEEP:-0}"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- what every node has the same (docs/farm.md's /etc/apache2/mcp/):
# the signing key and the OAuth secret (root's, 0600, read at startup),
# the users (each password is the name with "-pw") and their groups, the
# revocation file.
mkdir -p "$shared" "$store_dir" "$balancer_dir" "$work/nodeA" "$work/nodeB" "$work/htdocs"
chmod 755 "$shared" "$store_dir" "$balancer_dir" "$work/nodeA" "$work/nodeB" "$work/htdocs"
quiet fixture_key "$shared/signing-key.pem" 2048
(umask 077 && head -c 48 /dev/urandom | base64 >"$shared/oauth.secret")
for u in alice bob carol; do quiet fixture_user "$shared/htpasswd" "$u" "$u-pw"; done
fixture_groups "$shared/groups" <<'EOF'
ROLE_USER: alice bob carol
ROLE_ADMIN: alice
EOF
quiet "$TOOL" revoke --file "$shared/revoked" 00000000-0000-4000-8000-000000000000

read -r port_bal port_a port_b port_backend port_redis port_memcache < <(harness_free_ports 6)
public=http://127.0.0.1:$port_bal

# --- docs/farm.md's blocks -------------------------------------------------

# doc_block NAME: the fenced apache block after <!-- farm:NAME -->.
doc_block() {
    awk -v marker="<!-- farm:$1 -->" '
        $0 == marker { state = 1; next }
        state == 1 && /^```apache[ \t]*$/ { state = 2; next }
        state == 2 && /^```[ \t]*$/ { exit }
        state == 2 { print }' "$doc"
}
node_doc=$(doc_block node)
balancer_doc=$(doc_block balancer)
[ -n "$node_doc" ] || die "docs/farm.md: no apache block after <!-- farm:node -->"
[ -n "$balancer_doc" ] || die "docs/farm.md: no apache block after <!-- farm:balancer -->"
cache_timeout=$(sed -n 's/^MCPCredentialsCacheTimeout[ \t]\+\([0-9]\+\)[ \t]*$/\1/p' <<<"$node_doc")
[ -n "$cache_timeout" ] || die "docs/farm.md: the node's block sets no MCPCredentialsCacheTimeout"

# placeholders_left WHAT TEXT: dies when TEXT still names the documented
# hosts, ports or paths (the documentation changed in a way this script
# does not know).
placeholders_left() {
    local left
    left=$(grep -nE '10\.0\.0\.|example\.com|/etc/apache2|:8080|:9091|:6379|:11211' <<<"$2" || true)
    [ -z "$left" ] || die "$1: documented addresses this script does not replace: $left"
}

# test_location LINE: the body of a test-only credentials location, with
# the users and groups of the documented one.
test_location() {
    printf '    %s\n' 'AuthType Basic' 'AuthName "MCP credentials"' 'AuthBasicProvider file' \
        "AuthUserFile $shared/htpasswd" 'Require valid-user' 'SetHandler mcp-credentials' \
        'MCPCredentials On' 'MCPCredentialsMaxLifetime P30D' \
        "MCPCredentialsRolesFrom groupfile $shared/groups" "$1"
}

# farm_conf STORE: the file every node includes, at one path, as docs/farm.md
# has it on every node: the documented block for STORE and the tests'
# locations.  One file matters: a rate limit's counter belongs to the
# directive that sets it, known by its file and line, so nodes share a
# counter only when they read the same directive at the same place.  The
# one line that differs, the node's Listen, takes its address from
# ${FARM_NODE_LISTEN}, which each node's httpd.conf defines.
farm_conf() {
    local store=$1 body store_port=$port_redis
    [ "$store" = redis ] || store_port=$port_memcache
    # shellcheck disable=SC2016
    body=$(sed -e 's|^Listen 8080$|Listen ${FARM_NODE_LISTEN}|' \
        -e "s|redis:10\\.0\\.0\\.5:6379|redis:127.0.0.1:$port_redis|" \
        -e "s|memcache:10\\.0\\.0\\.5:11211|memcache:127.0.0.1:$port_memcache|" \
        -e "s|https://mcp\\.example\\.com|$public|g" \
        -e "s|/etc/apache2/mcp/|$shared/|g" \
        -e "s|10\\.0\\.0\\.4|127.0.0.1|g" \
        -e "s|127\\.0\\.0\\.1:9091|127.0.0.1:$port_backend|g" <<<"$node_doc")
    if [ "$store" = memcache ]; then
        body=$(sed -e 's|^MCPCredentialsCache redis:|# MCPCredentialsCache redis:|' \
            -e 's|^# MCPCredentialsCache memcache:|MCPCredentialsCache memcache:|' <<<"$body")
    fi
    placeholders_left "docs/farm.md (node)" "$body"
    grep -qx "MCPCredentialsCache $store:127.0.0.1:$store_port" <<<"$body" ||
        die "docs/farm.md (node): no MCPCredentialsCache line for $store"
    # shellcheck disable=SC2016
    grep -qx 'Listen ${FARM_NODE_LISTEN}' <<<"$body" || die "docs/farm.md (node): no 'Listen 8080'"
    cat <<EOF
# Written by the farm suite for the store $store: what every node includes.
# ---- docs/farm.md, farm:node, as written but for its addresses, ports
# ---- and paths.
$body
# ---- end of docs/farm.md

# Only for the tests: minting under a limit of 20 an hour (the limit
# across the nodes), and minting under a limit never reached, whose
# counter still lives in the store (the outage tests mint here).
<Location /farm-rate>
$(test_location 'MCPCredentialsMintRate 20/1h')
</Location>
<Location /farm-mint>
$(test_location 'MCPCredentialsMintRate 1000000/1h')
</Location>
EOF
}

# node_conf STORE NAME PORT: the httpd.conf of a node: what a Debian
# installation has, then the farm's file.
node_conf() {
    local store=$1 name=$2 port=$3 dir=$work/node$2
    harness_base_conf "$dir" "$MODULE"
    cat <<EOF
# Written by the farm suite: node $name, store $store.
ServerRoot "$dir"
Include "$dir/base.conf"
LoadModule remoteip_module $MODDIR/mod_remoteip.so

# Two children, never more and never replaced by the MPM on its own
# (MaxRequestWorkers / ThreadsPerChild = 2): the outage tests count the
# store's log lines per child.  ServerLimit leaves room for an old
# generation after a graceful restart.
ServerLimit 8
StartServers 2
ThreadsPerChild 25
MaxRequestWorkers 50
MinSpareThreads 1
MaxSpareThreads 50
MaxConnectionsPerChild 0
GracefulShutdownTimeout 5

LogLevel warn mcp_credentials:info
LogFormat "%{end:usec}t %h %u \"%r\" %>s %D" farm
CustomLog "$dir/access_log" farm

$(harness_docroot)

Define FARM_NODE_LISTEN 127.0.0.1:$port
Include "$shared/mcp-node.conf"
EOF
}

balancer_conf() {
    local body
    body=$(sed -e "s|http://10\\.0\\.0\\.11:8080|http://127.0.0.1:$port_a|" \
        -e "s|http://10\\.0\\.0\\.12:8080|http://127.0.0.1:$port_b|" <<<"$balancer_doc")
    placeholders_left "docs/farm.md (balancer)" "$body"
    cat <<EOF
# Written by the farm suite: the balancer.
ServerRoot "$balancer_dir"
ServerName 127.0.0.1
PidFile httpd.pid
DefaultRuntimeDir .
ErrorLog error_log
LogLevel warn
User nobody
Group $worker_group
LoadModule mpm_event_module $MODDIR/mod_mpm_event.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule slotmem_shm_module $MODDIR/mod_slotmem_shm.so
LoadModule proxy_module $MODDIR/mod_proxy.so
LoadModule proxy_http_module $MODDIR/mod_proxy_http.so
LoadModule proxy_balancer_module $MODDIR/mod_proxy_balancer.so
LoadModule lbmethod_byrequests_module $MODDIR/mod_lbmethod_byrequests.so
Listen 127.0.0.1:$port_bal
ServerLimit 4
StartServers 2
ThreadsPerChild 50
MaxRequestWorkers 100
LogFormat "%{msec}t %h \"%r\" %>s %{BALANCER_WORKER_NAME}e %D" farm
CustomLog "$balancer_dir/access_log" farm

# ---- docs/farm.md, farm:balancer, as written but for the nodes' addresses.
$body
# ---- end of docs/farm.md
EOF
}

# start_httpd DIR WHAT URL: httpd -k start with DIR/httpd.conf; waits
# (10 s at most) until URL answers 200.
start_httpd() {
    local dir=$1 pid=
    rm -f "$dir/httpd.pid"
    "$HTTPD" -f "$dir/httpd.conf" -k start >>"$dir/httpd.out" 2>&1 || {
        cat "$dir/httpd.out" "$dir/error_log" 2>/dev/null >&2
        die "$2 did not start"
    }
    for _ in $(seq 50); do
        pid=$(cat "$dir/httpd.pid" 2>/dev/null) && break
        sleep 0.1
    done
    [ -n "$pid" ] || die "$2 wrote no pid file"
    harness_wait_http "$2" "$3" 200 "$pid"
}

# --- the servers every run shares: the MCP server and both stores -------------
(cd "$root" && MCP_SERVER_PORT=$port_backend exec "$NODE" "$root/t/e2e/mcp-server.mjs") \
    >"$work/backend.out" 2>&1 &
backend_pid=$!
harness_wait_http "the MCP server" "http://127.0.0.1:$port_backend/nothing" 404 "$backend_pid"
"$here/store.sh" start redis "$port_redis" "$store_dir" || die "redis-server did not start"
"$here/store.sh" start memcache "$port_memcache" "$store_dir" || die "memcached did not start"

# --- the tests -------------------------------------------------------------------
tests=("$here"/[0-9]*.test.mjs)
if [ $# -gt 0 ]; then
    tests=()
    for f in "$@"; do tests+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"); done
fi

# declared PATTERN: how many lines of the test files start with PATTERN.
declared() { cat "${tests[@]}" | grep -c "^$1" || true; }

export E2E_BASE=$public
export E2E_ISSUER=$public
export E2E_WORK=$work
export FARM_BALANCER=$public
export FARM_A=http://127.0.0.1:$port_a
export FARM_B=http://127.0.0.1:$port_b
export FARM_NODE_A=$work/nodeA
export FARM_NODE_B=$work/nodeB
export FARM_BALANCER_DIR=$balancer_dir
export FARM_WORK=$work
export FARM_HTTPD=$HTTPD
export FARM_TOOL=$TOOL
export FARM_REVOKED=$shared/revoked
export FARM_STORE_DIR=$store_dir
export FARM_STORE_SCRIPT=$here/store.sh
export FARM_CACHE_TIMEOUT=$cache_timeout

passed=0
failed=0
for store in $STORES; do
    say "--- with $store"
    farm_conf "$store" >"$shared/mcp-node.conf"
    for n in A B; do
        port=port_$(tr AB ab <<<"$n")
        node_conf "$store" "$n" "${!port}" >"$work/node$n/httpd.conf"
        harness_configtest "$work/node$n/httpd.conf"
    done
    balancer_conf >"$balancer_dir/httpd.conf"
    harness_configtest "$balancer_dir/httpd.conf"
    start_httpd "$work/nodeA" "node A" "http://127.0.0.1:$port_a/.well-known/oauth-authorization-server"
    start_httpd "$work/nodeB" "node B" "http://127.0.0.1:$port_b/.well-known/oauth-authorization-server"
    start_httpd "$balancer_dir" "the balancer" "$public/.well-known/oauth-authorization-server"

    if [ "$store" = redis ]; then store_port=$port_redis other=memcache
    else store_port=$port_memcache other=redis; fi
    log=$work/tap-$store.log
    set +e
    (cd "$root" && FARM_STORE=$store FARM_STORE_PORT=$store_port timeout --kill-after=5 "$TEST_TIMEOUT" \
        "$NODE" --test --test-concurrency=1 --test-reporter=tap "${tests[@]}") 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    stop_httpds

    count() { harness_tap_count "$log" "$1"; }
    pass=$(count pass) fail=$(count fail) cancelled=$(count cancelled)
    skipped=$(count skipped) todo=$(count todo)
    pass=${pass:-0}
    bad=$(( ${fail:-0} + ${cancelled:-0} + ${todo:-0} ))
    planned=$(( $(declared 'test(') + $(declared "onlyWith('$store',") ))
    expected_skips=$(declared "onlyWith('$other',")
    ran=$(( pass + ${fail:-0} ))
    if [ "${skipped:-0}" != "$expected_skips" ]; then
        say "$store: ${skipped:-0} tests skipped, $expected_skips expected (the $other only tests)"
        bad=$((bad + 1))
    fi
    # Every skip is one of the other store's tests, by its reason.
    if grep -E '# SKIP' "$log" | grep -vqE "# SKIP $other only\$"; then
        say "$store: a test was skipped for another reason than '$other only'"
        bad=$((bad + 1))
    fi
    if [ "$ran" -lt "$planned" ]; then
        say "$store: $ran tests ran, $planned planned"
        bad=$((bad + planned - ran))
    fi
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
        say "$store: the tests did not finish within $TEST_TIMEOUT s"
        bad=$((bad + 1))
    elif [ "$status" != 0 ] && [ "$bad" = 0 ]; then
        say "$store: node --test exited $status"
        bad=1
    fi
    if [ "$bad" != 0 ]; then
        for n in A B; do
            say "$store: last lines of node $n's error log:"
            tail -n 15 "$work/node$n/error_log" 2>/dev/null | sed 's/^/#   /' >&2
        done
        say "$store: last lines of the balancer's error log:"
        tail -n 10 "$balancer_dir/error_log" 2>/dev/null | sed 's/^/#   /' >&2
    fi
    say "$store: $pass passed, $bad failed ($planned planned)"
    passed=$((passed + pass))
    failed=$((failed + bad))
done

say "took $(( $(date +%s) - started )) s"
echo "farm: $passed passed, $failed failed"
[ "$failed" = 0 ]
