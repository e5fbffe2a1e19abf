#!/bin/bash
# The libFuzzer targets of fuzz/: one per parser, built with ASan and UBSan.
#
#   fuzz/run.sh [TARGET...]            fuzz each target for FUZZ_SECONDS
#                                      (default 10) on a scratch copy of its
#                                      corpus and regression inputs
#   fuzz/run.sh --regress [TARGET...]  run each target once over every file of
#                                      fuzz/corpus/<t>/ and fuzz/regressions/<t>/,
#                                      without mutation (CI)
#   fuzz/run.sh --build [TARGET...]    only build
#   fuzz/run.sh --seeds                rewrite the tokens of fuzz/corpus/jwt_verify/
#                                      from the keys of fuzz/keys/
#
# TARGET is a name such as jwt_verify (fuzz_jwt_verify works too); none
# means every fuzz/fuzz_*.c.  Binaries go to build/fuzz/; each run gets its
# own build/fuzz/run.XXXXXX/ for logs, crash inputs and scratch corpora,
# removed after a clean run unless FUZZ_KEEP=1.  Exit status 1 when any
# target failed to build, crashed, leaked, timed out or ran out of memory.
set -uo pipefail
cd "$(dirname "$0")/.."

CC=${FUZZ_CC:-clang}
seconds=${FUZZ_SECONDS:-10}
out=build/fuzz
mode=fuzz
case "${1:-}" in
--regress) mode=regress; shift ;;
--build) mode=build; shift ;;
--seeds) mode=seeds; shift ;;
-h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
case "$seconds" in
'' | *[!0-9]*) echo "fuzz: FUZZ_SECONDS must be a number of seconds" >&2; exit 2 ;;
esac

