#!/bin/bash
# Runs the Apache::Test suite and fails unless every .t file ran all of its
# planned tests: Apache::Test can skip a whole suite and still exit 0 (for
# instance when the workers' user cannot read t/).
set -euo pipefail
cd "$(dirname "$0")/.."
SUITE=apache-test harness_no_tally=1
. t/harness/lib.sh

./t/harness/fixtures.sh apache-test
# The shell suites' base configuration: Apache::Test takes its LoadModule
# lines (and TypesConfig) through -httpd_conf; MCPTest's own httpds
# Include it.
harness_base_conf "$ROOT/t/conf"

# The workers run as nobody: they must reach t/ and read what they serve.
if ! runuser -u nobody -- test -r "$ROOT/t/conf/htpasswd" 2>/dev/null; then
    echo "apache-test: nobody cannot read $ROOT/t; opening the path (o+x)"
    d=$ROOT
    while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
    runuser -u nobody -- test -r "$ROOT/t/conf/htpasswd" || {
        echo "apache-test: nobody still cannot read $ROOT/t/conf/htpasswd" >&2
        exit 1
    }
fi

mapfile -t files < <(cd t && ls -1 *.t | sort)
# Sanitizer and valgrind reports of this run land here (see scripts/).
reports=$ROOT/t/logs/reports
rm -rf "$reports"
mkdir -p "$reports"
chmod 777 "$reports"
export MCP_SANITIZER_LOG=$reports/sanitizer MCP_VALGRIND_LOG=$reports/valgrind
log=$(mktemp)
trap 'rm -f "$log"' EXIT

set +e
APACHE_TEST_NO_STICKY_PREFERENCES=1 perl t/TEST \
    -apxs "$(command -v apxs)" -httpd "$HTTPD" \
    -httpd_conf "$ROOT/t/conf/base.conf" -port select "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

if [ "$status" != 0 ]; then
    echo "apache-test: the suite failed (exit $status)" >&2
    exit 1
fi
# With arguments (single files) only what was asked for is checked.
if [ $# -eq 0 ] || [ "$1" = -one-process ]; then
    ran=$(sed -n 's/^Files=\([0-9]*\), Tests=\([0-9]*\).*/\1/p' "$log" | tail -1)
    if [ "${ran:-0}" != "${#files[@]}" ]; then
        echo "apache-test: ${ran:-0} test files ran, ${#files[@]} exist" >&2
        exit 1
    fi
fi
if grep -Eq '(skipped: |^ *skipped |Bad plan|Result: (FAIL|NOTESTS))' "$log"; then
    echo "apache-test: tests were skipped or planned tests did not run" >&2
    exit 1
fi
grep -q '^Result: PASS' "$log" || { echo "apache-test: no PASS" >&2; exit 1; }
if ls "$reports"/sanitizer.* >/dev/null 2>&1; then
    cat "$reports"/sanitizer.* >&2
    echo "apache-test: the sanitizers reported errors (above)" >&2
    exit 1
fi
