#!/bin/bash
# `make demo`: httpd in the foreground on 127.0.0.1:$PORT with the module,
# demo users and a key made on the first run.  Everything it writes stays
# in state/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=$ROOT/state
PORT=${PORT:-9090}
AUTH=${DEMO_AUTH:-basic}

mkdir -p "$STATE/htdocs"
if [ ! -f "$STATE/signing-key.pem" ]; then
    echo "demo: making a 3072-bit signing key (state/signing-key.pem)"
    ./build/mcp-token keygen --bits 3072 "$STATE/signing-key.pem" >"$STATE/atoti-public.properties"
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

[ -f "$STATE/session-secret" ] ||
    (umask 077 && openssl rand -hex 32 >"$STATE/session-secret")
secret=$(cat "$STATE/session-secret")

extra=""
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
    AuthFormLoginRequiredLocation \"/login/index.html?redirectUrl=/mcp-credentials\""
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
*)
    echo "demo: DEMO_AUTH must be basic or form" >&2
    exit 2
    ;;
esac

awk -v state="$STATE" -v port="$PORT" -v root="$ROOT" -v auth="$auth" \
    -v extra="$extra" '
    { gsub(/@STATE@/, state); gsub(/@PORT@/, port); gsub(/@ROOT@/, root) }
    /^@AUTH@$/ { print auth; next }
    /^@EXTRA@$/ { print extra; next }
    { print }' conf/demo.conf.in >"$STATE/httpd.conf"

/usr/sbin/apache2 -f "$STATE/httpd.conf" -t >/dev/null 2>&1 ||
    /usr/sbin/apache2 -f "$STATE/httpd.conf" -t

base="http://127.0.0.1:$PORT/mcp-credentials"
if [ "$AUTH" = basic ]; then
    mint="curl -u alice:alice -H 'Content-Type: application/json' \\
         -d '{\"expiresIn\":\"P30D\"}' $base/token"
else
    mint="(form login: sign in at the page; curl needs the session cookie)"
fi
cat <<MSG

  mod_mcp_credentials demo
  ------------------------
  Page:        $base
  Users:       alice / alice  (ROLE_USER, ROLE_ADMIN)
               bob   / bob    (ROLE_USER)
  Public keys: $base/jwks.json
  Mint with curl:
    $mint
  Atoti's public key property for this key: state/atoti-public.properties

  Sign-in:     $AUTH (DEMO_AUTH=form make demo for httpd's form login)
  Stop with Ctrl-C.

MSG
exec /usr/sbin/apache2 -f "$STATE/httpd.conf" -DFOREGROUND
