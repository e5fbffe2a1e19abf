#!/bin/bash
# The Apache::Test suite against httpd -X (one process) under valgrind:
# fails on any memory error, and on any leak whose stack passes through the
# module.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export MCP_HTTPD=$ROOT/scripts/httpd-valgrind
# One process serves everything, slowly: give it time to start.
./t/run-apache-test.sh -one-process -startup_timeout 300 || status=$?
reports=$ROOT/t/logs/reports
bad=0
for f in "$reports"/valgrind.*; do
    [ -s "$f" ] || continue
    # Any memory error fails, wherever it is; a leak fails when its stack
    # passes through the module (httpd's own process-lifetime memory does
    # not count).
    if grep -Eq 'Invalid (read|write|free)|uninitialised|Mismatched free|overlap' "$f" ||
        grep -q 'mod_mcp_credentials\|mcp_\|cJSON' "$f"; then
        echo "== $f" >&2
        cat "$f" >&2
        bad=1
    fi
done
if [ "${status:-0}" != 0 ]; then
    echo "valgrind: the suite failed under valgrind" >&2
    exit 1
fi
if [ "$bad" != 0 ]; then
    echo "valgrind: errors or leaks in the module (above)" >&2
    exit 1
fi
n=$(ls "$reports"/valgrind.* 2>/dev/null | wc -l)
echo "valgrind: $n httpd process(es) checked, no error and nothing lost from the module"
