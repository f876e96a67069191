#!/usr/bin/env bash
# End-to-end benchmarks of `modem emulate`, each figure measured in the same run as its baseline.
#
#   scripts/bench-e2e.sh                 # everything (about 2 minutes on 2 cores)
#   scripts/bench-e2e.sh rtt throughput  # only some sections: rtt, throughput, directions, paced, scale, poll,
#                                        # sustained (not in the default set: 3 minutes), live (not in the
#                                        # default set: the live view's cost, 10,000 modems, about 1 minute)
#
# Environment: SCRATCH (build directory, default .build-bench), MODEM (use this binary, no build),
# BASE (first serial port of the scale runs, default 20000), SCALE_N (10000), POLL_N (1000),
# RTT_COUNT (20000), BYTES (throughput bytes, 16 MiB), PACED_SECONDS (8), SUSTAINED_SECONDS (60),
# LIVE_N (10000), HTTP_PORT (19999).
# Needs python3 (standard library) and socat (installed with apt-get when missing).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HELPER="$ROOT/scripts/bench_e2e.py"
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
BASE=${BASE:-20000}
SCALE_N=${SCALE_N:-10000}
POLL_N=${POLL_N:-1000}
RTT_COUNT=${RTT_COUNT:-20000}
BYTES=${BYTES:-$((16 << 20))}
PACED_SECONDS=${PACED_SECONDS:-8}
SUSTAINED_SECONDS=${SUSTAINED_SECONDS:-60}
LIVE_N=${LIVE_N:-10000}
HTTP_PORT=${HTTP_PORT:-19999}
SECTIONS=${*:-rtt throughput directions paced scale poll}
SECTIONS=" $SECTIONS "
WORK=$(mktemp -d /tmp/bench-e2e.XXXXXX)
PIDS=()
ROWS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "== $*" >&2; }

# row FIGURE VALUE BASELINE RATIO TARGET MET
row() { ROWS+=("$(printf '| %s | %s | %s | %s | %s | %s |' "$@")"); }

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
calc() { python3 -c "print($1)"; }
fmt() { python3 -c "print(f'{$1:$2}')"; }

stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# Waits until FILE has a first line; prints it.
first_line() {
    for _ in $(seq 200); do
        if [ -s "$1" ]; then head -1 "$1"; return; fi
        sleep 0.05
    done
    echo "timed out waiting for $1" >&2
    exit 1
}

if ! command -v socat >/dev/null; then
    log "installing socat"
    (apt-get install -y socat >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y socat >/dev/null; })
fi

if [ -z "${MODEM:-}" ]; then
    log "building modem (release) in $SCRATCH"
    (cd "$ROOT" && swift build --scratch-path "$SCRATCH" -c release --product modem >&2)
    MODEM="$SCRATCH/release/modem"
fi

# 10,000 listening sockets and 1,000 clients need more descriptors than the usual 1024.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)

log "machine: $(nproc) cores, $(uname -r), $(swift --version 2>/dev/null | head -1)"

# --- (a) AT+CIPSTATUS round trip over a PTY against a bare PTY echo ------------------------------
if [[ " $SECTIONS " == *" rtt "* ]]; then
    # The echo is a tiny C program when a C compiler is present (the floor), else the Python one.
    if cc -O2 -o "$WORK/pty-echo" "$ROOT/scripts/pty-echo.c" 2>/dev/null; then
        ECHO_CMD=("$WORK/pty-echo"); ECHO_NAME="C PTY echo"
    else
        ECHO_CMD=(python3 "$HELPER" pty-echo); ECHO_NAME="Python PTY echo"
    fi
    log "rtt: bare PTY echo ($ECHO_NAME)"
    "${ECHO_CMD[@]}" >"$WORK/echo.path" &
    ECHO=$!; PIDS+=("$ECHO")
    echo_json=$(python3 "$HELPER" rtt "$(first_line "$WORK/echo.path")" --count "$RTT_COUNT")
    stop "$ECHO"
    log "rtt: modem emulate --pty"
    "$MODEM" emulate --pty --log-level warning >"$WORK/modem-rtt.path" 2>"$WORK/modem-rtt.log" &
    EMU=$!; PIDS+=("$EMU")
    modem_json=$(python3 "$HELPER" rtt "$(first_line "$WORK/modem-rtt.path")" --modem --count "$RTT_COUNT")
    stop "$EMU"
    log "rtt: echo $echo_json"
    log "rtt: modem $modem_json"
    for p in p50 p99; do
        e=$(echo "$echo_json" | json "['${p}_us']"); m=$(echo "$modem_json" | json "['${p}_us']")
        r=$(calc "$m / $e")
        row "AT+CIPSTATUS round trip over a PTY, $p" "$(fmt "$m" .1f) µs" "$(fmt "$e" .1f) µs ($ECHO_NAME)" \
            "$(fmt "$r" .2f)×" "≤ 2×" "$(calc "'met' if $r <= 2 else 'not met'")"
    done
