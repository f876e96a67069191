#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/) with -sanitize=fuzzer,address and runs them.
#
#   scripts/fuzz.sh [--seconds N] [--runs N] [--no-build] [TARGET...]
#
# TARGET: serial-line, modem-core, cipstatus, reply-framer, scenario, control (all by default).
# Each target runs for N seconds (default 60) or N executions, whichever ends first, seeded from
# the tests' corpora (scripts/fuzz_seeds.py) plus whatever earlier runs found
# (.build-fuzz/fuzz/corpus/TARGET), and prints libFuzzer's final figures. A crash is saved as
# .build-fuzz/fuzz/artifacts/TARGET/crash-* and fails the script; reproduce it with
# `.build-fuzz/release/FuzzTarget FILE`.
set -euo pipefail

# Everything runs inside main, which bash reads whole before running: editing this file while a
# run is in progress cannot change the run.
main() {
    cd "$(dirname "$0")/.."

    seconds=60
    runs=
    build=1
    targets=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --seconds) seconds=$2; shift 2 ;;
            --runs) runs=$2; shift 2 ;;
            --no-build) build=0; shift ;;
            -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
            -*) echo "unknown option $1; see scripts/fuzz.sh --help" >&2; exit 64 ;;
            *) targets+=("$1"); shift ;;
        esac
    done

    all=(serial-line modem-core cipstatus reply-framer scenario control)
    [ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

    product() {
        case "$1" in
            serial-line) echo FuzzSerialLine ;;
            modem-core) echo FuzzModemCore ;;
            cipstatus) echo FuzzCIPSTATUS ;;
            reply-framer) echo FuzzReplyFramer ;;
            scenario) echo FuzzScenario ;;
            control) echo FuzzControl ;;
            *) echo "unknown fuzz target '$1'; known: ${all[*]}" >&2; exit 64 ;;
        esac
    }

    # Longest input libFuzzer makes, per target: several command lines, a status reply, a session of
    # ~100 operations, a scenario file. Longer inputs find little more and cost executions.
    max_len() {
        case "$1" in
            serial-line|reply-framer) echo 1024 ;;
            modem-core|cipstatus) echo 512 ;;
            *) echo 4096 ;;
        esac
    }

    for target in "${targets[@]}"; do product "$target" >/dev/null; done

    scratch=.build-fuzz
    if [ "$build" = 1 ]; then
        start=$SECONDS
        # SwiftPM passes each --sanitize as its own -sanitize= flag and swiftc keeps only the last, so
        # the combined flag goes through -Xswiftc; --sanitize=fuzzer still tells SwiftPM to leave `main`
        # to libFuzzer. -parse-as-library: the targets have no top-level code.
        mkdir -p "$scratch"
        if ! swift build -c release --package-path Fuzz --scratch-path "$scratch" \
            --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
            -Xswiftc -parse-as-library -Xswiftc -enable-testing >"$scratch/fuzz-build.log" 2>&1; then
            grep -v "Cannot export local symbol" "$scratch/fuzz-build.log" >&2
            echo "fuzz build failed" >&2
            exit 1
        fi
        echo "fuzz build: $((SECONDS - start)) s"
    fi

    bin="$scratch/release"
    work="$scratch/fuzz"
    # Seeds and dictionaries are regenerated for each invocation (several may run at once).
    generated="$work/generated-$$"
    trap 'rm -rf "$generated"' EXIT
    python3 scripts/fuzz_seeds.py "$generated"

    results=()
    failed=0
    for target in "${targets[@]}"; do
        corpus="$work/corpus/$target"
        artifacts="$work/artifacts/$target/"
        mkdir -p "$corpus" "$artifacts"
        log="$work/$target.log"
        limit=(-max_total_time="$seconds")
        [ -z "$runs" ] || limit+=(-runs="$runs")
        before=$(ls "$artifacts" | wc -l)
        start=$SECONDS
        status=0
        "$bin/$(product "$target")" "$corpus" "$generated/seeds/$target" -dict="$generated/dict/$target.dict" \
            -max_len="$(max_len "$target")" -print_final_stats=1 -artifact_prefix="$artifacts" \
            "${limit[@]}" >"$log" 2>&1 || status=$?
        elapsed=$((SECONDS - start))
        crashes=$(($(ls "$artifacts" | wc -l) - before))
        done_line=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1 || true)
        cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
        ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")
        executions=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
        if [ "$status" -eq 72 ] && [ "$crashes" -eq 0 ]; then
            # libFuzzer's exit code after SIGINT/SIGTERM: stopped early, nothing found.
            echo "== $target interrupted after $elapsed s" >&2
        elif [ "$status" -ne 0 ]; then
            failed=1
            [ "$crashes" -gt 0 ] || crashes=1
            echo "== $target FAILED (exit $status); log $log:" >&2
            grep -E -A40 'ERROR: |Fatal error|fuzz check failed' "$log" | head -60 >&2 || tail -40 "$log" >&2
        fi
        results+=("$(printf '%-13s %12s %8s %6s %7s %8s' "$target" "${executions:-?}" "$elapsed" "${cov:-?}" "${ft:-?}" "$crashes")")
    done

    printf '%-13s %12s %8s %6s %7s %8s\n' target executions seconds cov ft crashes
    printf '%s\n' "${results[@]}"
    exit "$failed"
}

main "$@"
