#!/bin/sh
# Builds the Debian package into OUTDIR (build/deb) and checks it with
# lintian.  dpkg-buildpackage writes its results into the parent of the
# source tree: it builds a copy of the project's files (tracked ones and new
# ones git does not ignore, as they are in the work tree) in OUTDIR/src, so
# that parent is OUTDIR/src and nothing lands beside the checkout.
# usage: scripts/deb.sh OUTDIR
set -eu
out=${1:?usage: scripts/deb.sh OUTDIR}
version=$(dpkg-parsechangelog -S Version)
upstream=$(sed -n 's/^#define MCP_TOKEN_VERSION "\(.*\)"$/\1/p' tools/mcp-token.c)
if [ "${version%%[-+~]*}" != "$upstream" ]; then
    echo "deb: debian/changelog says $version, tools/mcp-token.c says $upstream" >&2
    exit 1
fi

src=$out/src/libapache2-mod-mcp-credentials-$version
rm -rf "$out"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard |
        perl -0ne 'chomp; print "$_\0" if -e' |
        tar --null -T - -cf - | tar -xf - -C "$src"
else
    tar --exclude=./build --exclude=./node_modules --exclude=./.git -cf - . |
        tar -xf - -C "$src"
fi

# A make that calls this script passes its variables (SANITIZE=1...) down
# through MAKEFLAGS: the package is built with the package's own flags.
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    dpkg-buildpackage -us -uc >../build.log 2>&1) || {
    tail -n 60 "$out/src/build.log"
    echo "deb: dpkg-buildpackage failed (log: $out/src/build.log)" >&2
    exit 1
}
for f in "$out"/src/*_"$version"*; do
    case $f in *.deb|*.dsc|*.tar.*|*.buildinfo|*.changes) mv "$f" "$out"/ ;; esac
done
changes=$(ls "$out"/*_"$version"_*.changes)

echo "lintian $(basename "$changes")"
lintian --fail-on error,warning --display-info \
    "$changes"
ls "$out"/*.deb