fi

# --- (b) data through a link against a socat PTY<->TCP relay -------------------------------------
start_tcp_echo() {
    python3 "$HELPER" tcp-echo 0 >"$WORK/tcp.port" &
    TCPECHO=$!; PIDS+=("$TCPECHO")
    TCPPORT=$(first_line "$WORK/tcp.port")
}

if [[ " $SECTIONS " == *" throughput "* ]]; then
    start_tcp_echo
    log "throughput: socat PTY <-> TCP echo ($BYTES bytes)"
    socat PTY,raw,echo=0,link="$WORK/relay" TCP:127.0.0.1:"$TCPPORT",nodelay &
    SOCAT=$!; PIDS+=("$SOCAT")
    for _ in $(seq 100); do [ -e "$WORK/relay" ] && break; sleep 0.05; done
    socat_json=$(python3 "$HELPER" throughput "$WORK/relay" --bytes "$BYTES")
    stop "$SOCAT"
    log "throughput: modem emulate --pty, AT+CIPSEND / +RECEIVE ($BYTES bytes)"
    "$MODEM" emulate --pty --log-level warning --activation-delay 0 >"$WORK/modem-tp.path" 2>"$WORK/modem-tp.log" &
    EMU=$!; PIDS+=("$EMU")
    modem_json=$(python3 "$HELPER" throughput "$(first_line "$WORK/modem-tp.path")" --modem --port "$TCPPORT" --bytes "$BYTES")
    stop "$EMU"
    "$MODEM" emulate --pty --log-level warning --activation-delay 0 >"$WORK/modem-tp16.path" 2>"$WORK/modem-tp16.log" &
    EMU=$!; PIDS+=("$EMU")
    window_json=$(python3 "$HELPER" throughput "$(first_line "$WORK/modem-tp16.path")" --modem --port "$TCPPORT" --bytes "$BYTES" --window 16)
    stop "$EMU"
    stop "$TCPECHO"
    log "throughput: socat $socat_json"
    log "throughput: modem, 16 AT+CIPSEND in flight $window_json"
    log "throughput: modem $modem_json"
    s=$(echo "$socat_json" | json "['bytes_per_s']"); m=$(echo "$modem_json" | json "['bytes_per_s']")
    r=$(calc "$m / $s")
    row "Link throughput unpaced (CIPSEND 1460 B out, +RECEIVE in)" "$(fmt "$m / 1e6" .2f) MB/s" \
        "$(fmt "$s / 1e6" .2f) MB/s (socat relay)" "$(fmt "$r" .2f)×" "≥ 0.8×" "$(calc "'met' if $r >= 0.8 else 'not met'")"
    w=$(echo "$window_json" | json "['bytes_per_s']")
    row "Link throughput unpaced, 16 AT+CIPSEND in flight (command and data without waiting for >; for information)" \
        "$(fmt "$w / 1e6" .2f) MB/s" "$(fmt "$s / 1e6" .2f) MB/s (socat relay)" "$(fmt "$w / $s" .2f)×" "—" "—"
fi

