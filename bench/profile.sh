#!/usr/bin/env bash
# Where the time of one kind of request goes, counted in instructions
# (callgrind), which a neighbour's load does not change.
#
#   BENCH_KEEP=1 bench/run.sh          # or BENCH_QUICK=1: leaves bench/work/run.X
#   bench/profile.sh bench/work/run.X KIND [N]
#
# KIND: mint (RSA-3072 POST /token), mint2048, page, page-static, bearer
# (guarded, cache as configured), bearer-nocache (needs a build with
# MCPBearerCache), open.  N requests (default: 50 mints, 1000 others) go
# through one httpd -X under callgrind that counts only request processing
# (ap_read_request and ap_process_async_request).  Prints the instructions
# per request and the functions that cost most, inclusive; the profile
# stays in WORKDIR/profile/ for callgrind_annotate or kcachegrind.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 WORKDIR KIND [N]" >&2; exit 2; }
WORK=$(cd "$1" && pwd)
KIND=$2
command -v valgrind >/dev/null || { echo "profile: valgrind is missing" >&2; exit 1; }
[ -f "$WORK/httpd.conf" ] || { echo "profile: no $WORK/httpd.conf (run bench/run.sh with BENCH_KEEP=1)" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HTTPD=${HTTPD:-/usr/sbin/apache2}

ports=($(sed -n 's/^Listen 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/httpd.conf"))
P3072=${ports[0]}
P2048=${ports[1]}
PNOCACHE=$(awk -F'[:>]' '/^<VirtualHost/ { port = $2 } /MCPBearerCache off/ { print port }' "$WORK/httpd.conf")
BASIC="Basic $(printf 'bench:bench-pw' | base64 -w0)"
TOKEN=$("$ROOT/build/mcp-token" mint --key "$WORK/key-3072.pem" --sub bench \
    --authority ROLE_USER --lifetime P7D 2>/dev/null)
BODY=(-p "$WORK/body.json" -T application/json)
case $KIND in
mint) N=${3:-50} ARGS=("${BODY[@]}" -H "Authorization: $BASIC" "http://127.0.0.1:$P3072/mcp-credentials/token") ;;
mint2048) N=${3:-50} ARGS=("${BODY[@]}" -H "Authorization: $BASIC" "http://127.0.0.1:$P2048/mcp-credentials/token") ;;
page) N=${3:-1000} ARGS=(-H "Authorization: $BASIC" "http://127.0.0.1:$P3072/mcp-credentials") ;;
page-static) N=${3:-1000} ARGS=(-H "Authorization: $BASIC" "http://127.0.0.1:$P3072/auth/page.html") ;;
bearer) N=${3:-1000} ARGS=(-H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$P3072/guarded/small.txt") ;;
bearer-nocache)
    grep -q 'MCPBearerCache off' "$WORK/httpd.conf" || { echo "profile: this build has no MCPBearerCache" >&2; exit 1; }
    N=${3:-1000} ARGS=(-H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PNOCACHE/guarded/small.txt") ;;
open) N=${3:-1000} ARGS=(-H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$P3072/open/small.txt") ;;
*) echo "profile: unknown KIND $KIND" >&2; exit 2 ;;
esac

OUT=$WORK/profile
mkdir -p "$OUT"
chmod 777 "$OUT"
# Fewer threads: under valgrind they run one at a time anyway.
sed -e 's/^ThreadLimit .*/ThreadLimit 8/' -e 's/^ThreadsPerChild .*/ThreadsPerChild 8/' \
    -e 's/^MaxRequestWorkers .*/MaxRequestWorkers 8/' -e 's/^MaxSpareThreads .*/MaxSpareThreads 16/' \
    -e "s#^PidFile .*#PidFile \"$OUT/httpd.pid\"#" -e "s#^ErrorLog .*#ErrorLog \"$OUT/error.log\"#" \
    "$WORK/httpd.conf" >"$OUT/httpd.conf"
CG=$OUT/callgrind.$KIND
# The workers run as nobody: the file callgrind writes at exit must be theirs.
rm -f "$CG"
touch "$CG"
chown nobody "$CG" 2>/dev/null || true
chmod 666 "$CG"

valgrind --tool=callgrind --callgrind-out-file="$CG" --collect-atstart=no \
    --toggle-collect=ap_process_async_request --toggle-collect=ap_read_request \
    "$HTTPD" -X -f "$OUT/httpd.conf" >"$OUT/valgrind.$KIND.log" 2>&1 &
VG=$!
cleanup() {
    kill -TERM "$VG" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$VG" 2>/dev/null || return 0; sleep 1; done
    kill -9 "$VG" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 120); do
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$P3072/open/small.txt" && break
    sleep 1
done
echo "profile: $N requests of kind $KIND under callgrind" >&2
out=$(timeout 1800 ab -q -k -n "$N" -c 1 "${ARGS[@]}")
grep -E '^(Complete|Failed) requests' <<<"$out" >&2
grep -q '^Non-2xx' <<<"$out" && { echo "profile: some answers were not 2xx" >&2; exit 1; }
cleanup
trap - EXIT

total=$(callgrind_annotate "$CG" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
echo "$KIND: $((total / N)) instructions per request (callgrind Ir), $N requests"
echo "inclusive cost per request, top functions:"
callgrind_annotate --inclusive=yes --threshold=100 "$CG" 2>/dev/null |
    awk -v n="$N" -v total="$total" '
        /^ *[0-9,]+ \(/ {
            v = $1; gsub(",", "", v)
            if (v / total < 0.01) next
            sym = $0; sub(/^ *[0-9,]+ \( *[0-9.]+%\) */, "", sym)
            if (sym ~ /PROGRAM TOTALS|clone|start_thread|<counts for|0x[0-9a-f]+[^ ]* \[/) next
            printf "%10d  %5.1f%%  %s\n", v / n, 100 * v / total, sym
        }' | head -n 40
echo "profile data: $CG"
