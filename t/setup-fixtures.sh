#!/bin/bash
# Makes what the suite needs and git does not keep: RSA keys (the signing
# key, a previous key that only verifies, a stranger's key, and the bad
# keys the configuration tests feed to httpd), the users and their groups.
# Made once; `make clean` removes them.
set -euo pipefail
cd "$(dirname "$0")"

mkdir -p keys
umask 022
key() { [ -f "keys/$1" ] || openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "keys/$1" 2>/dev/null; }
key signing.pem 3072
key previous.pem 2048
key stranger.pem 2048
key small-1024.pem 1024
[ -f keys/previous.pub.pem ] || openssl pkey -in keys/previous.pem -pubout -out keys/previous.pub.pem
[ -f keys/signing.pub.pem ] || openssl pkey -in keys/signing.pem -pubout -out keys/signing.pub.pem
[ -f keys/ec.pem ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out keys/ec.pem 2>/dev/null
[ -f keys/encrypted.pem ] || openssl pkey -in keys/previous.pem -aes256 -passout pass:secret -out keys/encrypted.pem
# Atoti's property format: Base64 DER, PKCS#8 private and SPKI public.
[ -f keys/atoti.private.b64 ] || openssl pkcs8 -topk8 -nocrypt -in keys/previous.pem -outform DER | base64 -w0 > keys/atoti.private.b64
[ -f keys/atoti.public.b64 ] || openssl pkey -in keys/previous.pem -pubout -outform DER | base64 -w0 > keys/atoti.public.b64
# The key files stay root's: httpd reads them before it drops privileges.
chmod 600 keys/*.pem keys/*.b64

# Each user's password is the name with "-pw"; long-user-... has a name of
# 150 bytes, longer than a memcache or redis key may be (about 115).
long_user=long-user-$(printf 'x%.0s' $(seq 140))
touch conf/htpasswd
for u in alice bob carol dave erin '<img src=x onerror=alert(1)>' "$long_user"; do
    grep -qF "$u:" conf/htpasswd || htpasswd -bB -C 4 conf/htpasswd "$u" "$u-pw" 2>/dev/null
done
cat > conf/groups <<'GROUPS'
# group: members (AuthGroupFile format)
ROLE_USER: alice bob
ROLE_ADMIN: alice
cn=analysts,ou=groups,dc=example,dc=com: bob
GROUPS
chmod 644 conf/htpasswd conf/groups