# --- (b2) each direction on its own, and transparent mode, against socat -------------------------
# Whole 1,460-byte chunks, so that the client sends and the source and sink count the same bytes.
DIR_BYTES=$((BYTES / 1460 * 1460))
# server KIND: starts a TCP server (echo, source or sink) on an ephemeral port; sets SERVER, SERVERPORT.
server() {
    case $1 in
        echo) python3 "$HELPER" tcp-echo 0 >"$WORK/srv.port" & ;;
        *) python3 "$HELPER" "tcp-$1" 0 --bytes "$DIR_BYTES" >"$WORK/srv.port" & ;;
    esac
    SERVER=$!; PIDS+=("$SERVER")
    SERVERPORT=$(first_line "$WORK/srv.port")
}
# socat_rate KIND DIRECTION: bytes/s through a socat PTY <-> TCP relay to a fresh server.
socat_rate() {
    server "$1"
    rm -f "$WORK/relay"
    socat PTY,raw,echo=0,link="$WORK/relay" TCP:127.0.0.1:"$SERVERPORT",nodelay &
    local relay=$!; PIDS+=("$relay")
    for _ in $(seq 100); do [ -e "$WORK/relay" ] && break; sleep 0.05; done
    python3 "$HELPER" throughput "$WORK/relay" --bytes "$DIR_BYTES" --direction "$2" | json "['bytes_per_s']"
    stop "$relay"; stop "$SERVER"
}
# modem_rate KIND DIRECTION [--transparent]: bytes/s through a fresh modem to a fresh server.
modem_rate() {
    server "$1"
    "$MODEM" emulate --pty --log-level warning --activation-delay 0 >"$WORK/modem-dir.path" 2>"$WORK/modem-dir.log" &
    local emu=$!; PIDS+=("$emu")
    python3 "$HELPER" throughput "$(first_line "$WORK/modem-dir.path")" --modem --port "$SERVERPORT" \
        --bytes "$DIR_BYTES" --direction "$2" "${@:3}" | json "['bytes_per_s']"
    stop "$emu"; stop "$SERVER"
}
dir_row() {  # dir_row FIGURE MODEM_RATE SOCAT_RATE TARGET
    local r; r=$(calc "$2 / $3")
    row "$1" "$(fmt "$2 / 1e6" .2f) MB/s" "$(fmt "$3 / 1e6" .2f) MB/s (socat relay)" "$(fmt "$r" .2f)×" "$4" \
        "$([ "$4" = "—" ] && echo "—" || calc "'met' if $r >= 0.8 else 'not met'")"
}

if [[ " $SECTIONS " == *" directions "* ]]; then
    log "directions: inbound (tcp-source -> +RECEIVE / raw), outbound (AT+CIPSEND / raw -> tcp-sink), transparent"
    s_in=$(socat_rate source in); m_in=$(modem_rate source in)
    s_out=$(socat_rate sink out); m_out=$(modem_rate sink out)
    s_both=$(socat_rate echo both); t_both=$(modem_rate echo both --transparent)
    t_in=$(modem_rate source in --transparent); t_out=$(modem_rate sink out --transparent)
    log "directions: socat in $s_in out $s_out both $s_both; modem +RECEIVE in $m_in, CIPSEND out $m_out; transparent in $t_in out $t_out both $t_both"
    dir_row "Inbound only: +RECEIVE streaming (server sends, modem frames)" "$m_in" "$s_in" "—"
    dir_row "Outbound only: AT+CIPSEND=0,1460 stop-and-wait" "$m_out" "$s_out" "—"
    dir_row "Transparent mode (AT+CIPMODE=1), both ways through the echo server (like-for-like)" "$t_both" "$s_both" "≥ 0.8×"
    dir_row "Transparent mode, inbound only" "$t_in" "$s_in" "—"
    dir_row "Transparent mode, outbound only" "$t_out" "$s_out" "—"
fi

# --- (b3) sustained back-to-back sends with +IPD echo, against two PTY round trips per 1460 bytes ---
if [[ " $SECTIONS " == *" sustained "* ]]; then
    log "sustained: bare PTY echo, two round trips per 1460 bytes (${SUSTAINED_SECONDS} s)"
    python3 "$HELPER" pty-echo >"$WORK/sus-echo.path" &
    ECHO=$!; PIDS+=("$ECHO")
    bound_json=$(python3 "$HELPER" sustained "$(first_line "$WORK/sus-echo.path")" --baseline --seconds "$SUSTAINED_SECONDS")
    stop "$ECHO"
    log "sustained: bound $bound_json"
    b=$(echo "$bound_json" | json "['mb_per_s']")
    start_tcp_echo
    for mode in normal quick; do
        flag=(); [ "$mode" = quick ] && flag=(--quick)
        log "sustained: modem emulate --pty, AT+CIPSEND=1460 one at a time, +IPD echo, $mode send (${SUSTAINED_SECONDS} s)"
        "$MODEM" emulate --pty --log-level warning --activation-delay 0 >"$WORK/modem-sus.path" 2>"$WORK/modem-sus.log" &
        EMU=$!; PIDS+=("$EMU")
        sus_json=$(python3 "$HELPER" sustained "$(first_line "$WORK/modem-sus.path")" --port "$TCPPORT" \
            --seconds "$SUSTAINED_SECONDS" "${flag[@]}")
        stop "$EMU"
        log "sustained: $mode $sus_json"
        m=$(echo "$sus_json" | json "['mb_per_s']"); stalls=$(echo "$sus_json" | json "['stalls']")
        intact=$(echo "$sus_json" | json "['echo_intact']"); r=$(calc "$m / $b")
        label=$([ "$mode" = quick ] && echo "AT+CIPQSEND=1, DATA ACCEPT" || echo "SEND OK")
        row "Sustained AT+CIPSEND=1460 with +IPD echo, ${SUSTAINED_SECONDS} s, $label (stalls: $stalls, echo intact: $intact)" \
            "$(fmt "$m" .3f) MB/s" "$(fmt "$b" .3f) MB/s (2 PTY round trips / 1460 B)" "$(fmt "$r" .2f)×" "≥ 0.7×, 0 stalls" \
            "$(calc "'met' if $r >= 0.7 and $stalls == 0 and '$intact' == 'True' else 'not met'")"
    done
    stop "$TCPECHO"
