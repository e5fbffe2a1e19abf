#!/usr/bin/env bash
# End-to-end tests: a real MCP server (t/e2e/mcp-server.mjs, built with
# @modelcontextprotocol/sdk, on 127.0.0.1 only) behind httpd with
# mod_mcp_credentials and mod_proxy, driven by real MCP clients (the SDK's
# Streamable HTTP and SSE clients, mcp-remote over stdio; with tokens minted
# on the page, or signing in through httpd's OAuth authorization server with
# Chromium on the consent page) and by plain HTTP requests for the failure
# cases.  The tests themselves are t/e2e/*.test.mjs (node:test); this script
# sets the stage and tears it down.
#
# Run from anywhere after `make module tool` and `npm ci`:   ./t/e2e/run.sh
# (or ./t/e2e/run.sh t/e2e/20-refusals.test.mjs for one file).
# Ends with "e2e: N passed, M failed"; exits non-zero on any failure.
#
# Everything it writes goes to a temporary directory under /tmp (the httpd
# workers run as nobody and must read part of it), removed at the end;
# E2E_KEEP=1 keeps it (its path is printed) to look at the logs.
# HTTPD, MCP_TOKEN, SYSPYTHON, NODE and E2E_MODULE (the .so) override what
# is used.
set -euo pipefail

SUITE=e2e
# shellcheck source=t/harness/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../harness/lib.sh"
root=$ROOT
here=$root/t/e2e
MODULE=${E2E_MODULE:-$MODULE}
# The node test run (about 20 s, plus about a minute for the OAuth tests,
# which wait out the 30 s refresh grace window and a 10 s access token) gets
# this many seconds; setup and teardown are bounded too (10 s waits, 5 s
# stops), so nothing hangs for long.
TEST_TIMEOUT=${E2E_TIMEOUT:-240}
CHROMIUM=${E2E_CHROMIUM:-/usr/bin/chromium}

[ -x "$TOOL" ] || die "$TOOL is missing: run make tool first"
[ -f "$MODULE" ] || die "$MODULE is missing: run make module first"
[ -x "$HTTPD" ] || die "$HTTPD is missing: apt-get install apache2"
[ -x "$root/node_modules/.bin/mcp-remote" ] ||
    die "node_modules/.bin/mcp-remote is missing: run npm ci (make deps)"
[ -d "$root/node_modules/@modelcontextprotocol/sdk" ] ||
    die "@modelcontextprotocol/sdk is missing: run npm ci (make deps)"
[ -d "$root/node_modules/playwright-core" ] ||
    die "playwright-core is missing: run npm ci (make deps)"
[ -x "$CHROMIUM" ] || die "$CHROMIUM is missing: apt-get install chromium"
"$PY" -c 'import jwt' 2>/dev/null ||
    die "$PY cannot import jwt: apt-get install python3-jwt"
need_cmd htpasswd "apt-get install apache2-utils"

harness_workdir
backend_pid=
conf=$work/httpd.conf

