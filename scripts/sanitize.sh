#!/usr/bin/env bash
# Runs the test suite under a sanitizer: `scripts/sanitize.sh [thread|address]` (both by default).
# Each sanitizer builds into its own scratch path (.build-tsan, .build-asan) so it never
# invalidates the default debug build. Exits non-zero if any run fails.
set -euo pipefail
cd "$(dirname "$0")/.."

run() {
    local sanitizer=$1 scratch
    case "$sanitizer" in
        thread) scratch=.build-tsan ;;
        address) scratch=.build-asan ;;
        *) echo "usage: scripts/sanitize.sh [thread|address]" >&2; exit 64 ;;
    esac
    echo "== swift test --sanitize=$sanitizer (scratch $scratch)"
    local start=$SECONDS
    # The sanitizers' defaults: ThreadSanitizer reports every race and fails the run at exit;
    # AddressSanitizer stops at the first error and checks for leaks at exit, less the memory
    # that SwiftNIO, Foundation and XCTest keep for the life of the process (lsan-suppressions.txt).
    LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0}" \
        swift test --sanitize="$sanitizer" --scratch-path "$scratch"
    echo "== $sanitizer: passed in $((SECONDS - start)) s"
}

if [ $# -eq 0 ]; then
    run thread
    run address
else
    for s in "$@"; do run "$s"; done
fi
