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
ROOT=$PWD

HTTPD=${HTTPD:-/usr/sbin/apache2}
MODDIR=${MODDIR:-/usr/lib/apache2/modules}
MODULE=$ROOT/.libs/mod_mcp_credentials.so
TOOL=$ROOT/build/mcp-token
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
# The suite holds this many tests; fewer means something was skipped.
MIN_TESTS=${MIN_TESTS:-35}

say() { printf 'browser: %s\n' "$*" >&2; }
die() {
    say "$*"
    echo "browser: 0 passed, 1 failed"
    exit 1
}

for f in "$MODULE" "$TOOL"; do
    [ -x "$f" ] || [ -f "$f" ] || die "missing $f: run 'make all' first"
done
[ -x "$HTTPD" ] || die "missing $HTTPD (apt-get install apache2)"
[ -x "$CHROMIUM" ] || die "missing $CHROMIUM (apt-get install chromium)"
[ -d node_modules/playwright-core ] || die "missing node_modules/playwright-core (npm ci)"
command -v node >/dev/null || die "missing node"
command -v htpasswd >/dev/null || die "missing htpasswd (apache2-utils)"

TMP=$(mktemp -d /tmp/mcp-browser.XXXXXX)
HTTPD_STARTED=0
# The processes of our httpd: its parent and every process of its process
# group (httpd -k start makes the parent a session leader), listed by id.
httpd_group() {
    ps -eo pid=,pgid= | awk -v g="$1" '$2 == g { print $1 }'
}
stop_httpd() {
    local pid p
    pid=$(cat "$TMP/httpd.pid" 2>/dev/null) || return 0
    [ -n "$pid" ] || return 0
    "$HTTPD" -f "$TMP/httpd.conf" -k stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        [ -n "$(httpd_group "$pid")" ] || return 0
        sleep 0.1
    done
    # Still there after 10 s: end what is left of it, one id at a time.
    say "httpd did not stop in 10 s: killing its processes"
    for p in $(httpd_group "$pid"); do kill -KILL "$p" 2>/dev/null || true; done
}
cleanup() {
    local rc=$?
    if [ "$HTTPD_STARTED" = 1 ]; then stop_httpd; fi
    if [ -n "${MCP_BROWSER_KEEP:-}" ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The workers (nobody) read the user and group files.
chmod 755 "$TMP"
mkdir -p "$TMP/htdocs" "$TMP/chrome"
"$TOOL" keygen --bits 2048 "$TMP/signing-key.pem" >/dev/null 2>"$TMP/keygen.log" ||
    { cat "$TMP/keygen.log" >&2; die "mcp-token keygen failed"; }
XSS_USER='<img src=x onerror=alert(1)>'
htpasswd -cbB -C 4 "$TMP/htpasswd" alice alice-pw 2>/dev/null
htpasswd -bB -C 4 "$TMP/htpasswd" bob bob-pw 2>/dev/null
htpasswd -bB -C 4 "$TMP/htpasswd" "$XSS_USER" xss-pw 2>/dev/null
cat >"$TMP/groups" <<'GROUPS'
ROLE_USER: alice bob
ROLE_ADMIN: alice
GROUPS
chmod 644 "$TMP/htpasswd" "$TMP/groups"
secret=$(openssl rand -hex 32)

# A free loopback port: bind port 0 and read what the kernel gave.
PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')

basic_auth() {
    cat <<EOF
    AuthType Basic
    AuthName "MCP credentials (browser tests)"
    AuthBasicProvider file
    AuthUserFile "$TMP/htpasswd"
    Require valid-user
EOF
}
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

cat >"$TMP/httpd.conf" <<EOF
ServerRoot "$TMP"
ServerName 127.0.0.1:$PORT
Listen 127.0.0.1:$PORT
PidFile "$TMP/httpd.pid"
ErrorLog "$TMP/error.log"
LogLevel warn
LogFormat "%h %u %t \"%r\" %>s %b" plain
CustomLog "$TMP/access.log" plain
DocumentRoot "$TMP/htdocs"
User nobody
Group nogroup
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 8
MaxSpareThreads 32

LoadModule mpm_event_module $MODDIR/mod_mpm_event.so
LoadModule authn_core_module $MODDIR/mod_authn_core.so
LoadModule authn_file_module $MODDIR/mod_authn_file.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule authz_user_module $MODDIR/mod_authz_user.so
LoadModule auth_basic_module $MODDIR/mod_auth_basic.so
LoadModule auth_form_module $MODDIR/mod_auth_form.so
LoadModule session_module $MODDIR/mod_session.so
LoadModule session_cookie_module $MODDIR/mod_session_cookie.so
LoadModule session_crypto_module $MODDIR/mod_session_crypto.so
LoadModule request_module $MODDIR/mod_request.so
LoadModule headers_module $MODDIR/mod_headers.so
LoadModule mime_module $MODDIR/mod_mime.so
TypesConfig /etc/mime.types
LoadModule mcp_credentials_module $MODULE

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

if ! "$HTTPD" -f "$TMP/httpd.conf" -t >"$TMP/configtest.log" 2>&1; then
    cat "$TMP/configtest.log" >&2
    die "the httpd configuration does not pass apache2 -t"
fi
"$HTTPD" -f "$TMP/httpd.conf" -k start
HTTPD_STARTED=1
ready=0
for _ in $(seq 1 100); do
    if node -e '
        const s = require("net").connect(+process.argv[1], "127.0.0.1");
        s.on("connect", () => { s.end(); process.exit(0); });
        s.on("error", () => process.exit(1));' "$PORT" 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ "$ready" != 1 ]; then
    cat "$TMP/error.log" >&2 || true
    die "httpd did not start on 127.0.0.1:$PORT"
fi

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
timeout --kill-after=10 300 node --test --test-concurrency=2 --test-timeout=120000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$TMP/tap.txt" \
    "${files[@]}"
node_rc=$?
set -e
elapsed=$(($(date +%s) - start))

passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$TMP/tap.txt" | tail -1)
failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$TMP/tap.txt" | tail -1)
cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$TMP/tap.txt" | tail -1)
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
if [ "$failed" -ne 0 ] && [ -s "$TMP/error.log" ]; then
    say "httpd error log:"
    sed 's/^/  /' "$TMP/error.log" >&2
fi
say "took ${elapsed}s"
echo "browser: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