# The project's own language level, so that the units build as they do for
# the module; warnings are errors for the fuzzers, which this directory owns.
std=(-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE)
san=(-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
libfuzzer_opts=(-rss_limit_mb=2048 -timeout=10)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ "$mode" = seeds ]; then
    mkdir -p "$out" fuzz/corpus/jwt_verify
    "$CC" "${std[@]}" -Wall -Wextra -Werror -Ijwt -Ilib fuzz/seed_jwt_verify.c \
        jwt/*.c lib/*.c -lcjson -lcrypto -o "$out/seed_jwt_verify" &&
        "$out/seed_jwt_verify" fuzz/keys fuzz/corpus/jwt_verify &&
        echo "fuzz: seeds of jwt_verify written"
    exit
fi

if [ $# -gt 0 ]; then
    targets=("${@#fuzz_}")
else
    targets=()
    for src in fuzz/fuzz_*.c; do
        [ -e "$src" ] || continue
        name=${src#fuzz/fuzz_}
        targets+=("${name%.c}")
    done
fi
if [ ${#targets[@]} -eq 0 ]; then
    echo "fuzz: no target in fuzz/" >&2
    exit 2
fi

mkdir -p "$out/obj"

# The units are compiled once into an archive, so each target links only the
# files it needs.  Runs started together (make fuzz beside a CI step) build
# under one lock.
build_units() {
    local lib=$out/libunits.a stale=0 src obj
    for src in jwt/*.c jwt/*.h lib/*.c lib/*.h; do
        [ "$src" -nt "$lib" ] && stale=1
    done
    [ -f "$lib" ] && [ $stale -eq 0 ] && return 0
    rm -f "$lib" "$out"/obj/*.o
    for src in jwt/*.c lib/*.c; do
        obj=$out/obj/$(echo "${src%.c}" | tr / _).o
        "$CC" "${std[@]}" "${san[@]}" -fsanitize=fuzzer-no-link,address,undefined \
            -Ijwt -Ilib -c "$src" -o "$obj" || return 1
    done
    ar rcs "$lib" "$out"/obj/*.o
}

build_target() {
    local src=fuzz/fuzz_$1.c bin=$out/fuzz_$1
    if [ ! -f "$src" ]; then
        echo "fuzz: no $src" >&2
        return 1
    fi
    if [ "$bin" -nt "$src" ] && [ "$bin" -nt "$out/libunits.a" ] &&
        [ "$bin" -nt fuzz/token_request_checks.h ]; then
        return 0
    fi
    "$CC" "${std[@]}" "${san[@]}" -fsanitize=fuzzer,address,undefined \
        -Wall -Wextra -Werror -Ijwt -Ilib -Ifuzz \
        -DMCP_FUZZ_KEYS_DIR="\"$PWD/fuzz/keys\"" \
        "$src" "$out/libunits.a" -lcjson -lcrypto -o "$bin.tmp" &&
        mv -f "$bin.tmp" "$bin"
}

exec 9>"$out/.lock"
flock 9
if ! build_units; then
    echo "fuzz: the units of jwt/ and lib/ do not build" >&2
    exit 1
fi
declare -A built
for t in "${targets[@]}"; do
    if build_target "$t"; then
        built[$t]=1
    else
        echo "fuzz: fuzz_$t does not build" >&2
    fi
done
flock -u 9
exec 9>&-

passed=0
failed=0
if [ "$mode" = build ]; then
    for t in "${targets[@]}"; do
        if [ -n "${built[$t]:-}" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    done
    echo "fuzz: $passed built, $failed failed"
    [ $failed -eq 0 ]
    exit
fi

run=$(mktemp -d "$out/run.XXXXXX")

inputs_of() {
    local dir
    for dir in "fuzz/corpus/$1" "fuzz/regressions/$1"; do
        [ -d "$dir" ] && find "$dir" -maxdepth 1 -type f | sort
    done
    # The shipped templates are seeds as they are, not copies that drift.
    if [ "$1" = template ]; then
        find templates -maxdepth 1 -name '*.html' -type f | sort
    fi
}

report_failure() {
    local t=$1
    echo "  --- last lines of $run/$t.log"
    tail -n 40 "$run/$t.log" | sed 's/^/  /'
    ls "$run/artifacts/$t/" 2>/dev/null | sed "s|^|  input kept: $run/artifacts/$t/|"
}

# tally STATUS TARGET PASSED-TEXT FAILED-TEXT: one line for the target and
# its count; a failure also gets its report.
tally() {
    if [ "$1" -eq 0 ]; then
        echo "fuzz_$2: $3"
        passed=$((passed + 1))
    else
        echo "fuzz_$2: $4"
        report_failure "$2"
        failed=$((failed + 1))
    fi
}

for t in "${targets[@]}"; do
    bin=$out/fuzz_$t
    log=$run/$t.log
    if [ -z "${built[$t]:-}" ]; then
        echo "fuzz_$t: FAILED (does not build)"
        failed=$((failed + 1))
        continue
    fi
    mkdir -p "$run/artifacts/$t"
    dict=()
    [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")

    if [ "$mode" = regress ]; then
        mapfile -t files < <(inputs_of "$t")
        if [ ${#files[@]} -eq 0 ]; then
            echo "fuzz_$t: passed, no input to run"
            passed=$((passed + 1))
            continue
        fi
        "$bin" "${libfuzzer_opts[@]}" -artifact_prefix="$run/artifacts/$t/" \
            "${files[@]}" >"$log" 2>&1
        rc=$?
        runs=$(grep -c '^Executed ' "$log")
        [ $rc -eq 0 ] && [ "$runs" -eq ${#files[@]} ]
        tally $? "$t" "passed, $runs inputs" \
            "FAILED (exit $rc, $runs of ${#files[@]} inputs ran)"
        continue
    fi

    # A scratch corpus: what the run adds stays out of the committed one.
    work=$run/corpus/$t
    mkdir -p "$work"
    while read -r f; do
        cp "$f" "$work/$(basename "$(dirname "$f")")-$(basename "$f")"
    done < <(inputs_of "$t")
    seeds=$(find "$work" -type f | wc -l)
    "$bin" "${libfuzzer_opts[@]}" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$run/artifacts/$t/" "${dict[@]}" "$work" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    size=$(find "$work" -type f | wc -l)
    [ $rc -eq 0 ] && [ -n "$runs" ]
    tally $? "$t" \
        "passed, $runs runs in ${seconds} s, ${cov:-cov: ?}, corpus $seeds -> $size files" \
        "FAILED (exit $rc${runs:+, $runs runs})"
done

if [ $failed -eq 0 ] && [ -z "${FUZZ_KEEP:-}" ]; then
    rm -rf "$run"
else
    echo "fuzz: logs, crash inputs and scratch corpora kept in $run"
fi
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
