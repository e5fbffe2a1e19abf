#!/bin/bash
# `make demo-test`: the demo as a new user meets it.  Runs scripts/demo.sh
# itself (on free loopback ports, its state in a temporary directory), once
# with Basic sign-in and once with DEMO_AUTH=oidc, and drives it:
#   basic  t/demo/10-loop.test.mjs: the page's three client configurations,
#          run as pasted (npx mcp-remote, the SDK client, the curl line),
#          against the demo's MCP server;
#   oidc   t/demo/20-oidc.test.mjs: sign-in at the provider in Chromium,
#          roles from the groups claim, forged claim headers.
# After each, a SIGINT to the demo (what Ctrl-C sends) must stop every
# process it started and free every port.  Prints "demo-test: N passed,
# M failed" last; fails when fewer tests ran than planned.
#
#   DEMO_SCREENSHOTS=DIR   where the README's screenshots go (default: the
#                          temporary directory; `make screenshots` sets docs/)
#   DEMO_TEST_KEEP=1       keep the temporary directory (logs, state)
#   DEMO_TEST_MODES=basic  one of the two runs only (fewer tests than
#                          planned: the run fails, as it should)
set -euo pipefail
cd "$(dirname "$0")/../.."
SUITE=demo-test
# shellcheck source=t/harness/lib.sh
. t/harness/lib.sh
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
# Node tests in the two files, plus the three checks made here.
MIN_TESTS=${MIN_TESTS:-20}
TEST_TIMEOUT=${DEMO_TEST_TIMEOUT:-180}

for f in "$MODULE" "$TOOL"; do
    [ -f "$f" ] || die "missing $f: run 'make all' first"
done
[ -x "$CHROMIUM" ] || die "missing $CHROMIUM (make deps)"
for m in playwright-core @modelcontextprotocol/sdk mcp-remote oidc-provider; do
    [ -d "node_modules/$m" ] || die "missing node_modules/$m (make deps)"
done
[ -f "$MODDIR/mod_auth_openidc.so" ] || die "missing mod_auth_openidc (make deps)"
"$PY" -c 'import jwt' 2>/dev/null || die "$PY cannot import jwt (make deps: python3-jwt)"

harness_workdir
TMP=$work
demo_pid=
passed=0
failed=0

descendants() { # every process below PID, by id
    local pid=$1 kids k
    kids=$(ps -eo pid=,ppid= | awk -v p="$pid" '$2 == p { print $1 }')
    for k in $kids; do
        echo "$k"
        descendants "$k"
    done
}

# started PID: its start time (clock ticks since boot); empty if it is gone
# or a zombie (dead, waiting for whoever inherited it to reap it).
started() {
    awk '{ sub(/^.*\) /, ""); if ($1 != "Z") print $20 }' "/proc/$1/stat" 2>/dev/null || true
}

# stop_demo: SIGINT to the demo's process group (Ctrl-C), wait for it; KILL
# whatever is left after 20 s.  Sets demo_rc to the demo's exit status.
demo_rc=
stop_demo() {
    local pid=$demo_pid
    demo_rc=0
    [ -n "$pid" ] || return 0
    demo_pid=
    kill -INT -- "-$pid" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        say "the demo did not stop within 20 s of SIGINT: killing it"
        for p in $(descendants "$pid") "$pid"; do kill -KILL "$p" 2>/dev/null || true; done
    fi
    wait "$pid" 2>/dev/null || demo_rc=$?
}

