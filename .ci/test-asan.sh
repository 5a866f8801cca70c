#!/usr/bin/env bash
# The test suite on the sanitizer build that `make test-asan` leaves in
# ASAN_DIR/lib (docs/internals.md, "Sanitizer builds"):
#
#   .ci/test-asan.sh VENV ASAN_DIR [pytest arguments, default: tests]
#
# The interpreter is not built with AddressSanitizer, so its runtime is
# preloaded (the one the extensions link, found with ldd). Fails when pytest
# fails, when any process (subprocesses included) wrote a sanitizer report,
# or when the output shows an exception that could not propagate (Cython
# prints "Exception ignored" for an IndexError raised in a noexcept function).
set -uo pipefail

venv=$1 dir=$2
shift 2
# (Spark's tests start a JVM, which does not run under the preloaded
# sanitizer runtime; its adapter is Python over the same kernels)
[ $# -gt 0 ] || set -- tests --ignore=tests/test_distributed_spark.py
root=$(pwd)
case $venv in /*) ;; *) venv=$root/$venv;; esac
case $dir in /*) ;; *) dir=$root/$dir;; esac
lib=$dir/lib
reports=$dir/reports
log=$dir/test.log

kernel=$(ls "$lib"/fastreg/_cd_fast*.so 2>/dev/null | head -n 1)
runtime() { ldd "$kernel" | awk -v name="$1" 'index($1, name ".so") == 1 {print $3}'; }
asan=$(runtime libasan)
ubsan=$(runtime libubsan)
if [ -z "$kernel" ] || [ -z "$asan" ] || [ -z "$ubsan" ]; then
    echo "test-asan: no sanitizer build in $lib (run make test-asan)" >&2
    exit 2
fi

rm -rf "$reports"
mkdir -p "$reports"
export LD_PRELOAD="$asan:$ubsan${LD_PRELOAD:+:$LD_PRELOAD}"
# Leaks are not checked: CPython keeps much of what it allocates until exit.
# allocator_may_return_null: an impossible allocation raises MemoryError, as
# without the sanitizer. Options already set in the environment come last and
# win.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:allocator_may_return_null=1:log_path=$reports/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:report_error_type=1:log_path=$reports/ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# Python objects from malloc, so that the sanitizer sees them too.
export PYTHONMALLOC=malloc
export PYTHONPATH="$lib:$root/.ci${PYTHONPATH:+:$PYTHONPATH}"
export FASTREG_FUZZ=${FASTREG_FUZZ:-ci}
# The checked kernels run up to about 8 times slower than the release build
# (a 20,000-epoch multi-task fit of the fuzz profile: 39 s against 4.8 s), so
# the fuzz suite's limit on one fit, past which it reports a hang, is 8 times
# the release profile's 30 s.
export FASTREG_FUZZ_TIMEOUT=${FASTREG_FUZZ_TIMEOUT:-240}

# The package must come from the sanitizer build, not from the source tree
# (run from a directory with no fastreg in it, as the pytest script is).
where=$(cd "$dir" && "$venv/bin/python" -c \
        "import fastreg._cd_fast as k; print(k.__file__)") || exit 1
case $where in
    "$lib"/*) ;;
    *) echo "test-asan: fastreg imported from $where, not from $lib" >&2; exit 1;;
esac

echo "test-asan: $where, LD_PRELOAD=$LD_PRELOAD, FASTREG_FUZZ=$FASTREG_FUZZ"
start=$(date +%s)
# The pytest script, not python -m pytest: -m would put the source tree first
# on sys.path. --capture=sys leaves file descriptor 2 alone: UBSan writes its
# reports there (it ignores log_path next to ASan), and pytest's captured
# output would vanish with a process that the sanitizer aborts. The plugin
# .ci/asan_rounding.py lists the tests that hold only with the release build's
# rounding.
"$venv/bin/pytest" -q -p no:cacheprovider -p asan_rounding --capture=sys \
    -W error::pytest.PytestUnraisableExceptionWarning \
    -W error::pytest.PytestUnhandledThreadExceptionWarning \
    "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
echo "test-asan: pytest exited with $status after $(( $(date +%s) - start )) s"

failed=0
[ "$status" -eq 0 ] || failed=1
for report in "$reports"/*; do
    [ -e "$report" ] || continue
    echo "test-asan: sanitizer report $report:"
    cat "$report"
    failed=1
done
if grep -n -E "Exception ignored|runtime error:|ERROR: AddressSanitizer|Out of bounds on buffer access" "$log"; then
    echo "test-asan: the lines above show a sanitizer finding or an ignored exception"
    failed=1
fi
if [ "$failed" -ne 0 ]; then
    echo "test-asan: FAILED (log: $log)"
    exit 1
fi
echo "test-asan: clean"
