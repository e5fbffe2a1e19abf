# The shell suites' harness (e2e, farm, load, browser, demo-test, bench): sourced
# after `SUITE=name`, the prefix of the suite's lines.  It sets the tools
# from the environment the Makefile exports (every one can be overridden):
#   HTTPD   $MCP_HTTPD, else $HTTPD, else /usr/sbin/apache2 (make sanitize
#           and make valgrind set MCP_HTTPD to a wrapper)
#   TOOL    $MCP_TOKEN, else build/mcp-token
#   MODULE  $MCP_MODULE, else .libs/mod_mcp_credentials.so
#   MODDIR  $MCP_MODDIR, else $MODDIR, else /usr/lib/apache2/modules
#   PY      $SYSPYTHON, else /usr/bin/python3;  NODE  $NODE, else node
# and gives: say, die (the suite's "N passed, M failed" line from $passed
# and $failed, plus one failure), quiet, the work directory
# (harness_workdir, harness_finish), free loopback ports, the base
# configuration every httpd Includes (t/harness/base.conf.in), and one
# httpd in the foreground with bounded waits (harness_start_httpd,
# harness_wait_http, harness_stop, harness_stop_httpd).
# shellcheck shell=bash

: "${SUITE:?set SUITE before sourcing t/harness/lib.sh}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HTTPD=${MCP_HTTPD:-${HTTPD:-/usr/sbin/apache2}}
TOOL=${MCP_TOKEN:-$ROOT/build/mcp-token}
MODULE=${MCP_MODULE:-$ROOT/.libs/mod_mcp_credentials.so}
MODDIR=${MCP_MODDIR:-${MODDIR:-/usr/lib/apache2/modules}}
PY=${SYSPYTHON:-/usr/bin/python3}
NODE=${NODE:-node}
# shellcheck source=t/harness/fixtures.sh
. "$ROOT/t/harness/fixtures.sh"

say() { printf '%s: %s\n' "$SUITE" "$*" >&2; }

# die MESSAGE: the message, then the suite's last line with one more
# failure (harness_no_tally=1: no such line), and exit 1.
# harness_done: 1 once the last line is printed (for the suites' traps).
harness_done=0
# shellcheck disable=SC2034
die() {
    say "$*"
    [ -n "${harness_no_tally:-}" ] ||
        echo "$SUITE: ${passed:-0} passed, $(( ${failed:-0} + 1 )) failed"
    harness_done=1
    exit 1
}

# need_file FILE HINT / need_cmd COMMAND HINT: die unless it is there.
need_file() { [ -e "$1" ] || die "$1 is missing: $2"; }
need_cmd() { command -v "$1" >/dev/null || die "$1 is missing: $2"; }

# The httpd workers run as nobody, in nogroup where there is one.
id nobody >/dev/null 2>&1 || die "no user nobody for the httpd workers"
worker_group=nogroup
getent group nogroup >/dev/null || worker_group=$(id -gn nobody)

