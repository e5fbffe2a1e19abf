#!/bin/bash
# The package on a clean machine, as an operator would use it, without the
# build tree: a minimal Debian 12 made with debootstrap (a policy-rc.d inside,
# so installing starts no service), apache2 and the built .deb installed with
# apt, a key made with the installed mcp-token, the shipped proxy example
# enabled, apache2 started on a free loopback port, a token minted through
# the credentials endpoint and checked by the installed `mcp-token verify`;
# then two upgrades (the module enabled, then disabled by the admin), remove
# and purge, apache2 starting after each.
#
# usage: t/deb/run.sh DEBDIR       (make deb-test; root)
# The finished base system is cached as build/deb-test/cache/base.tar and
# the packages apt fetched in build/deb-test/cache/archives: a second run
# downloads almost nothing.  DEB_TEST_MIRROR and DEB_TEST_SECURITY_MIRROR
# override the mirrors read from the host's apt sources.
set -u
LC_ALL=C
export LC_ALL

debdir=${1:?usage: t/deb/run.sh DEBDIR}
work=$PWD/build/deb-test
root=$work/root
cache=$work/cache
log=$work/log
tmp=
started=$(date +%s)
PLANNED=27
passed=0
failed=0

say() { echo "deb-test: $*"; }

# ---------------------------------------------------------------- cleanup

chroot_pids() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && echo "${p#/proc/}"
    done
}

unmount_all() {
    local m
    # Deepest first.
    for m in $(awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' \
                   /proc/self/mountinfo | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
}

stop_everything() {
    local pids i
    if [ -x "$root/usr/sbin/apache2ctl" ]; then
        in_root apache2ctl stop >>"$log" 2>&1
    fi
    for i in $(seq 50); do
        pids=$(chroot_pids)
        [ -z "$pids" ] && break
        [ "$i" = 30 ] && kill -9 $pids 2>/dev/null
        sleep 0.2
    done
    unmount_all
}

finish() {
    local rc=$?
    trap - EXIT INT TERM
    stop_everything
    [ -n "$tmp" ] && rm -rf "$tmp"
    local ran=$((passed + failed))
    if [ "$ran" -lt "$PLANNED" ]; then
        say "only $ran of $PLANNED checks ran (see $log)"
        failed=$((failed + PLANNED - ran))
    fi
    if [ "$failed" = 0 ]; then
        rm -rf --one-file-system "$root"
    else
        say "the system is left in $root, the log in $log"
    fi
    say "took $(( ($(date +%s) - started + 30) / 60 )) min ($(( $(date +%s) - started )) s)"
    echo "deb-test: $passed passed, $failed failed"
    [ "$failed" = 0 ] && [ "$rc" = 0 ] && exit 0
    exit 1
}

abort() {
    say "$*"
    exit 1
}

# ---------------------------------------------------------------- helpers

in_root() {
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@" </dev/null
}

# in_root with the caller's standard input.
in_root_stdin() {
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LC_ALL=C "$@"
}

check() {
    local what=$1
    shift
    echo "--- check: $what" >>"$log"
    if "$@" >>"$log" 2>&1; then
        passed=$((passed + 1))
        echo "ok $((passed + failed)) - $what"
    else
        failed=$((failed + 1))
        echo "not ok $((passed + failed)) - $what"
    fi
}

apt_in_root() {
    in_root apt-get -y -q -o APT::Install-Recommends=false "$@"
}

free_port() {
    perl -MIO::Socket::INET -e \
        'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0")->sockport'
}

# The first Debian mirror (suffix /debian, resp. /debian-security) in the
# host's apt sources, one-line or deb822.
host_mirror() {
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        /etc/apt/sources.list.d/*.sources 2>/dev/null |
        perl -ne 'next if /^\s*#/;
                  for (/(?:^deb\s+(?:\[[^]]*\]\s+)?|^URIs:)\s*(.*)/ ? split(" ", $1) : ()) {
                      s{/$}{}; print "$_\n" if m{^https?://.*/\Q'"$1"'\E$} }' |
        head -n 1
}

http_code() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$@"
}

