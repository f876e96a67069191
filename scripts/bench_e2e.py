#!/usr/bin/env python3
"""Load and latency clients for scripts/bench-e2e.sh (Python 3 standard library only).

Subcommands (each prints one JSON object on stdout when it has a result):
  pty-echo                 a bare PTY echo: prints the slave path, echoes whatever the host writes
  tcp-echo PORT            a TCP echo server (one thread per connection)
  tcp-source PORT          sends --bytes after the client's first byte (inbound throughput)
  tcp-sink PORT            reads --bytes, then answers b"!" (outbound throughput)
  rtt DEVICE [--modem]     round trips of AT+CIPSTATUS over a serial device
  throughput DEVICE ...    bytes through a link (--modem: AT+CIPSEND out, +RECEIVE in; --transparent:
                           AT+CIPMODE=1, raw bytes) or a raw relay; --direction both|in|out
  sustained DEVICE ...     back-to-back AT+CIPSEND=1460 (one at a time) to a TCP echo, +IPD echo checked
                           byte for byte, for --seconds; --quick: AT+CIPQSEND=1; --baseline: the same two
                           round trips per 1460 bytes against a bare PTY echo (the bound)
  listening BASE N         how many TCP ports in BASE..BASE+N-1 are listening
  poll BASE N ...          N modems on BASE.., each polled with AT+CIPSTATUS RATE times a second
"""

import argparse
import heapq
import json
import os
import select
import selectors
import socket
import sys
import termios
import threading
import time
import tty

REQUEST = b"AT+CIPSTATUS\r"


def percentile(samples, p):
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def summary(samples_ns):
    us = [s / 1000 for s in samples_ns]
    return {
        "n": len(us),
        "p50_us": percentile(us, 50),
        "p99_us": percentile(us, 99),
        "max_us": max(us) if us else float("nan"),
    }


def open_device(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd, termios.TCSANOW)
    return fd


# --- bare echoes -------------------------------------------------------------------------------


def pty_echo(_):
    master, slave = os.openpty()
    tty.setraw(slave, termios.TCSANOW)
    print(os.ttyname(slave), flush=True)
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            return
        if not data:
            return
        view = memoryview(data)
        while view:
            view = view[os.write(master, view):]