cleanup() {
    local rc=$?
    set +e
    [ -z "$demo_pid" ] || stop_demo
    harness_finish "${DEMO_TEST_KEEP:-0}"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export DEMO_SCREENSHOTS=${DEMO_SCREENSHOTS:-$TMP/screenshots}
mkdir -p "$DEMO_SCREENSHOTS"
export DEMO_ROOT=$ROOT DEMO_PYTHON=$PY DEMO_CHROMIUM=$CHROMIUM
# Chromium's throwaway profiles and mcp-remote's state go here.
export TMPDIR=$TMP

# run_mode MODE FILE: the demo in MODE, the node tests of FILE against it,
# then the stop check.
run_mode() {
    local mode=$1 file=$2 port state log tap status rc listening left
    port=$(harness_free_ports 1)
    state=$TMP/state-$mode
    log=$TMP/demo-$mode.log
    tap=$TMP/tap-$mode.log
    mkdir -p "$state/conf.d"
    if [ "$mode" = oidc ]; then
        # The unhappy path of roles taken from claim headers: the same
        # sign-in, the roles from mod_auth_openidc's OIDC_CLAIM_groups
        # request header instead of the environment.
        cat >"$state/conf.d/claims-in-headers.conf" <<'EOF'
# Written by t/demo/run.sh.
<Location /claims-in-headers>
    AuthType openid-connect
    Require valid-user
    SetHandler mcp-credentials
    MCPCredentials On
    OIDCPassClaimsAs headers
    MCPCredentialsRolesFrom header OIDC_CLAIM_groups ,
    MCPCredentialsRoleMap users ROLE_USER
    MCPCredentialsRoleMap admins ROLE_ADMIN
</Location>
EOF
    fi

    # Job control: the demo gets a process group of its own, and SIGINT
    # is not ignored in it (as it is for a plain background job).
    set -m
    PORT=$port DEMO_STATE=$state DEMO_AUTH=$mode "$ROOT/scripts/demo.sh" >"$log" 2>&1 &
    demo_pid=$!
    set +m
    for _ in $(seq 600); do
        grep -q 'Stop with Ctrl-C' "$log" 2>/dev/null && break
        kill -0 "$demo_pid" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q 'Stop with Ctrl-C' "$log"; then
        sed 's/^/#   /' "$log" >&2
        failed=$((failed + 1))
        say "$mode: the demo did not start within 60 s"
        stop_demo
        return
    fi

    set +e
    DEMO_MODE=$mode DEMO_ORIGIN="http://127.0.0.1:$port" DEMO_STATE=$state \
        timeout --kill-after=5 "$TEST_TIMEOUT" \
        "$NODE" --test --test-concurrency=1 --test-reporter=tap "$file" 2>&1 | tee "$tap"
    status=${PIPESTATUS[0]}
    set -e
    count() { harness_tap_count "$tap" "$1"; }
    local p f c s t
    p=$(count pass) f=$(count fail) c=$(count cancelled) s=$(count skipped) t=$(count todo)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0} + ${c:-0} + ${s:-0} + ${t:-0}))
    if [ "$status" != 0 ] && [ "${f:-0}${c:-0}" = 00 ]; then
        say "$mode: node --test exited $status"
        failed=$((failed + 1))
    fi
    if [ "$status" != 0 ]; then
        say "$mode: the demo's output:"
        tail -n 40 "$log" | sed 's/^/#   /' >&2
        for l in "$state"/*.log; do [ -f "$l" ] && { say "$l:"; tail -n 15 "$l" | sed 's/^/#   /' >&2; }; done
    fi

    # Ctrl-C: every process the demo started ends, every port is freed.
    local procs
    procs=$(descendants "$demo_pid" | tr '\n' ' ')
    [ -z "${DEMO_TEST_DEBUG:-}" ] || ps -o pid,ppid,pgid,stat,lstart,cmd -p "$(echo $procs | tr " " ,)" >&2
    local -A start_of=()
    for p in $procs; do start_of[$p]=$(started "$p"); done
    listening=$(ss -Hltnp 2>/dev/null | grep -E "pid=($(echo "$demo_pid $procs" | tr ' ' '\n' | grep . | paste -sd'|'))," |
        awk '{ print $4 }' | sort -u | tr '\n' ' ')
    stop_demo
    rc=$demo_rc
    left=""
    for p in $procs; do
        # The same process, not a new one that got its id: same start time.
        [ -n "${start_of[$p]}" ] && [ "$(started "$p")" = "${start_of[$p]}" ] && left="$left $p($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null))"
    done
    local still=""
    for a in $listening; do
        ss -Hltn "sport = :${a##*:}" | grep -q . && still="$still $a"
    done
    if [ "$rc" = 130 ] && [ -z "$left" ] && [ -z "$still" ] && [ -n "$procs" ] &&
        grep -q 'demo: stopped' "$log"; then
        passed=$((passed + 1))
        echo "ok - $mode: Ctrl-C stopped the demo (exit 130), its $(echo $procs | wc -w) processes and ports ${listening% }"
    else
        failed=$((failed + 1))
        echo "not ok - $mode: after Ctrl-C: exit $rc, processes left:${left:- none}, still listening:${still:- none}"
    fi
}

# conf/example-oidc.conf, as an operator installs it: apache2 -t passes
# with its paths pointing at files that exist.
check_example() {
    local d=$TMP/example-oidc out
    mkdir -p "$d"
    fixture_key "$d/signing-key.pem" 2048 2>/dev/null
    echo secret >"$d/oidc-client-secret"
    echo passphrase >"$d/oidc-crypto-passphrase"
    sed "s|/etc/apache2/mcp|$d|g" conf/example-oidc.conf >"$d/example.conf"
    harness_base_conf "$d"
    cat >"$d/httpd.conf" <<EOF
ServerRoot "$d"
Include "$d/base.conf"
LoadModule auth_openidc_module $MODDIR/mod_auth_openidc.so
Listen 127.0.0.1:$(harness_free_ports 1)
Include "$d/example.conf"
EOF
    if out=$("$HTTPD" -f "$d/httpd.conf" -t 2>&1); then
        passed=$((passed + 1))
        echo "ok - conf/example-oidc.conf passes apache2 -t"
    else
        failed=$((failed + 1))
        echo "not ok - conf/example-oidc.conf fails apache2 -t: $out"
    fi
}
check_example

for mode in ${DEMO_TEST_MODES:-basic oidc}; do
    case $mode in
    basic) run_mode basic "$ROOT/t/demo/10-loop.test.mjs" ;;
    oidc) run_mode oidc "$ROOT/t/demo/20-oidc.test.mjs" ;;
    *) die "DEMO_TEST_MODES: unknown mode $mode" ;;
    esac
done

if [ $((passed + failed)) -lt "$MIN_TESTS" ]; then
    say "only $((passed + failed)) tests ran, $MIN_TESTS planned"
    failed=$((failed + 1))
fi
echo "demo-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