apache_start() {
    in_root apache2ctl start || return 1
    local i
    for i in $(seq 50); do
        [ "$(http_code "http://127.0.0.1:$port/")" != 000 ] && return 0
        sleep 0.2
    done
    return 1
}

apache_stop() {
    local i
    in_root apache2ctl stop
    for i in $(seq 50); do
        [ -z "$(chroot_pids)" ] && return 0
        sleep 0.2
    done
    return 1
}

# ---------------------------------------------------------------- checks

installed_version() {
    in_root dpkg-query -W -f='${Version}' libapache2-mod-mcp-credentials
}

no_process_in_root() {
    local pids
    pids=$(chroot_pids)
    [ -z "$pids" ] || { ps -o pid,args -p $pids; return 1; }
}

depends_on_api() {
    in_root dpkg-query -W -f='${Depends}\n' libapache2-mod-mcp-credentials |
        tee /dev/stderr | grep -q 'apache2-api-[0-9]'
}

tool_runs() {
    local v
    v=$(in_root /usr/bin/mcp-token --version) || return 1
    echo "$v"
    [ "$v" = "mcp-token ${version%%[-+~]*}" ]
}

man_pages() {
    local m1=$root/usr/share/man/man1/mcp-token.1.gz
    local m8=$root/usr/share/man/man8/mod_mcp_credentials.8.gz
    zcat "$m1" | grep -q '^mcp-token \\- ' &&
        for c in keygen atoti-properties mint verify jwks revoke; do
            zcat "$m1" | grep -q "mcp-token $c" || { echo "no $c"; return 1; }
        done &&
        zcat "$m1" | grep -q '^\.SH EXIT STATUS' &&
        zcat "$m8" | grep -q '^\.SS MCPCredentialsSigningKey' &&
        zcat "$m8" | grep -q '^\.SS MCPBearerRevokedTokens'
}

no_key_shipped() {
    local listed
    listed=$(in_root dpkg -L libapache2-mod-mcp-credentials) || return 1
    if echo "$listed" | grep -Ei '\.(pem|key|der)$|/mcp$'; then
        return 1
    fi
    [ ! -e "$root/etc/apache2/mcp" ]
}

enabled() {
    [ -L "$root/etc/apache2/mods-enabled/mcp_credentials.load" ] &&
        [ -L "$root/etc/apache2/mods-enabled/mcp_credentials.conf" ]
}

enabled_at_install() {
    enabled && [ -L "$root/etc/apache2/mods-enabled/socache_shmcb.load" ]
}

key_owner_mode() {
    local s
    s=$(stat -c '%U:%G %a' "$root/etc/apache2/mcp/signing-key.pem") || return 1
    echo "$s"
    [ "$s" = "root:root 600" ]
}

# mint [DEST]: a token for alice through the endpoint, into $tmp/token.
mint() {
    local code
    rm -f "$tmp/mint.json" "$tmp/token"
    code=$(printf 'user = "alice:%s"\n' "$password" |
        curl -s -K - -o "$tmp/mint.json" -w '%{http_code}' --max-time 30 \
            -H 'Content-Type: application/json' --data '{"expiresIn": "P7D"}' \
            "http://127.0.0.1:$port/mcp-credentials/token")
    echo "mint: HTTP $code"
    [ "$code" = 200 ] || { cat "$tmp/mint.json"; return 1; }
    perl -MJSON::PP -e '
        local $/; my $a = decode_json(<STDIN>);
        die "no token\n" unless ($a->{token} // "") =~ /^[\w-]+\.[\w-]+\.[\w-]+$/;
        print $a->{token};' <"$tmp/mint.json" >"$tmp/token"
}

verify_accepts() {
    in_root_stdin mcp-token verify --key /etc/apache2/mcp/signing-key.pem - \
        <"$tmp/token" >"$tmp/claims.json" || return 1
    perl -MJSON::PP -e '
        local $/; my $c = decode_json(<STDIN>)->{claims};
        die "sub\n" unless $c->{sub} eq "alice";
        die "authorities\n" unless grep { $_ eq "ROLE_USER" } @{$c->{authorities}};
        die "exp\n" unless $c->{exp} - $c->{iat} == 7 * 86400;
        print "claims: sub alice, ROLE_USER, 7 days\n";' <"$tmp/claims.json"
}

verify_refuses_other_key() {
    local rc=0
    in_root mcp-token keygen --bits 2048 /root/other-key.pem >/dev/null || return 1
    in_root_stdin mcp-token verify --key /root/other-key.pem - <"$tmp/token" || rc=$?
    echo "exit $rc"
    [ "$rc" = 1 ]
}

guard_without_token() {
    local c
    c=$(http_code "http://127.0.0.1:$port/mcp")
    echo "GET /mcp without a token: $c"
    [ "$c" = 401 ]
}

# Past the guard the request goes to the backend, where nothing listens.
guard_with_token() {
    local c
    printf 'Authorization: Bearer %s\n' "$(cat "$tmp/token")" >"$tmp/header"
    c=$(http_code -H @"$tmp/header" "http://127.0.0.1:$port/mcp")
    echo "GET /mcp with the token: $c"
    [ "$c" = 502 ] || [ "$c" = 503 ]
}

upgrade_to() {
    apt_in_root install "/tmp/$1" || return 1
    [ "$(installed_version)" = "$2" ]
}

upgrade_keeps_enabled() {
    upgrade_to "$bump1_deb" "$bump1" && enabled &&
        grep -qx "$operator_line" "$root/etc/apache2/mods-available/mcp_credentials.conf"
}

restart_and_mint() {
    apache_start && mint && verify_accepts && apache_stop
}

upgrade_keeps_disabled() {
    in_root a2dismod mcp_credentials || return 1
    upgrade_to "$bump2_deb" "$bump2" || return 1
    ! [ -e "$root/etc/apache2/mods-enabled/mcp_credentials.load" ]
}

# apache2 starts with the operator's configuration (the example, inside
# <IfModule>) and without the module; /mcp is then not proxied at all.
starts_without_module() {
    local c
    in_root apache2ctl configtest && apache_start || return 1
    c=$(http_code "http://127.0.0.1:$port/mcp")
    echo "GET /mcp without the module: $c"
    apache_stop && [ "$c" = 404 ]
}

remove_disables() {
    in_root a2enmod mcp_credentials || return 1
    apt_in_root remove libapache2-mod-mcp-credentials || return 1
    [ "$(in_root dpkg-query -W -f='${db:Status-Status}' libapache2-mod-mcp-credentials)" = config-files ] &&
        ! [ -e "$root/etc/apache2/mods-enabled/mcp_credentials.load" ] &&
        ! [ -e "$root/usr/lib/apache2/modules/mod_mcp_credentials.so" ] &&
        ! [ -e "$root/usr/bin/mcp-token" ] &&
        grep -qx "$operator_line" "$root/etc/apache2/mods-available/mcp_credentials.conf"
}

purge_removes_its_files() {
    apt_in_root purge libapache2-mod-mcp-credentials || return 1
    ! in_root dpkg-query -W -f='${db:Status-Status}\n' libapache2-mod-mcp-credentials |
        grep -q . || return 1
    local left
    left=$(cd "$root" && find etc var/lib/apache2 usr -name '*mcp_credentials*' -o \
        -name '*mcp-credentials*' -o -name 'mcp-token*')
    [ -z "$left" ] || { echo "left: $left"; return 1; }
}

purge_keeps_operator_files() {
    local f
    for f in etc/apache2/mcp/signing-key.pem etc/apache2/mcp/htpasswd \
             etc/apache2/mcp/groups etc/apache2/mcp/revoked \
             etc/apache2/conf-available/mcp.conf; do
        [ -f "$root/$f" ] || { echo "gone: $f"; return 1; }
    done
    [ -L "$root/etc/apache2/conf-enabled/mcp.conf" ]
}

# ---------------------------------------------------------------- setup

[ "$(id -u)" = 0 ] || { echo "deb-test: needs root (chroot, debootstrap)"; echo "deb-test: 0 passed, $PLANNED failed"; exit 1; }
mkdir -p "$work" "$cache/archives"
: >"$log"
trap finish EXIT
trap 'exit 1' INT TERM

deb=$(ls "$debdir"/libapache2-mod-mcp-credentials_*_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || abort "no package in $debdir (make deb)"
version=$(dpkg-deb -f "$deb" Version)
say "package $(basename "$deb")"

mirror=${DEB_TEST_MIRROR:-$(host_mirror debian)}
mirror=${mirror:-http://deb.debian.org/debian}
security=${DEB_TEST_SECURITY_MIRROR:-$(host_mirror debian-security)}
security=${security:-http://deb.debian.org/debian-security}

# Whatever a killed run left behind.
if [ -d "$root" ]; then
    stop_everything
    rm -rf --one-file-system "$root"
fi
tmp=$(mktemp -d)
chmod 700 "$tmp"

if [ -f "$cache/base.tar" ] && [ "$(cat "$cache/base.mirror" 2>/dev/null)" = "$mirror" ]; then
    say "base system from the cache"
    mkdir -p "$root" && tar -xpf "$cache/base.tar" -C "$root" || abort "cannot unpack $cache/base.tar"
else
    say "debootstrap bookworm from $mirror (a few minutes)"
    rm -f "$cache/base.tar"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >>"$log" 2>&1 ||
        { tail -n 20 "$log"; abort "debootstrap failed"; }
    unmount_all
    tar -cpf "$cache/base.tar.new" -C "$root" . && mv "$cache/base.tar.new" "$cache/base.tar" &&
        echo "$mirror" >"$cache/base.mirror"
fi

printf '#!/bin/sh\n# deb-test: no service starts while packages install.\nexit 101\n' \
    >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc" || abort "cannot mount proc"
cp "$cache"/archives/*.deb "$root/var/cache/apt/archives/" 2>/dev/null

say "apt-get update and install apache2 in the new system"
apt_in_root update >>"$log" 2>&1 || abort "apt-get update failed in the new system"
apt_in_root install apache2 >>"$log" 2>&1 || abort "cannot install apache2"

# Two later versions of the same package, for the upgrades.
bump1=$version+debtest1
bump2=$version+debtest2
bump1_deb=bump1.deb
bump2_deb=bump2.deb
for n in 1 2; do
    rm -rf "$tmp/pkg" && dpkg-deb -R "$deb" "$tmp/pkg" &&
        sed -i "s/^Version: .*/Version: $version+debtest$n/" "$tmp/pkg/DEBIAN/control" &&
        dpkg-deb -b "$tmp/pkg" "$root/tmp/bump$n.deb" >>"$log" 2>&1 ||
        abort "cannot make version $version+debtest$n"
done
rm -rf "$tmp/pkg"
cp "$deb" "$root/tmp/" || abort "cannot copy $deb"

port=$(free_port)
backend_port=$(free_port)
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
operator_line="# the operator's own line, kept by upgrades"

# ---------------------------------------------------------------- install

check "apt installs the package (and its dependencies) from the .deb" \
    apt_in_root install "/tmp/$(basename "$deb")"
check "installing started no process (policy-rc.d)" no_process_in_root
check "the package depends on apache2-api-*" depends_on_api
check "/usr/bin/mcp-token --version says $version" tool_runs
check "man pages mcp-token(1) (every command) and mod_mcp_credentials(8)" man_pages
check "the package ships no key and makes no key directory" no_key_shipped
check "the module is enabled at installation, socache_shmcb with it" enabled_at_install

# ---------------------------------------------------------------- operator

cat >"$root/etc/apache2/ports.conf" <<EOF
Listen 127.0.0.1:$port
EOF
echo 'ServerName localhost' >"$root/etc/apache2/conf-available/servername.conf"
in_root a2enconf servername >>"$log" 2>&1
in_root a2dissite 000-default >>"$log" 2>&1
check "apache2ctl configtest: module loaded, nothing configured" in_root apache2ctl configtest

setup_operator() {
    in_root install -d -o root -g www-data -m 0750 /etc/apache2/mcp &&
        in_root mcp-token keygen --bits 2048 /etc/apache2/mcp/signing-key.pem &&
        printf '%s\n' "$password" |
        in_root_stdin htpasswd -ciB /etc/apache2/mcp/htpasswd alice &&
        in_root chgrp www-data /etc/apache2/mcp/htpasswd &&
        in_root chmod 0640 /etc/apache2/mcp/htpasswd &&
        echo 'ROLE_USER: alice' >"$root/etc/apache2/mcp/groups" &&
        in_root mcp-token revoke --file /etc/apache2/mcp/revoked \
            00000000-0000-4000-8000-000000000000 &&
        zcat -f "$root/usr/share/doc/libapache2-mod-mcp-credentials/examples/example-mcp-proxy.conf"* |
        sed "s/127\.0\.0\.1:9091/127.0.0.1:$backend_port/" \
            >"$root/etc/apache2/conf-available/mcp.conf" &&
        in_root a2enconf mcp &&
        in_root a2enmod headers proxy proxy_http &&
        in_root a2enmod mcp_credentials &&
        echo "$operator_line" >>"$root/etc/apache2/mods-available/mcp_credentials.conf"
}
check "key, htpasswd, revocation list, the shipped example; a2enmod" setup_operator
check "mcp-token keygen made the key root:root, mode 0600" key_owner_mode
check "apache2ctl configtest with the example" in_root apache2ctl configtest
check "apache2 starts on 127.0.0.1:$port" apache_start
check "POST /mcp-credentials/token as alice mints a token" mint
check "the installed mcp-token verify accepts it (sub, role, lifetime)" verify_accepts
check "mcp-token verify refuses it with another key (exit 1)" verify_refuses_other_key
check "/mcp without a token: 401" guard_without_token
check "/mcp with the token passes the guard (backend down: 502/503)" guard_with_token
check "apache2 stops" apache_stop

# ---------------------------------------------------------------- upgrades

check "upgrade to $bump1: the module stays enabled, the .conf keeps the operator's line" \
    upgrade_keeps_enabled
check "after the upgrade apache2 starts and mints a token that verifies" restart_and_mint
check "a2dismod, then upgrade to $bump2: the module stays disabled" upgrade_keeps_disabled
check "apache2 starts with the module disabled; /mcp is not proxied (404)" starts_without_module

# ---------------------------------------------------------------- removal

check "apt remove disables the module, removes its files, keeps the conffiles" remove_disables
check "after remove apache2 starts; /mcp is not proxied (404)" starts_without_module
check "apt purge removes the package's files and a2enmod state" purge_removes_its_files
check "apt purge leaves the operator's key and configuration" purge_keeps_operator_files
check "after purge apache2 starts; /mcp is not proxied (404)" starts_without_module

# Keep what apt fetched for the next run.
cp -u "$root"/var/cache/apt/archives/*.deb "$cache/archives/" 2>/dev/null
exit 0