def tcp_echo(args):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", args.port))
    server.listen(64)
    print(server.getsockname()[1], flush=True)

    def serve(conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)

    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def tcp_server(port, serve):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(64)
    print(server.getsockname()[1], flush=True)

    def run(conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            serve(conn)
            while conn.recv(65536):  # then wait for the close
                pass

    while True:
        conn, _ = server.accept()
        threading.Thread(target=run, args=(conn,), daemon=True).start()


def tcp_source(args):
    """Inbound: after the first byte from the client, sends --bytes bytes as fast as TCP takes them."""
    data = payload(65536)

    def serve(conn):
        if not conn.recv(1):
            return
        left = args.bytes
        while left > 0:
            left -= conn.send(data[:min(left, len(data))])

    tcp_server(args.port, serve)


def tcp_sink(args):
    """Outbound: reads --bytes bytes, then answers with one byte (b"!") so the client can time it."""

    def serve(conn):
        got = 0
        while got < args.bytes:
            data = conn.recv(65536)
            if not data:
                return
            got += len(data)
        conn.sendall(b"!")

    tcp_server(args.port, serve)


# --- a serial host -----------------------------------------------------------------------------


class Host:
    """A blocking serial host on a device (PTY slave) with a read buffer."""

    def __init__(self, path):
        self.fd = open_device(path)
        self.buffer = bytearray()

    def write(self, data):
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def read_until(self, token, timeout=10.0):
        deadline = time.monotonic() + timeout
        while token not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError(f"waiting for {token!r}, have {bytes(self.buffer[-200:])!r}")
            self.buffer += os.read(self.fd, 65536)
        end = self.buffer.index(token) + len(token)
        head = bytes(self.buffer[:end])
        del self.buffer[:end]
        return head

    def command(self, line, final=b"OK\r\n", timeout=10.0):
        self.write(line.encode() + b"\r")
        return self.read_until(final, timeout)


def reply_complete(buffer):
    return b"STATE: " in buffer and buffer.endswith(b"\r\n")


def rtt(args):
    host = Host(args.device)
    if args.modem:
        host.command("ATE0")
    samples = []
    for i in range(args.warmup + args.count):
        buffer = bytearray()
        start = time.perf_counter_ns()
        os.write(host.fd, REQUEST)
        if args.modem:
            while not reply_complete(buffer):
                buffer += os.read(host.fd, 4096)
        else:
            while len(buffer) < len(REQUEST):
                buffer += os.read(host.fd, 4096)
        elapsed = time.perf_counter_ns() - start
        if i >= args.warmup:
            samples.append(elapsed)
    print(json.dumps(summary(samples)))


# --- throughput --------------------------------------------------------------------------------


def payload(size):
    letters = bytes(range(ord("a"), ord("z") + 1))
    return (letters * (size // len(letters) + 1))[:size]


def volumes(args):
    """(bytes out, bytes in, bytes measured) for --direction: both (an echo server), in (a source
    server started by one byte), out (a sink server that answers the last byte with one byte)."""
    total = args.bytes - args.bytes % args.chunk
    return {"both": (total, total, total), "in": (1, total, total), "out": (total, 1, total)}[args.direction]


def start_transparent(host, port):
    """AT+CIPMODE=1, bring the context up, AT+CIPSTART: CONNECT, then raw bytes both ways."""
    host.command("ATE0")
    host.command("AT+CIPMODE=1")
    host.command('AT+CSTT="internet"')
    host.command("AT+CIICR", timeout=30)
    host.command("AT+CIFSR", final=b"\r\n", timeout=5)
    host.read_until(b"\r\n")  # the address line
    host.command(f'AT+CIPSTART="TCP","127.0.0.1",{port}', final=b"\r\nCONNECT\r\n")
    if host.buffer:
        raise RuntimeError(f"unexpected bytes after CONNECT: {bytes(host.buffer)!r}")


def throughput_raw(args):
    """Streams bytes through a raw relay (socat PTY <-> TCP server) or the modem in transparent
    mode, and reads back what the server sends."""
    host = Host(args.device)
    if args.transparent:
        start_transparent(host, args.port)
    out_total, in_total, measured = volumes(args)
    chunk = payload(min(args.chunk, out_total))

    def writer():
        sent = 0
        while sent < out_total:
            host.write(chunk)
            sent += len(chunk)

    received = 0
    start = time.perf_counter()
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    while received < in_total:
        received += len(os.read(host.fd, 65536))
    elapsed = time.perf_counter() - start
    thread.join()
    print(json.dumps({"bytes": measured, "seconds": elapsed, "bytes_per_s": measured / elapsed}))


def throughput_modem(args):
    """AT+CIPSEND=0,<chunk> out, +RECEIVE,0,<n>: in, through a link to the TCP echo server."""
    host = Host(args.device)
    host.command("ATE0")
    host.command("AT+CIPMUX=1")
    host.command('AT+CSTT="internet"')
    host.command("AT+CIICR", timeout=30)
    host.command("AT+CIFSR", final=b"\r\n", timeout=5)
    host.read_until(b"\r\n")  # the address line
    host.command(f'AT+CIPSTART=0,"TCP","127.0.0.1",{args.port}', final=b"CONNECT OK\r\n")
    host.buffer.clear()
    total, in_total, measured = volumes(args)
    chunk = payload(min(args.chunk, total))
    buffer = bytearray()
    sent = 0
    received = 0
    line_bytes = 0
    waiting = None  # b"> " or b"SEND OK\r\n"
    remaining = 0  # data bytes of a +RECEIVE still to come
    first_at = last_at = None
    start = time.perf_counter()

    command = f"AT+CIPSEND=0,{len(chunk)}\r".encode()
    in_flight = 0

    def send_next():
        # Stop and wait (window 1) as on a real module: the data follows the "> " prompt. With a
        # window above 1 the command and its data go out together, `window` of them in flight.
        nonlocal waiting, sent, in_flight
        if args.window == 1:
            if sent < total:
                os.write(host.fd, command)
                waiting = b"> "
            else:
                waiting = None
            return
        while sent < total and in_flight < args.window:
            host.write(command + chunk)
            sent += len(chunk)
            in_flight += 1
        waiting = b"SEND OK\r\n"

    send_next()
    while received < in_total:
        data = os.read(host.fd, 65536)
        now = time.perf_counter()
        if first_at is None:
            first_at = now
        else:
            line_bytes += len(data)
        last_at = now
        buffer += data
        while buffer:
            if remaining:
                take = min(remaining, len(buffer))
                del buffer[:take]
                remaining -= take
                received += take
                continue
            marks = [(buffer.find(t), t) for t in (b"+RECEIVE,", b"> ", b"SEND OK\r\n", b"ERROR", b"CLOSED", b"SEND FAIL")]
            marks = [(i, t) for i, t in marks if i >= 0]
            if not marks:
                break
            index, token = min(marks)
            if token == b"+RECEIVE,":
                end = buffer.find(b":\r\n", index)
                if end < 0:
                    break
                remaining = int(buffer[index + len(token):end].split(b",")[1])
                del buffer[:end + 3]
            elif token in (b"ERROR", b"CLOSED", b"SEND FAIL"):
                raise RuntimeError(f"the modem replied {bytes(buffer[:index + 40])!r}")
            else:
                del buffer[:index + len(token)]
                if token == b"> " and waiting == b"> ":
                    os.write(host.fd, chunk)
                    sent += len(chunk)
                    waiting = b"SEND OK\r\n"
                elif token == b"SEND OK\r\n" and waiting == b"SEND OK\r\n":
                    in_flight = max(0, in_flight - 1)
                    send_next()
    elapsed = time.perf_counter() - start
    span = (last_at - first_at) if last_at and first_at and last_at > first_at else elapsed
    print(json.dumps({
        "bytes": measured, "seconds": elapsed, "bytes_per_s": measured / elapsed,
        "line_bytes_per_s": line_bytes / span,
    }))


def throughput(args):
    (throughput_modem if args.modem and not args.transparent else throughput_raw)(args)


# --- scale -------------------------------------------------------------------------------------


def listening(args):
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A":
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except FileNotFoundError:
            pass
    print(sum(1 for p in range(args.base, args.base + args.count) if p in ports))


def poll_worker(ports, rate, warmup, duration, result_fd):
    selector = selectors.DefaultSelector()
    conns = []
    for port in ports:
        for attempt in range(100):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"cannot connect to {port}")
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"ATE0\r")
        got = b""
        while b"OK\r\n" not in got:
            chunk = s.recv(4096)
            if not chunk:
                raise RuntimeError(f"modem on {port} closed the line")
            got += chunk
        s.setblocking(False)
        conns.append(s)
    period = 1.0 / rate
    n = len(conns)
    t0 = time.perf_counter() + 0.2
    state = []
    for i, s in enumerate(conns):
        entry = {"sock": s, "next": t0 + period * i / n, "sent": None, "buf": bytearray()}
        state.append(entry)
        selector.register(s, selectors.EVENT_READ, entry)
    samples = []
    missed = 0
    measure_from = t0 + warmup
    end = measure_from + duration
    heap = [(e["next"], i) for i, e in enumerate(state)]
    heapq.heapify(heap)
    while True:
        now = time.perf_counter()
        if now >= end:
            break
        while heap and heap[0][0] <= now:
            due, i = heapq.heappop(heap)
            e = state[i]
            if e["sent"] is not None:
                if due >= measure_from:
                    missed += 1  # the previous reply has not arrived: count it, do not pile up
            else:
                e["buf"].clear()
                e["sent"] = time.perf_counter_ns()
                e["due"] = due
                e["sock"].send(REQUEST)
            heapq.heappush(heap, (due + period, i))
        timeout = max(0.0, heap[0][0] - time.perf_counter()) if heap else 0.01
        for key, _ in selector.select(timeout):
            e = key.data
            data = e["sock"].recv(4096)
            if not data:
                raise RuntimeError("a modem closed the line")
            e["buf"] += data
            if e["sent"] is not None and reply_complete(e["buf"]):
                done = time.perf_counter_ns()
                if e["due"] >= measure_from:
                    samples.append(done - e["sent"])
                e["sent"] = None
    os.write(result_fd, json.dumps({"samples": samples, "missed": missed}).encode())
    os.close(result_fd)


def poll(args):
    ports = list(range(args.base, args.base + args.count))
    groups = [ports[i::args.procs] for i in range(args.procs)]
    children = []
    for group in groups:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            code = 0
            try:
                poll_worker(group, args.rate, args.warmup, args.duration, w)
            except Exception as error:  # report, do not hang the parent
                print(f"poll worker: {error}", file=sys.stderr)
                code = 1
            os._exit(code)
        os.close(w)
        children.append((pid, r))
    samples = []
    missed = 0
    for pid, r in children:
        chunks = []
        while True:
            data = os.read(r, 1 << 20)
            if not data:
                break
            chunks.append(data)
        os.close(r)
        _, status = os.waitpid(pid, 0)
        if status != 0 or not chunks:
            raise SystemExit("a poll worker failed")
        result = json.loads(b"".join(chunks))
        samples += result["samples"]
        missed += result["missed"]
    out = summary(samples)
    out["missed"] = missed
    out["requests_per_s"] = len(samples) / args.duration
    print(json.dumps(out))


def sustained(args):
    """Back-to-back sends, one at a time, each: AT+CIPSEND=1460 / "> " / 1460 bytes / SEND OK (or
    DATA ACCEPT), with the echo arriving as +IPD frames between and around them. A wait longer than
    --stall seconds is a stall: the run stops and reports it. --baseline runs the same two round trips
    against a bare PTY echo (the command line comes back instead of "> ", the data instead of its
    result), read by the same loop."""
    host = Host(args.device)
    block = payload(1460)
    command = b"AT+CIPSEND=1460\r"
    received = bytearray()
    state = {"sent": 0, "checked": 0}

    def take_frames():
        """Moves complete +IPD frames from the buffer into `received`."""
        while True:
            start = host.buffer.find(b"+IPD,")
            if start < 0:
                return
            colon = host.buffer.find(b":", start)
            if colon < 0:
                return
            length = int(host.buffer[start + 5:colon])
            if len(host.buffer) < colon + 1 + length:
                return
            received.extend(host.buffer[colon + 1:colon + 1 + length])
            # Drop the frame, and the CRLF the header starts with.
            head = start - 2 if host.buffer[start - 2:start] == b"\r\n" else start
            del host.buffer[head:colon + 1 + length]

    def wait_for(token):
        deadline = time.monotonic() + args.stall
        while True:
            take_frames()
            index = host.buffer.find(token)
            if index >= 0:
                del host.buffer[:index + len(token)]
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([host.fd], [], [], remaining)[0]:
                raise TimeoutError(f"stall: waiting for {token!r} after {state['sent']} sends")
            host.buffer += os.read(host.fd, 65536)

    def numbered(index):
        # Each block carries its number, so a lost, repeated or reordered block shows.
        return index.to_bytes(8, "big") + block[8:]

    def check_echo():
        while len(received) >= 1460:
            if received[:1460] != numbered(state["checked"]):
                raise ValueError(f"corrupted echo at block {state['checked']}")
            del received[:1460]
            state["checked"] += 1

    if args.baseline:
        def one_send():
            host.write(command)
            wait_for(command)
            data = numbered(state["sent"])
            host.write(data)
            wait_for(data)
            state["sent"] += 1
            return 1460
    else:
        host.command("ATE0")
        host.command("AT+CIPHEAD=1")
        if args.quick:
            host.command("AT+CIPQSEND=1")
        host.command('AT+CSTT="internet"')
        host.command("AT+CIICR", timeout=30)
        host.command("AT+CIFSR", final=b"\r\n")
        host.read_until(b"\r\n")
        host.command(f'AT+CIPSTART="TCP","127.0.0.1",{args.port}', final=b"CONNECT OK\r\n", timeout=30)
        result = b"\r\nDATA ACCEPT:1460\r\n" if args.quick else b"\r\nSEND OK\r\n"

        def one_send():
            host.write(command)
            wait_for(b"> ")
            host.write(numbered(state["sent"]))
            wait_for(result)
            state["sent"] += 1
            check_echo()
            return 1460

    total = 0
    stalls = 0
    error = None
    start = time.monotonic()
    try:
        while time.monotonic() - start < args.seconds:
            total += one_send()
    except TimeoutError as failure:
        stalls = 1
        error = str(failure)
    elapsed = time.monotonic() - start
    out = {"bytes": total, "seconds": elapsed, "mb_per_s": total / elapsed / 1e6, "stalls": stalls}
    if not args.baseline:
        # The rest of the echo, then every byte must have come back intact.
        deadline = time.monotonic() + args.stall
        while state["checked"] * 1460 + len(received) < total and time.monotonic() < deadline and not stalls:
            if select.select([host.fd], [], [], max(0, deadline - time.monotonic()))[0]:
                host.buffer += os.read(host.fd, 65536)
            take_frames()
        check_echo()
        out["echo_checked_bytes"] = state["checked"] * 1460
        out["echo_intact"] = state["checked"] * 1460 == total and not received
    if error:
        out["error"] = error
    print(json.dumps(out), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("pty-echo").set_defaults(run=pty_echo)
    p = sub.add_parser("tcp-echo")
    p.add_argument("port", type=int)
    p.set_defaults(run=tcp_echo)
    for name, run in (("tcp-source", tcp_source), ("tcp-sink", tcp_sink)):
        p = sub.add_parser(name)
        p.add_argument("port", type=int)
        p.add_argument("--bytes", type=int, default=16 << 20)
        p.set_defaults(run=run)
    p = sub.add_parser("rtt")
    p.add_argument("device")
    p.add_argument("--modem", action="store_true")
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--warmup", type=int, default=1000)
    p.set_defaults(run=rtt)
    p = sub.add_parser("throughput")
    p.add_argument("device")
    p.add_argument("--modem", action="store_true")
    p.add_argument("--port", type=int, default=0, help="the TCP echo server (--modem)")
    p.add_argument("--bytes", type=int, default=16 << 20)
    p.add_argument("--chunk", type=int, default=1460)
    p.add_argument("--window", type=int, default=1, help="AT+CIPSEND commands in flight (--modem)")
    p.add_argument("--direction", choices=("both", "in", "out"), default="both",
                   help="both: an echo server; in: a tcp-source; out: a tcp-sink")
    p.add_argument("--transparent", action="store_true", help="--modem in transparent mode (AT+CIPMODE=1)")
    p.set_defaults(run=throughput)
    p = sub.add_parser("sustained")
    p.add_argument("device")
    p.add_argument("--port", type=int, default=0, help="the TCP echo server")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--quick", action="store_true", help="AT+CIPQSEND=1: DATA ACCEPT instead of SEND OK")
    p.add_argument("--baseline", action="store_true", help="a bare PTY echo instead of the modem")
    p.add_argument("--stall", type=float, default=5, help="seconds without the awaited reply that count as a stall")
    p.set_defaults(run=sustained)
    p = sub.add_parser("listening")
    p.add_argument("base", type=int)
    p.add_argument("count", type=int)
    p.set_defaults(run=listening)
    p = sub.add_parser("poll")
    p.add_argument("base", type=int)
    p.add_argument("count", type=int)
    p.add_argument("--rate", type=float, default=10)
    p.add_argument("--procs", type=int, default=4)
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--duration", type=float, default=10)
    p.set_defaults(run=poll)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
