#!/bin/bash
# `make browser`: the credentials page in headless Chromium (Debian's
# /usr/bin/chromium driven by playwright-core) against a throwaway httpd
# with the module: Basic auth at /mcp-credentials and /short (P30D), httpd's
# form login at /form-credentials.  Prints "browser: N passed, M failed" last
# and exits non-zero when anything failed or fewer tests ran than expected.
#
#   t/browser/run.sh [FILE.test.mjs...]   all tests, or only these files
#   MCP_BROWSER_TEMPLATE_DIR=DIR          serve DIR's templates (MCPCredentialsTemplateDir)
#   MCP_BROWSER_SCREENSHOT=FILE           where the full-page screenshot goes (the temporary
#                                         directory; the README's come from make screenshots)
#   MCP_BROWSER_KEEP=1                    keep the temporary directory (logs, config)
set -euo pipefail
cd "$(dirname "$0")/../.."
SUITE=browser
# shellcheck source=t/harness/lib.sh
. t/harness/lib.sh
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
# The suite holds this many tests; fewer means something was skipped.
MIN_TESTS=${MIN_TESTS:-35}

for f in "$MODULE" "$TOOL"; do
    [ -x "$f" ] || [ -f "$f" ] || die "missing $f: run 'make all' first"
done
[ -x "$HTTPD" ] || die "missing $HTTPD (apt-get install apache2)"
[ -x "$CHROMIUM" ] || die "missing $CHROMIUM (apt-get install chromium)"
[ -d node_modules/playwright-core ] || die "missing node_modules/playwright-core (npm ci)"
need_cmd "$NODE" "make deps"
need_cmd htpasswd "apt-get install apache2-utils"

harness_workdir
TMP=$work
cleanup() {
    local rc=$?
    set +e
    harness_stop_httpd 10
    harness_finish "${MCP_BROWSER_KEEP:+1}"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The workers (nobody) read the user and group files.
mkdir -p "$TMP/htdocs" "$TMP/chrome"
quiet fixture_key "$TMP/signing-key.pem" 2048
XSS_USER='<img src=x onerror=alert(1)>'
fixture_user "$TMP/htpasswd" alice alice-pw
fixture_user "$TMP/htpasswd" bob bob-pw
fixture_user "$TMP/htpasswd" "$XSS_USER" xss-pw
fixture_groups "$TMP/groups" <<'GROUPS'
ROLE_USER: alice bob
ROLE_ADMIN: alice
GROUPS
secret=$(openssl rand -hex 32)

PORT=$(harness_free_ports 1)

basic_auth() { harness_basic_auth "MCP credentials (browser tests)"; }
form_auth() {
    cat <<EOF
    AuthType form
    AuthName "MCP credentials"
    AuthFormProvider file
    AuthUserFile "$TMP/htpasswd"
    Session On
    SessionCookieName mcp_session path=/;HttpOnly;SameSite=Lax
    SessionCryptoPassphrase $secret
    SessionMaxAge 28800
EOF
}

{ harness_conf_head; cat <<EOF; } >"$TMP/httpd.conf"
ServerName 127.0.0.1:$PORT
Listen 127.0.0.1:$PORT
LogFormat "%h %u %t \"%r\" %>s %b" plain
CustomLog "$TMP/access.log" plain
DocumentRoot "$TMP/htdocs"
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 8
MaxSpareThreads 32

MCPCredentialsSigningKey "$TMP/signing-key.pem"
$([ -n "${MCP_BROWSER_TEMPLATE_DIR:-}" ] && echo "MCPCredentialsTemplateDir \"$MCP_BROWSER_TEMPLATE_DIR\"")

<Location /mcp-credentials>
$(basic_auth)
    SetHandler mcp-credentials
    MCPCredentials On
    MCPCredentialsRolesFrom groupfile "$TMP/groups"
</Location>

<Location /short>
$(basic_auth)
    SetHandler mcp-credentials
    MCPCredentials On
    MCPCredentialsMaxLifetime P30D
    MCPCredentialsRolesFrom groupfile "$TMP/groups"
</Location>

<Location /form-credentials>
$(form_auth)
    AuthFormLoginRequiredLocation "/login/index.html?redirectUrl=/form-credentials"
    Require valid-user
    SetHandler mcp-credentials
    MCPCredentials On
    MCPCredentialsRolesFrom groupfile "$TMP/groups"
</Location>

<Location /login>
    Require all granted
    SetHandler mcp-credentials-login
</Location>
<Location /login/dologin>
$(form_auth)
    SetHandler form-login-handler
    AuthFormLoginRequiredLocation "/login/index.html?failed=1"
    Require all granted
</Location>
EOF

harness_configtest "$TMP/httpd.conf"
harness_start_httpd "$TMP/httpd.conf"
harness_wait_http httpd "http://127.0.0.1:$PORT/" any "$httpd_pid"

export MCP_BROWSER_ORIGIN="http://127.0.0.1:$PORT"
export MCP_BROWSER_BASE="$MCP_BROWSER_ORIGIN/mcp-credentials"
export MCP_BROWSER_SHORT="$MCP_BROWSER_ORIGIN/short"
export MCP_BROWSER_FORM="$MCP_BROWSER_ORIGIN/form-credentials"
export MCP_BROWSER_LOGIN="$MCP_BROWSER_ORIGIN/login/index.html"
export MCP_BROWSER_XSS_USER="$XSS_USER"
export MCP_BROWSER_TMP="$TMP/chrome"
export MCP_BROWSER_CHROMIUM="$CHROMIUM"
export MCP_BROWSER_SCREENSHOT="${MCP_BROWSER_SCREENSHOT:-$TMP/page.png}"
# node and httpd run in UTC; the browser contexts choose their own zones.
export TZ=UTC
# Playwright makes each browser's fresh profile in TMPDIR: keep them here.
export TMPDIR="$TMP/chrome"
# Arguments name test files to run (default: all of them).
if [ $# -gt 0 ]; then
    files=("$@")
    MIN_TESTS=1
else
    files=(t/browser/*.test.mjs)
fi

start=$(date +%s)
set +e
timeout --kill-after=10 300 "$NODE" --test --test-concurrency=2 --test-timeout=120000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$TMP/tap.txt" \
    "${files[@]}"
node_rc=$?
set -e
elapsed=$(($(date +%s) - start))

passed=$(harness_tap_count "$TMP/tap.txt" pass)
failed=$(harness_tap_count "$TMP/tap.txt" fail)
cancelled=$(harness_tap_count "$TMP/tap.txt" cancelled)
passed=${passed:-0}
failed=$((${failed:-0} + ${cancelled:-0}))
if [ "$node_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    say "node --test exited with $node_rc (timeout or crash)"
    failed=1
fi
if [ "$passed" -lt "$MIN_TESTS" ] && [ "$failed" -eq 0 ]; then
    say "only $passed tests ran, expected at least $MIN_TESTS"
    failed=1
fi
if [ "$failed" -ne 0 ] && [ -s "$TMP/error_log" ]; then
    say "httpd error log:"
    sed 's/^/  /' "$TMP/error_log" >&2
fi
say "took ${elapsed}s"
echo "browser: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
