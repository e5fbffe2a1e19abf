#!/bin/sh
# Installs what the build, the demo and the tests need and the machine lacks:
# Debian packages through apt-get, npm packages from the committed lock file.
# Quiet and quick when everything is there already.
#
#   scripts/deps.sh                the build, the demo and the tests
#   scripts/deps.sh PACKAGE...     these Debian packages only (packaging tools)
#   scripts/deps.sh --build-deps   debian/control's Build-Depends
set -eu

if [ "${1:-}" = --build-deps ]; then
    dpkg-checkbuilddeps 2>/dev/null && exit 0
    [ "$(id -u)" = 0 ] || { echo "deps: run as root: apt-get build-dep ./" >&2; exit 1; }
    echo "deps: installing debian/control's Build-Depends"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get -o DPkg::Lock::Timeout=600 build-dep -y -qq ./ >/dev/null
    exit 0
fi

PACKAGES="apache2 apache2-dev apache2-utils libssl-dev libcjson-dev
libapache2-mod-perl2 libcrypt-jwt-perl python3-jwt openssl curl make gcc
perl wrk clang libclang-rt-14-dev valgrind memcached redis-server libapache2-mod-auth-openidc"
[ -n "${MCP_EXTRA_PACKAGES:-}" ] && PACKAGES="$PACKAGES $MCP_EXTRA_PACKAGES"
[ -f package-lock.json ] && PACKAGES="$PACKAGES nodejs npm chromium"
npm=yes
if [ $# -gt 0 ]; then
    PACKAGES="$*"
    npm=no
fi

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing="$missing $p"
    fi
done
# node and npm may come from outside Debian (an image's own build): a working
# pair on PATH is enough.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    missing=$(printf '%s\n' $missing | grep -vx -e nodejs -e npm | tr '\n' ' ')
fi
missing=$(echo $missing)

if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "deps: missing packages: $missing (run 'make deps' as root)" >&2
        exit 1
    fi
    echo "deps: installing $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ "$npm" = yes ] && [ -f package-lock.json ]; then
    stamp=node_modules/.package-lock.json
    if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
        echo "deps: npm ci"
        npm ci --no-audit --no-fund --loglevel=error >/dev/null
    fi
fi