fi

if [[ " $SECTIONS " == *" paced "* ]]; then
    start_tcp_echo
    paced_bytes=$((11520 * PACED_SECONDS * 1460 / 1520 / 1460 * 1460))
    log "paced: modem emulate --pty --baud 115200 ($paced_bytes bytes)"
    "$MODEM" emulate --pty --baud 115200 --log-level warning --activation-delay 0 >"$WORK/modem-paced.path" 2>"$WORK/modem-paced.log" &
    EMU=$!; PIDS+=("$EMU")
    paced_json=$(python3 "$HELPER" throughput "$(first_line "$WORK/modem-paced.path")" --modem --port "$TCPPORT" --bytes "$paced_bytes")
    stop "$EMU"
    stop "$TCPECHO"
    log "paced: $paced_json"
    l=$(echo "$paced_json" | json "['line_bytes_per_s']"); g=$(echo "$paced_json" | json "['bytes_per_s']")
    r=$(calc "$l / 11520")
    row "Serial line use at --baud 115200 (all bytes the modem sends)" "$(fmt "$l" .0f) B/s" "11520 B/s (line rate)" \
        "$(fmt "$r" .4f)" "≥ 0.99" "$(calc "'met' if $r >= 0.99 else 'not met'")"
    row "Link payload at --baud 115200 (goodput, for information)" "$(fmt "$g" .0f) B/s" "11520 B/s (line rate)" \
        "$(fmt "$g / 11520" .4f)" "—" "—"
fi

# --- (c) scale: resident memory per idle modem, and 1,000 modems polled 10 times a second --------
vmrss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

start_many() {  # start_many N LOG [FLAGS...]: modem emulate --count N on BASE.., waits until all listen
    local n=$1 logfile=$2
    shift 2
    "$MODEM" emulate --listen 127.0.0.1:"$BASE" --count "$n" --log-level warning "$@" >/dev/null 2>"$logfile" &
    EMU=$!; PIDS+=("$EMU")
    for _ in $(seq 600); do
        [ "$(python3 "$HELPER" listening "$BASE" "$n")" -ge "$n" ] && break
        kill -0 "$EMU" 2>/dev/null || { cat "$logfile" >&2; exit 1; }
        sleep 0.1
    done
    sleep 1
}

if [[ " $SECTIONS " == *" scale "* ]]; then
    if [ "$NOFILE" -lt $((SCALE_N + 100)) ]; then
        log "scale: ulimit -n is $NOFILE, fewer than $SCALE_N modems need; skipped"
    else
        log "scale: --count 1"
        start_many 1 "$WORK/scale1.log"
        one=$(vmrss_kib "$EMU")
        stop "$EMU"
        log "scale: --count $SCALE_N"
        start_many "$SCALE_N" "$WORK/scaleN.log"
        many=$(vmrss_kib "$EMU")
        stop "$EMU"
        log "scale: VmRSS $one KiB with 1 modem, $many KiB with $SCALE_N"
        per=$(calc "($many - $one) / ($SCALE_N - 1)")
        row "Resident memory per idle modem (--count $SCALE_N)" "$(fmt "$per" .1f) KiB" \
            "$one KiB (whole process, --count 1)" "$(fmt "$per / 64" .2f)× of target" "≤ 64 KiB" \
            "$(calc "'met' if $per <= 64 else 'not met'")"
    fi