cleanup() {
    local rc=$?
    set +e
    # The MCP server first: the SSE streams httpd proxies end with it, so
    # no httpd child waits on them.
    harness_stop "$backend_pid" "the MCP server"
    harness_stop_httpd
    harness_finish "${E2E_KEEP:-0}"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The workers (nobody) read htpasswd, the revocation file and the document
# root; the keys stay root-only (0600): httpd reads them as root at startup.
mkdir -p "$work/htdocs" "$work/keys" "$work/mcp-remote" "$work/mcp-remote-oauth" "$work/tmp"
chmod 755 "$work/htdocs" "$work/keys"
echo e2e >"$work/htdocs/index.html"

# --- the authorization server's MAC key (client ids, codes, refresh
# tokens): root-only, read at startup like the signing keys.
(umask 077 && head -c 48 /dev/urandom | base64 >"$work/keys/oauth.secret")
chmod 600 "$work/keys/oauth.secret"

# --- keys: current signs, previous verifies from the start, next takes over
# in the rotation test, stranger is in no configuration.
for k in current previous next stranger; do
    quiet fixture_key "$work/keys/$k.pem" 2048
    quiet fixture_pub "$work/keys/$k.pem"
done

# --- users: alice (user and admin), bob (user), carol (a role, not ROLE_USER).
for u in alice bob carol; do quiet fixture_user "$work/htpasswd" "$u" "$u-pw"; done
fixture_groups "$work/groups" <<'EOF'
ROLE_USER: alice bob
ROLE_ADMIN: alice
ROLE_GUEST: carol
EOF

# --- the revocation file, as the tool creates it (0644, replaced by rename).
quiet "$TOOL" revoke --file "$work/revoked" 00000000-0000-4000-8000-000000000000

# --- free loopback ports for httpd and the MCP server.
read -r port backend_port < <(harness_free_ports 2)

# --- the key ring lives in its own file, which the rotation test rewrites
# before `apache2 -k graceful`.
cat >"$work/keys.conf" <<EOF
MCPCredentialsSigningKey $work/keys/current.pem
MCPCredentialsVerifyKey $work/keys/previous.pub.pem
EOF

{ harness_conf_head "$MODULE"; cat <<EOF; } >"$conf"
Listen 127.0.0.1:$port

$(harness_docroot)

# Exactly two children, never more and never replaced by the MPM on its own
# (MaxRequestWorkers / ThreadsPerChild = 2, spare-thread limits that never
# trigger): a child is only born at startup, at a graceful restart, or when
# a test kills one on purpose.  ServerLimit leaves room for the children of
# an old generation that still proxy SSE streams after a graceful restart.
ServerLimit 8
StartServers 2
ThreadsPerChild 25
MaxRequestWorkers 50
MinSpareThreads 1
MaxSpareThreads 50
MaxConnectionsPerChild 0
GracefulShutdownTimeout 5

LogLevel warn mcp_credentials:info
LogFormat "%h %u \"%r\" %>s jti=%{MCP_TOKEN_JTI}n" e2e
CustomLog "$work/access_log" e2e

Include "$work/keys.conf"
MCPBearerResourceMetadata On
MCPBearerRevokedTokens "$work/revoked"

# The OAuth 2.1 authorization server: the issuer is the public origin, the
# endpoints live under the credentials location below.  Access tokens last
# 10 s, so that the clients' refresh can be seen.
MCPCredentialsPublicURL http://127.0.0.1:$port
MCPOAuth On
MCPOAuthSecretFile "$work/keys/oauth.secret"
MCPOAuthAccessLifetime PT10S
MCPOAuthRegistrationRate 1000/1h
MCPOAuthRedirectAllowed https://claude.ai/api/mcp/auth_callback https://vscode.dev/redirect

# Where people mint their tokens (Basic auth, roles from the group file),
# and the authorization server's base.  Every OAuth approval counts as a
# mint: the OAuth tests approve about 60 times as alice, beyond the default
# 30 an hour.
$(harness_credentials_location 'MCPCredentialsMintRate 1000/1h')
<Location /mcp-credentials/jwks.json>
    Require all granted
</Location>

# The credentials handler behind a bearer token: a stolen token must not
# mint its own successors, so this answers 403.
<Location /bearer-mint>
    AuthType mcp-bearer
    AuthName "mcp"
    Require valid-user
    SetHandler mcp-credentials
    MCPCredentials On
    MCPCredentialsLoginURL none
    MCPCredentialsRolesFrom groupfile "$work/groups"
</Location>

ProxyTimeout 60

# Everything the MCP server answers is guarded.
<LocationMatch "^/(mcp|sse|messages)(/|$)">
    AuthType mcp-bearer
    AuthName "mcp"
    AuthzSendForbiddenOnFailure On
    Require mcp-authority ROLE_USER
    MCPBearerPassUser X-MCP-User
    MCPBearerPassAuthorities X-MCP-Authorities
    MCPBearerForwardToken Off
    MCPBearerCORSOrigins https://inspector.example
</LocationMatch>
# The resources tokens are issued for: /sse and its /messages are one.
<Location /mcp>
    MCPBearerResource http://127.0.0.1:$port/mcp
</Location>
<LocationMatch "^/(sse|messages)(/|$)">
    MCPBearerResource http://127.0.0.1:$port/sse
</LocationMatch>
# A control for MCPBearerForwardToken Off: here the token goes on.
<Location /mcp/forward>
    MCPBearerForwardToken On
</Location>
# The same resource without clock-skew slack: an OAuth access token (10 s)
# is refused here as soon as it expires, so a client's refresh shows
# without waiting out the default 60 s leeway.
<Location /mcp/no-leeway>
    MCPBearerLeeway 0
</Location>

ProxyPass        /mcp      http://127.0.0.1:$backend_port/mcp
ProxyPassReverse /mcp      http://127.0.0.1:$backend_port/mcp
ProxyPass        /sse      http://127.0.0.1:$backend_port/sse flushpackets=on
ProxyPass        /messages http://127.0.0.1:$backend_port/messages
EOF

harness_configtest "$conf"

# --- start the MCP server, then httpd, and wait until both answer.
(cd "$root" && MCP_SERVER_PORT=$backend_port exec "$NODE" "$here/mcp-server.mjs") \
    >"$work/backend.out" 2>&1 &
backend_pid=$!
harness_start_httpd "$conf"
harness_wait_http "the MCP server" "http://127.0.0.1:$backend_port/nothing" 404 "$backend_pid"
harness_wait_http "httpd" "http://127.0.0.1:$port/index.html" 200 "$httpd_pid"

# --- the tests: one file at a time, in this order (30 revokes tokens, 40
# rotates the keys, 50 restarts httpd, 90 reads the logs all of them
# wrote).  Arguments name a subset of the files, to debug one of them.
tests=(
    "$here/10-clients.test.mjs"
    "$here/20-refusals.test.mjs"
    "$here/30-revocation.test.mjs"
    "$here/40-rotation.test.mjs"
    "$here/50-oauth.test.mjs"
    "$here/60-oauth-clients.test.mjs"
    "$here/90-logs.test.mjs"
)
if [ $# -gt 0 ]; then
    tests=()
    for f in "$@"; do tests+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"); done
fi

export E2E_BASE="http://127.0.0.1:$port"
export E2E_BACKEND="http://127.0.0.1:$backend_port"
export E2E_WORK=$work
export E2E_HTTPD=$HTTPD
export E2E_HTTPD_CONF=$conf
export E2E_KEYS_CONF=$work/keys.conf
export E2E_KEYS=$work/keys
export E2E_REVOKED=$work/revoked
export E2E_ERROR_LOG=$work/error_log
export E2E_ACCESS_LOG=$work/access_log
export E2E_TOOL=$TOOL
export E2E_PYTHON=$PY
export E2E_MCP_REMOTE=$root/node_modules/.bin/mcp-remote
export E2E_MCP_REMOTE_DIR=$work/mcp-remote
export E2E_MCP_REMOTE_OAUTH_DIR=$work/mcp-remote-oauth
export E2E_OAUTH_BASE=/mcp-credentials
export E2E_ISSUER="http://127.0.0.1:$port"
export E2E_CHROMIUM=$CHROMIUM
# Chromium's throwaway profiles (playwright makes one per launch) go here.
export TMPDIR=$work/tmp

log=$work/tap.log
set +e
(cd "$root" && timeout --kill-after=5 "$TEST_TIMEOUT" \
    "$NODE" --test --test-concurrency=1 --test-reporter=tap "${tests[@]}") 2>&1 |
    tee "$log"
status=${PIPESTATUS[0]}
set -e

count() { harness_tap_count "$log" "$1"; }
total=$(count tests)
passed=$(count pass)
failed=$(count fail)
cancelled=$(count cancelled)
skipped=$(count skipped)
todo=$(count todo)
passed=${passed:-0}
bad=$(( ${failed:-0} + ${cancelled:-0} + ${skipped:-0} + ${todo:-0} ))

if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    echo "e2e: the tests did not finish within ${TEST_TIMEOUT} s" >&2
    bad=$((bad + 1))
elif [ "$status" != 0 ] && [ "$bad" = 0 ]; then
    echo "e2e: node --test exited $status" >&2
    bad=1
fi
if [ -z "$total" ] || [ "$passed" = 0 ]; then
    echo "e2e: no test ran" >&2
    bad=$((bad + 1))
fi
if [ "$bad" != 0 ]; then
    echo "e2e: last lines of the httpd error log:" >&2
    tail -n 30 "$work/error_log" 2>/dev/null | sed 's/^/#   /' >&2
    echo "e2e: MCP server log:" >&2
    tail -n 20 "$work/backend.out" 2>/dev/null | sed 's/^/#   /' >&2
fi
echo "e2e: $passed passed, $bad failed"
[ "$bad" = 0 ]