# harness_workdir [PARENT]: a fresh directory the workers can enter (0755),
# in $work; harness_finish removes it unless KEEP is 1 (then prints it).
# shellcheck disable=SC2120
harness_workdir() {
    work=$(mktemp -d "${1:-/tmp}/mcp-$SUITE.XXXXXX")
    chmod 755 "$work"
}
# shellcheck disable=SC2120
harness_finish() { # harness_finish KEEP
    [ -n "${work:-}" ] && [ -d "$work" ] || return 0
    if [ "${1:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}

# quiet COMMAND...: its output goes to $work/setup.log, shown when it fails.
quiet() {
    "$@" >>"$work/setup.log" 2>&1 || {
        cat "$work/setup.log" >&2
        die "setup failed: $*"
    }
}

# harness_free_ports N: N distinct loopback ports nothing listens on now.
harness_free_ports() {
    "$PY" - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
}

# harness_base_conf DIR [MODULE]: DIR/base.conf from t/harness/base.conf.in,
# loading MODULE (default $MODULE) as mcp_credentials_module.
harness_base_conf() {
    sed -e "s|@MODDIR@|$MODDIR|g" -e "s|@MODULE@|${2:-$MODULE}|g" \
        -e "s|@GROUP@|$worker_group|g" "$ROOT/t/harness/base.conf.in" >"$1/base.conf.new"
    mv -f "$1/base.conf.new" "$1/base.conf"
}

# harness_conf_head [MODULE]: the first lines of $work/httpd.conf (the base
# included under ServerRoot $work); the suite writes the rest.
# shellcheck disable=SC2120
harness_conf_head() {
    harness_base_conf "$work" "${1:-}"
    cat <<HEAD
# Written by the $SUITE suite.
ServerRoot "$work"
Include "$work/base.conf"
HEAD
}

# harness_basic_auth [REALM]: the lines of a Basic auth section against
# $work/htpasswd, for the suite's <Location> blocks.
# shellcheck disable=SC2120
harness_basic_auth() {
    cat <<AUTH
    AuthType Basic
    AuthName "${1:-MCP credentials}"
    AuthBasicProvider file
    AuthUserFile "$work/htpasswd"
    Require valid-user
AUTH
}

# harness_credentials_location [LINE...]: the suites' credentials page at
# /mcp-credentials (Basic sign-in, a 401 instead of a login page, tokens of
# at most 30 days, roles from $work/groups), with the lines given added.
harness_credentials_location() {
    echo '<Location /mcp-credentials>'
    harness_basic_auth
    printf '    %s\n' 'SetHandler mcp-credentials' 'MCPCredentials On' \
        'MCPCredentialsLoginURL none' 'MCPCredentialsMaxLifetime P30D' \
        "MCPCredentialsRolesFrom groupfile \"$work/groups\"" "$@"
    echo '</Location>'
}

# harness_docroot: $work/htdocs as the DocumentRoot, the only directory
# served.
harness_docroot() {
    cat <<DOC
DocumentRoot "$work/htdocs"
<Directory />
    Require all denied
</Directory>
<Directory "$work/htdocs">
    Require all granted
</Directory>
DOC
}

# harness_bearer_auth: the lines of a section guarded by bearer tokens.
harness_bearer_auth() {
    printf '    %s\n' 'AuthType mcp-bearer' 'AuthName "mcp"' 'Require valid-user'
}

# harness_configtest CONF: apache2 -t passes, or die with its output.
harness_configtest() {
    "$HTTPD" -f "$1" -t >"$work/configtest.log" 2>&1 || {
        cat "$work/configtest.log" >&2
        die "the generated configuration does not pass apache2 -t"
    }
}

# harness_start_httpd CONF: httpd in the foreground, in the background of
# this shell; its pid in $httpd_pid, its output in $work/httpd.out.
httpd_pid=
harness_start_httpd() {
    "$HTTPD" -f "$1" -DFOREGROUND >>"$work/httpd.out" 2>&1 &
    httpd_pid=$!
}

# harness_wait_http WHAT URL STATUS PID [SECONDS]: until URL answers STATUS
# ("any": any HTTP answer), at most SECONDS (10); dies (with the logs) when
# PID ends first or time runs out.
harness_wait_http() {
    local what=$1 url=$2 want=$3 pid=$4 tenths=$(( ${5:-10} * 10 )) got=
    for _ in $(seq "$tenths"); do
        kill -0 "$pid" 2>/dev/null || {
            [ -z "${work:-}" ] || cat "$work"/*.out "$work/error_log" 2>/dev/null >&2
            die "$what exited before it answered"
        }
        got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
        if [ "$want" = any ]; then [ "${got:-000}" != 000 ] && return 0
        elif [ "$got" = "$want" ]; then return 0; fi
        sleep 0.1
    done
    die "$what did not answer $want at $url within $(( tenths / 10 )) s (last: $got)"
}

# harness_stop PID WHAT [SECONDS]: TERM, then KILL after SECONDS (5);
# waits for it when it is a child of this shell.  Returns 1 when it had
# to be killed.
harness_stop() {
    local pid=$1 tenths=$(( ${3:-5} * 10 )) rc=0
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq "$tenths"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        say "$2 did not stop within $(( tenths / 10 )) s: killing it"
        kill -KILL "$pid" 2>/dev/null
        rc=1
    fi
    wait "$pid" 2>/dev/null || true
    return $rc
}

# harness_stop_httpd [SECONDS]: stops $httpd_pid and, should the parent
# have to be killed, its children by their ids.
# shellcheck disable=SC2120
harness_stop_httpd() {
    local kids p
    [ -n "$httpd_pid" ] && kill -0 "$httpd_pid" 2>/dev/null || return 0
    kids=$(ps -o pid= --ppid "$httpd_pid" 2>/dev/null)
    harness_stop "$httpd_pid" httpd "${1:-5}" ||
        for p in $kids; do kill -KILL "$p" 2>/dev/null; done
    httpd_pid=
}

# harness_tap_count FILE WHAT: the last "# WHAT N" of a node --test TAP log.
harness_tap_count() { sed -n "s/^# $2 \\([0-9][0-9]*\\)\$/\\1/p" "$1" | tail -1; }
