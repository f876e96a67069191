#!/usr/bin/env python3
"""Soak: many modems of one `modem emulate --count N` process, each driven by a host that loops
attach -> connect -> send/receive with byte checks -> close -> shut against a loopback TCP echo,
while faults are injected at random through the control socket (PDP drop, remote close, refused
connects, line noise, reset). Python 3 standard library only.

  scripts/soak.py --modem .build/release/modem [--count 100] [--seconds 600] [--base 21000]

At the end every modem must answer AT within 1 s, no received byte may differ from what was sent,
and the emulator's resident memory after warm-up may grow by at most 10 %. Prints one JSON object;
exits 1 when a check fails.
"""

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def echo_server():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(256)

    def serve(conn):
        with conn:
            try:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        return
                    conn.sendall(data)
            except OSError:
                return

    def accept():
        while True:
            conn, _ = server.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return server.getsockname()[1]


class Deviation(Exception):
    """The modem answered something other than the step expects (a fault hit this cycle)."""


class Host:
    """One modem's serial host over --listen, reading with deadlines, +IPD frames taken apart."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()
        self.received = bytearray()

    def fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Deviation("timeout")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise Deviation("timeout")
        if not data:
            raise ConnectionError("serial connection closed")
        self.buffer += data

    def take_frames(self):
        while True:
            start = self.buffer.find(b"+IPD,")
            if start < 0:
                return
            colon = self.buffer.find(b":", start, start + 12)
            if colon < 0:
                if len(self.buffer) - start > 12:
                    del self.buffer[start:start + 5]  # noise that looked like a header
                    continue
                return
            try:
                length = int(self.buffer[start + 5:colon])
            except ValueError:
                del self.buffer[start:start + 5]
                continue
            if len(self.buffer) < colon + 1 + length:
                return
            self.received += self.buffer[colon + 1:colon + 1 + length]
            del self.buffer[start:colon + 1 + length]

    def expect(self, tokens, timeout=10.0, failures=(b"ERROR", b"CLOSED", b"+PDP: DEACT", b"RDY", b"SEND FAIL",
                                                      b"CONNECT FAIL")):
        """Waits for one of `tokens`; a failure word, or the deadline, is a Deviation."""
        deadline = time.monotonic() + timeout
        while True:
            self.take_frames()
            for token in tokens:
                index = self.buffer.find(token)
                if index >= 0:
                    del self.buffer[:index + len(token)]
                    return token
            for failure in failures:
                if failure in self.buffer:
                    raise Deviation("CONNECT FAIL" if b"CONNECT FAIL" in self.buffer else failure.decode())
            self.fill(deadline)

    def command(self, line, tokens=(b"OK\r\n",), timeout=10.0):
        self.sock.sendall(line.encode() + b"\r")
        return self.expect(tokens, timeout)

    def resync(self, timeout=30.0):
        """After a deviation: AT until OK, with whatever came before discarded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.buffer.clear()
            self.sock.sendall(b"AT\r")
            try:
                self.expect((b"OK\r\n",), timeout=1.0, failures=())
                return
            except Deviation:
                continue
        raise Deviation("no answer to AT")


def run_host(index, port, echo_port, stop, stats, lock, seed):
    rng = random.Random(seed)
    host = Host(port)
    local = {"cycles": 0, "bytes_checked": 0, "corrupted": 0, "deviations": {}}

    def deviation(kind):
        local["deviations"][kind] = local["deviations"].get(kind, 0) + 1

    while not stop.is_set():
        sent = bytearray()
        host.received.clear()
        try:
            host.resync()
            host.command("ATE0")
            host.command("AT+CIPSHUT", (b"SHUT OK\r\n",))
            host.command("AT+CIPHEAD=1")
            quick = rng.random() < 0.5
            host.command(f"AT+CIPQSEND={1 if quick else 0}")
            host.command('AT+CSTT="internet"')
            host.command("AT+CIICR", timeout=30)
            host.command("AT+CIFSR", (b".",))
            host.expect((b"\r\n",))
            host.command(f'AT+CIPSTART="TCP","127.0.0.1",{echo_port}', (b"CONNECT OK\r\n",), timeout=30)
            result = b"DATA ACCEPT:" if quick else b"SEND OK\r\n"
            for _ in range(rng.randint(5, 40)):
                size = rng.randint(1, 1460)
                block = rng.randbytes(size)
                host.command(f"AT+CIPSEND={size}", (b"> ",))
                host.sock.sendall(block)
                host.expect((result,))
                sent += block
                if host.received != sent[:len(host.received)]:
                    local["corrupted"] += 1
                    break
            # The rest of the echo.
            deadline = time.monotonic() + 10
            while len(host.received) < len(sent):
                host.take_frames()
                if len(host.received) >= len(sent):
                    break
                host.fill(deadline)
            if host.received != sent:
                local["corrupted"] += 1
            local["bytes_checked"] += len(sent)
            host.command("AT+CIPCLOSE", (b"CLOSE OK\r\n",))
            host.command("AT+CIPSHUT", (b"SHUT OK\r\n",))
            local["cycles"] += 1
        except Deviation as failure:
            # A fault hit the cycle: what arrived so far must still be what was sent.
            if host.received != sent[:len(host.received)]:
                local["corrupted"] += 1
            deviation(str(failure))
        except (ConnectionError, OSError) as failure:
            deviation(f"serial: {failure}")
            time.sleep(0.2)
            try:
                host = Host(port)
            except OSError:
                pass
    # Final check: AT answered within 1 s once the host has read what was queued.
    answered = None
    try:
        host.buffer.clear()
        host.sock.settimeout(0.2)
        try:
            while host.sock.recv(65536):
                pass
        except (socket.timeout, BlockingIOError):
            pass
        start = time.monotonic()
        host.sock.sendall(b"AT\r")
        host.expect((b"OK\r\n",), timeout=1.0, failures=())
        answered = time.monotonic() - start
    except (Deviation, OSError):
        answered = None
    with lock:
        stats["cycles"] += local["cycles"]
        stats["bytes_checked"] += local["bytes_checked"]
        stats["corrupted"] += local["corrupted"]
        for kind, count in local["deviations"].items():
            stats["deviations"][kind] = stats["deviations"].get(kind, 0) + count
        stats["at_latency"][index] = answered