fi

if [[ " $SECTIONS " == *" poll "* ]]; then
    log "poll: --count $POLL_N, each polled with AT+CIPSTATUS 10 times a second"
    start_many "$POLL_N" "$WORK/poll.log"
    poll_json=$(python3 "$HELPER" poll "$BASE" "$POLL_N" --rate 10 --procs 4 --warmup 3 --duration 10)
    stop "$EMU"
    log "poll: $poll_json"
    p99=$(echo "$poll_json" | json "['p99_us']"); p50=$(echo "$poll_json" | json "['p50_us']")
    rps=$(echo "$poll_json" | json "['requests_per_s']"); missed=$(echo "$poll_json" | json "['missed']")
    row "p99 reply latency, $POLL_N modems × 10 AT+CIPSTATUS/s ($(fmt "$rps" .0f) replies/s, $missed missed)" \
        "$(fmt "$p99 / 1000" .2f) ms" "p50 $(fmt "$p50 / 1000" .2f) ms" "$(fmt "$p99 / 5000" .2f)× of target" "≤ 5 ms" \
        "$(calc "'met' if $p99 <= 5000 else 'not met'")"
fi

# --- (d) live: what the live view costs, LIVE_N modems, POLL_N of them polled, the page open ------
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

if [[ " $SECTIONS " == *" live "* ]]; then
    declare -A CPU RSS P99
    for mode in without with; do
        flags=()
        [ "$mode" = with ] && flags=(--http "127.0.0.1:$HTTP_PORT")
        log "live: --count $LIVE_N ${flags[*]:-}, $POLL_N polled with AT+CIPSTATUS 10 times a second"
        start_many "$LIVE_N" "$WORK/live-$mode.log" "${flags[@]}"
        RSS[$mode]=$(vmrss_kib "$EMU")
        watcher=""
        if [ "$mode" = with ]; then
            python3 "$ROOT/scripts/bench_live.py" watch "http://127.0.0.1:$HTTP_PORT/" --seconds 14 >"$WORK/live-watch.json" &
            watcher=$!
            sleep 1
        fi
        before=$(cpu_ticks "$EMU")
        live_json=$(python3 "$HELPER" poll "$BASE" "$POLL_N" --rate 10 --procs 4 --warmup 3 --duration 10)
        CPU[$mode]=$(( $(cpu_ticks "$EMU") - before ))
        P99[$mode]=$(echo "$live_json" | json "['p99_us']")
        [ -n "$watcher" ] && wait "$watcher"
        stop "$EMU"
        log "live ($mode the view): CPU ${CPU[$mode]} ticks, VmRSS at start ${RSS[$mode]} KiB; poll $live_json"
        [ "$mode" = with ] && log "live: page $(cat "$WORK/live-watch.json")"
    done
    watch_json=$(cat "$WORK/live-watch.json")
    ratio=$(calc "${CPU[with]} / max(1, ${CPU[without]})")
    row "CPU of the emulator, $LIVE_N modems, $POLL_N polled 10×/s, live view open ($(echo "$watch_json" | json "['client']"))" \
        "${CPU[with]} ticks" "${CPU[without]} ticks (no --http)" "$(fmt "$ratio" .2f)×" "—" "—"
    row "Resident memory at start, $LIVE_N modems, with --http" "${RSS[with]} KiB" "${RSS[without]} KiB (no --http)" \
        "$(fmt "${RSS[with]} / ${RSS[without]}" .2f)×" "—" "—"
    row "p99 AT+CIPSTATUS reply latency in that run, with the view" "$(fmt "${P99[with]} / 1000" .2f) ms" \
        "$(fmt "${P99[without]} / 1000" .2f) ms (no --http)" "$(fmt "${P99[with]} / max(1, ${P99[without]})" .2f)×" "—" "—"
    row "Live view updates received (fleet + modem 0 pages)" \
        "$(fmt "$(echo "$watch_json" | json "['messages_per_s']")" .1f) messages/s, $(fmt "$(echo "$watch_json" | json "['rows_per_s']")" .0f) fleet rows/s" \
        "—" "—" "—" "—"
fi

echo
echo "| figure | measured | baseline (same run) | ratio | target | met |"
echo "|---|---|---|---|---|---|"
for r in "${ROWS[@]}"; do echo "$r"; done
