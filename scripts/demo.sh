#!/bin/bash
# `make demo`: the whole loop on loopback, in the foreground.
#   - httpd on 127.0.0.1:$PORT with the module: the credentials page, demo
#     users, a key made on the first run;
#   - the demo's MCP server (scripts/demo-mcp-server.mjs) behind
#     `AuthType mcp-bearer` at /mcp (Streamable HTTP) and /sse + /messages;
#   - with DEMO_AUTH=oidc, an OpenID Provider (scripts/demo-oidc-provider.mjs)
#     on localhost, and httpd signing users in through mod_auth_openidc.
# Ctrl-C (or SIGTERM) stops all of them; the script waits until they are gone.
# Everything it writes stays in state/ (git-ignored; DEMO_STATE moves it).
# The MCP server and the provider take free ports.
set -euo pipefail
cd "$(dirname "$0")/.."
# The tests' harness: the tools, the modules every test httpd loads
# (t/harness/base.conf.in), free ports.
SUITE=demo harness_no_tally=1
# shellcheck source=t/harness/lib.sh
. t/harness/lib.sh
STATE=${DEMO_STATE:-$ROOT/state}
PORT=${PORT:-9090}
AUTH=${DEMO_AUTH:-basic}
case "$AUTH" in
basic | form | oidc) ;;
*) echo "demo: DEMO_AUTH must be basic, form or oidc" >&2; exit 2 ;;
esac
[ -d node_modules/@modelcontextprotocol/sdk ] || die "node_modules is missing: run make deps"
[ "$AUTH" != oidc ] || [ -d node_modules/oidc-provider ] ||
    die "node_modules/oidc-provider is missing: run make deps"
[ "$AUTH" != oidc ] || [ -f /usr/lib/apache2/modules/mod_auth_openidc.so ] ||
    die "mod_auth_openidc is missing: run make deps (libapache2-mod-auth-openidc)"