def control(path, request):
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(path)
        sock.sendall(json.dumps(request).encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            data = sock.recv(65536)
            if not data:
                break
            reply += data
        return json.loads(reply or b"{}")


def inject_faults(path, count, stop, faults, seed, interval):
    rng = random.Random(seed)
    kinds = ["pdp-deact", "remote-close", "refuse-connects", "noise", "reset"]
    while not stop.wait(rng.uniform(interval / 2, interval * 1.5)):
        modem = rng.randrange(count)
        kind = rng.choice(kinds)
        arguments = {"remote-close": ["0"], "refuse-connects": ["on"], "noise": ["64"]}.get(kind, [])
        try:
            reply = control(path, {"command": kind, "arguments": arguments, "modem": modem})
        except OSError:
            continue
        faults[kind] = faults.get(kind, 0) + 1
        if not reply.get("ok"):
            faults[kind + " (refused)"] = faults.get(kind + " (refused)", 0) + 1
        if kind == "refuse-connects":
            def allow_again(m=modem):
                try:
                    control(path, {"command": "refuse-connects", "arguments": ["off"], "modem": m})
                except OSError:
                    pass  # the run is over
            threading.Timer(1.0, allow_again).start()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modem", required=True, help="the modem executable")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--warmup", type=float, default=None, help="default: a tenth of --seconds")
    parser.add_argument("--base", type=int, default=21000)
    parser.add_argument("--fault-interval", type=float, default=0.5, help="mean seconds between faults")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    warmup = args.warmup if args.warmup is not None else args.seconds / 10

    echo_port = echo_server()
    workdir = tempfile.mkdtemp(prefix="modem-soak.")
    control_path = os.path.join(workdir, "control")
    emulator = subprocess.Popen(
        [args.modem, "emulate", "--listen", f"127.0.0.1:{args.base}", "--count", str(args.count),
         "--control", control_path, "--echo", "off", "--activation-delay", "5ms", "--log-level", "error"],
        stderr=open(os.path.join(workdir, "emulator.log"), "w"))
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(control_path):
            if time.monotonic() > deadline or emulator.poll() is not None:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.05)
        stop = threading.Event()
        lock = threading.Lock()
        stats = {"cycles": 0, "bytes_checked": 0, "corrupted": 0, "deviations": {}, "at_latency": {}}
        faults = {}
        hosts = [threading.Thread(target=run_host, args=(i, args.base + i, echo_port, stop, stats, lock,
                                                         args.seed * 1000 + i))
                 for i in range(args.count)]
        for thread in hosts:
            thread.start()
        injector = threading.Thread(target=inject_faults,
                                    args=(control_path, args.count, stop, faults, args.seed, args.fault_interval))
        injector.start()
        start = time.monotonic()
        samples = []
        while time.monotonic() - start < args.seconds:
            time.sleep(5)
            samples.append((time.monotonic() - start, rss_kib(emulator.pid)))
        stop.set()
        injector.join()
        for thread in hosts:
            thread.join(timeout=120)
        after_warmup = [kib for at, kib in samples if at >= warmup]
        warm = after_warmup[0] if after_warmup else samples[-1][1]
        final = samples[-1][1]
        latencies = [v for v in stats["at_latency"].values() if v is not None]
        result = {
            "modems": args.count, "seconds": args.seconds, "cycles": stats["cycles"],
            "bytes_checked": stats["bytes_checked"], "corrupted": stats["corrupted"],
            "faults": faults, "deviations": stats["deviations"],
            "answered_at_within_1s": sum(1 for v in latencies if v <= 1.0),
            "at_max_ms": round(max(latencies) * 1000, 1) if latencies else None,
            "rss_kib": {"first": samples[0][1], "after_warmup": warm, "final": final,
                        "peak": max(kib for _, kib in samples)},
            "rss_growth_after_warmup": round(final / warm - 1, 4),
            "rss_kib_each_minute": [kib for at, kib in samples if int(at) % 60 < 5],
            "emulator_alive": emulator.poll() is None,
        }
        ok = (result["corrupted"] == 0 and result["answered_at_within_1s"] == args.count
              and result["rss_growth_after_warmup"] <= 0.10 and result["emulator_alive"])
        result["passed"] = ok
        print(json.dumps(result), flush=True)
        return 0 if ok else 1
    finally:
        emulator.terminate()
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()


if __name__ == "__main__":
    sys.exit(main())