# --- the processes: each in a process group of its own (set -m), so that
# stopping one stops its children too (httpd's workers).
set -m
pids=()
names=()
stop_all() {
    local i pid
    trap - EXIT INT TERM
    set +e
    # The last started first: httpd, then the MCP server and the provider.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        pid=${pids[i]}
        kill -TERM -- "-$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 -- "-$pid" 2>/dev/null; then
            echo "demo: ${names[i]} did not stop within 5 s: killing it" >&2
            kill -KILL -- "-$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
    done
    [ ${#pids[@]} = 0 ] || echo "demo: stopped" >&2
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME LOG COMMAND...: in the background, output to LOG.
start() {
    local name=$1 log=$2
    shift 2
    "$@" >>"$log" 2>&1 &
    pids+=("$!")
    names+=("$name")
}

# wait_for NAME URL: until URL answers at all (any HTTP status), for 15 s.
wait_for() {
    local name=$1 url=$2 pid=${pids[-1]}
    for _ in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || die "$name exited before it answered (see its log above)"
        curl -s -o /dev/null --max-time 1 "$url" && return 0
        sleep 0.1
    done
    die "$name did not answer at $url within 15 s"
}

# --- state: key, users, secrets.
shown=${STATE#"$ROOT"/}
mkdir -p "$STATE/htdocs" "$STATE/run" "$STATE/conf.d"
if [ ! -f "$STATE/signing-key.pem" ]; then
    echo "demo: making a 3072-bit signing key ($shown/signing-key.pem)"
    "$TOOL" keygen --bits 3072 "$STATE/signing-key.pem" >"$STATE/atoti-public.properties"
fi
if [ ! -f "$STATE/htpasswd" ]; then
    htpasswd -cbB -C 5 "$STATE/htpasswd" alice alice 2>/dev/null
    htpasswd -bB -C 5 "$STATE/htpasswd" bob bob 2>/dev/null
fi
cat >"$STATE/groups" <<'GROUPS'
ROLE_USER: alice bob
ROLE_ADMIN: alice
GROUPS
chmod 644 "$STATE/htpasswd" "$STATE/groups"
# The workers (www-data) read the user file: they need the path open.
d=$STATE
while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
# mod_auth_openidc's cache and mutex live in the runtime directory.
chown www-data "$STATE/run" 2>/dev/null || true

secret_of() { # secret_of NAME: a random secret kept in state/NAME
    [ -f "$STATE/$1" ] || (umask 077 && openssl rand -hex 32 >"$STATE/$1")
    cat "$STATE/$1"
}
secret=$(secret_of session-secret)
[ -f "$STATE/oauth.secret" ] ||
    (umask 077 && openssl rand -base64 48 >"$STATE/oauth.secret")

read -r mcp_port oidc_port < <(harness_free_ports 2)
base="http://127.0.0.1:$PORT/mcp-credentials"
mcp_url="http://127.0.0.1:$PORT/mcp"

modules=""
extra=""
roles="    MCPCredentialsRolesFrom groupfile \"$STATE/groups\""
users="alice / alice  (ROLE_USER, ROLE_ADMIN)
               bob   / bob    (ROLE_USER)"
case "$AUTH" in
basic)
    auth='    AuthType Basic
    AuthName "MCP credentials (demo: alice/alice, bob/bob)"
    AuthBasicProvider file
    AuthUserFile "'"$STATE"'/htpasswd"'
    ;;
form)
    # httpd's form login: the session cookie is encrypted, the module
    # serves the login page, mod_auth_form checks the password.
    form='    AuthType form
    AuthName "MCP credentials"
    AuthFormProvider file
    AuthUserFile "'"$STATE"'/htpasswd"
    Session On
    SessionCookieName mcp_session path=/;HttpOnly;SameSite=Lax
    SessionCryptoPassphrase '"$secret"'
    SessionMaxAge 28800'
    auth="$form
    AuthFormLoginRequiredLocation \"/login/index.html?redirectUrl=%{escape:%{REQUEST_URI}}%{escape:?}%{escape:%{QUERY_STRING}}\""
    extra="<Location /login>
    Require all granted
    SetHandler mcp-credentials-login
</Location>
<Location /login/dologin>
$form
    SetHandler form-login-handler
    AuthFormLoginRequiredLocation \"/login/index.html?failed=1\"
</Location>"
    ;;
oidc)
    # mod_auth_openidc against the demo's provider; the roles come from
    # the provider's `groups` claim, which mod_auth_openidc joins with
    # OIDCClaimDelimiter into the variable OIDC_CLAIM_groups.
    issuer="http://localhost:$oidc_port"
    client_id=mcp-credentials-demo
    client_secret=$(secret_of oidc-client-secret)
    redirect="$base/oidc-callback"
    modules="LoadModule auth_openidc_module $MODDIR/mod_auth_openidc.so"
    auth='    AuthType openid-connect'
    roles='    MCPCredentialsRolesFrom env OIDC_CLAIM_groups ,
    MCPCredentialsRoleMap users ROLE_USER
    MCPCredentialsRoleMap admins ROLE_ADMIN'
    extra="OIDCProviderMetadataURL $issuer/.well-known/openid-configuration
OIDCClientID $client_id
OIDCClientSecret $client_secret
OIDCProviderTokenEndpointAuth client_secret_basic
OIDCRedirectURI $redirect
OIDCCryptoPassphrase $secret
OIDCScope \"openid profile email groups\"
OIDCPKCEMethod S256
OIDCRemoteUserClaim sub
OIDCClaimDelimiter ,
OIDCPassClaimsAs environment
OIDCCookieSameSite On
OIDCSessionInactivityTimeout 3600
OIDCSessionMaxDuration 28800"
    users="alice / alice  (groups users, admins: ROLE_USER, ROLE_ADMIN)
               bob   / bob    (group users: ROLE_USER)
               carol / carol  (no groups: no roles)
               signed in at the demo's OpenID Provider, $issuer"
    ;;
esac

awk -v state="$STATE" -v port="$PORT" -v root="$ROOT" -v mcp_port="$mcp_port" \
    -v auth="$auth" -v roles="$roles" -v modules="$modules" -v extra="$extra" '
    { gsub(/@STATE@/, state); gsub(/@PORT@/, port); gsub(/@ROOT@/, root)
      gsub(/@MCP_PORT@/, mcp_port) }
    /^@AUTH@$/ { print auth; next }
    /^@ROLES@$/ { print roles; next }
    /^@MODULES@$/ { print modules; next }
    /^@EXTRA@$/ { print extra; next }
    { print }' conf/demo.conf.in >"$STATE/httpd.conf"
harness_base_conf "$STATE"
chmod 600 "$STATE/httpd.conf"

"$HTTPD" -f "$STATE/httpd.conf" -t >/dev/null 2>&1 ||
    { "$HTTPD" -f "$STATE/httpd.conf" -t; exit 1; }

# --- start: the MCP server, the provider, then httpd.
: >"$STATE/mcp-server.log"
start "the MCP server" "$STATE/mcp-server.log" \
    env MCP_SERVER_PORT="$mcp_port" "$NODE" scripts/demo-mcp-server.mjs
wait_for "the MCP server" "http://127.0.0.1:$mcp_port/"
if [ "$AUTH" = oidc ]; then
    : >"$STATE/oidc-provider.log"
    start "the OpenID Provider" "$STATE/oidc-provider.log" \
        env OIDC_PORT="$oidc_port" OIDC_CLIENT_ID="$client_id" \
        OIDC_CLIENT_SECRET="$client_secret" OIDC_REDIRECT_URI="$redirect" \
        OIDC_COOKIE_SECRET="$(secret_of oidc-cookie-secret)" \
        "$NODE" scripts/demo-oidc-provider.mjs
    wait_for "the OpenID Provider" "$issuer/.well-known/openid-configuration"
fi
"$HTTPD" -f "$STATE/httpd.conf" -DFOREGROUND &
pids+=("$!")
names+=(httpd)
wait_for httpd "http://127.0.0.1:$PORT/mcp-credentials/jwks.json"

if [ "$AUTH" = basic ]; then
    mint="curl -u alice:alice -H 'Content-Type: application/json' \\
         -d '{\"expiresIn\":\"P30D\"}' $base/token"
else
    mint="(sign in at the page; curl would need the session cookie)"
fi
cat <<MSG

  mod_mcp_credentials demo
  ------------------------
  Page:        $base
  Users:       $users
  Sign-in:     $AUTH (DEMO_AUTH=basic, form or oidc)
  Public keys: $base/jwks.json
  Mint with curl:
    $mint

  MCP server:  $mcp_url  (Streamable HTTP; SSE at http://127.0.0.1:$PORT/sse)
               behind AuthType mcp-bearer; tools: whoami, roll_dice
  Try it, with a token from the page (mcp-remote prints "Proxy established"
  once httpd accepts the token, then speaks MCP on stdin/stdout):
    read -rsp "token: " T && AUTH_HEADER="Bearer \$T" npx mcp-remote $mcp_url --transport http-only --header 'Authorization:\${AUTH_HEADER}'
  Or let the client sign you in (OAuth; approve in the browser it opens):
    npx mcp-remote $mcp_url
    claude mcp add --transport http demo $mcp_url

  Logs: httpd below; $shown/mcp-server.log$([ "$AUTH" = oidc ] && echo ", $shown/oidc-provider.log")
  Atoti's public key property for this key: $shown/atoti-public.properties
  Stop with Ctrl-C.

MSG

# Until Ctrl-C, or until one of them ends on its own.
set +e
wait -n "${pids[@]}"
rc=$?
echo "demo: a process ended on its own (status $rc): stopping the others" >&2
exit 1
