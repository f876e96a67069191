"""The HTTP API of `modem emulate --http` (docs/http-api.md, docs/http-api.yaml) against a real emulator:
the JSON endpoints with good and bad input, /metrics, the WebSocket live updates (with a hand-made
client, so that a test controls when, or whether, it reads), and the OpenAPI description.

Standard library only (the WebSocket client is hand-made), except for the two tests of the OpenAPI
description: PyYAML, jsonschema and openapi-spec-validator (validity, real replies against the
schemas) and schemathesis (generated requests). Without those packages these two tests are skipped,
except in CI (`CI` set), where they fail.
"""

import base64
import json
import os
import pathlib
import re
import select
import socket
import struct
import subprocess
import sys
import threading
import time
import tty

import pytest

from conftest import ROOT, LiveEmulator as Emulator

SPEC = pathlib.Path(ROOT) / "docs" / "http-api.yaml"


def need(module: str):
    """The module, or a skip when it is not installed, except in CI (`CI` set), where that fails."""
    if os.environ.get("CI"):
        return __import__(module)
    return pytest.importorskip(module)


# --- the emulator ------------------------------------------------------------------------------


@pytest.fixture
def start():
    """`start(*args)` starts an emulator; each is stopped (and must exit 0) at the end of the test."""
    started: list[Emulator] = []

    def make(*args: str) -> Emulator:
        started.append(Emulator(*args))
        return started[-1]

    yield make
    for emulator in started:
        emulator.stop()


class Host:
    """The host's side of the PTY, raw."""

    def __init__(self, path: str):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.fd, view):]
            except BlockingIOError:
                select.select([], [self.fd], [], 1)

    def read_until(self, pattern: bytes, timeout: float = 5.0) -> re.Match:
        """Reads until `pattern` (a regular expression) matches; consumes up to the end of the match."""
        deadline = time.monotonic() + timeout
        while (match := re.search(pattern, self.buffer)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {pattern!r} on the PTY within {timeout} s; read {self.buffer[-300:]!r}")
            if select.select([self.fd], [], [], remaining)[0]:
                try:
                    self.buffer += os.read(self.fd, 65536)
                except BlockingIOError:
                    pass
        self.buffer = self.buffer[match.end():]
        return match

    def read_count(self, count: int, timeout: float = 5.0) -> None:
        """Reads and drops `count` bytes."""
        deadline = time.monotonic() + timeout
        while len(self.buffer) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"only {len(self.buffer)} of {count} bytes on the PTY within {timeout} s")
            if select.select([self.fd], [], [], remaining)[0]:
                try:
                    self.buffer += os.read(self.fd, 1 << 20)
                except BlockingIOError:
                    pass
        self.buffer = self.buffer[count:]

    def at(self, command: str, result: bytes = rb"\r\nOK\r\n", timeout: float = 5.0) -> re.Match:
        self.send(command.encode() + b"\r")
        return self.read_until(result, timeout)

    def close(self) -> None:
        os.close(self.fd)


def serial_tcp(port: int) -> socket.socket:
    """The serial line of a `--listen` modem."""
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def tcp_read_until(sock: socket.socket, pattern: bytes, timeout: float = 5.0) -> bytes:
    buffer, deadline = b"", time.monotonic() + timeout
    while not re.search(pattern, buffer):
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(4096)
        assert chunk, f"serial line closed; read {buffer!r}"
        buffer += chunk
    return buffer


# --- a small WebSocket client (RFC 6455), reading only when told to ---------------------------


class WebSocket:
    """A client connection: the handshake by hand; frames read on demand (the server sends, unmasked)."""

    def __init__(self, port: int, path: str, rcvbuf: int | None = None, timeout: float = 5):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:  # before connect, so that the window is small from the start
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        self.head = head.decode("latin-1")
        self.status = int(self.head.split(" ", 2)[1]) if self.head else 0
        self.received = 0  # payload bytes of the messages read

    def _exactly(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def message(self, timeout: float = 5) -> dict:
        """The next text message, as JSON."""
        self.sock.settimeout(timeout)
        payload = b""
        while True:
            first, second = self._exactly(2)
            opcode, length = first & 0x0F, second & 0x7F
            assert not second & 0x80, "a server frame must not be masked"
            if length == 126:
                (length,) = struct.unpack("!H", self._exactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._exactly(8))
            data = self._exactly(length)
            if opcode == 0x8:
                raise ConnectionError(f"close frame {data!r}")
            if opcode == 0x9:  # the server's keep-alive ping: answer, as a browser does
                self._send(0xA, data)
                continue
            if opcode == 0xA:
                continue
            payload += data
            if first & 0x80:
                self.received += len(payload)
                return json.loads(payload)

    def until(self, predicate, timeout: float = 5) -> dict:
        """Reads messages until one satisfies `predicate`; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("no such WebSocket message in time")
            message = self.message(remaining)
            if predicate(message):
                return message

    def _send(self, opcode: int, payload: bytes) -> None:
        """One masked frame (a client must mask), payload under 126 bytes."""
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x80 | opcode, 0x80 | len(body)]) + mask + body)

    def close(self) -> None:
        try:  # a close frame (code 1000), then the socket
            self._send(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


def free_ports(count: int) -> int:
    """A base port with `count` consecutive free ports on 127.0.0.1."""
    for _ in range(50):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
        probe.close()
        if base + count > 65535:
            continue
        held = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                sock.bind(("127.0.0.1", port))
                held.append(sock)
            return base
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
    raise AssertionError("no run of free ports")


# --- 1. a stalled WebSocket client ---------------------------------------------------------------

# How long the stalled test drives traffic (its main phase). The server pings every 30 s and closes a
# client that has not answered by the next ping, so the stall must stay well inside that window.
NOISE_SECONDS = 13.0
# RSS growth allowed while the client is stalled. What the server may hold for it: one pending
# message (at most 256 records of at most 128 bytes each, escaped: well under 0.5 MiB) and the state
# of its loop; the socket buffers are kernel memory, not RSS (the stalled connection's send queue
# reaches about 2.8 MB). Measured growth is 1-3 MiB (debug build, a busy 2-core machine), so 6 MiB
# leaves room for allocator slack. A server that kept every record for the stalled client would
# grow by the records' JSON, which the test checks is more than twice the bound (about 120,000
# records, about 30 MB), and it checks that a reading client got more than 4 MB of
# messages meanwhile, so the stream really flowed.
RSS_BOUND = 6 * 2**20


def test_stalled_websocket_client_bounds_memory_and_leaves_the_modem_alone(start):
    emulator = start()
    host = Host(emulator.pty)
    host.at("AT")

    # The stalled client: a tiny receive window, the 101 read, then never another byte.
    stalled = WebSocket(emulator.port, "/api/modems/0/live", rcvbuf=4096)
    assert stalled.status == 101, stalled.head
    stalled_port = stalled.sock.getsockname()[1]
    try:
        stalled_phase(emulator, host, stalled_port)
    finally:
        stalled.sock.close()  # (an emulator with a stalled client does not stop on SIGTERM: see below)
    status, reply = emulator.get("/api/modems/0")
    assert status == 200 and reply["ok"] is True
    host.at("AT")
    host.close()


def stalled_phase(emulator: Emulator, host: Host, stalled_port: int) -> None:

    # A second client that keeps reading (and answers the server's pings).
    reader = WebSocket(emulator.port, "/api/modems/0/live")
    assert reader.status == 101, reader.head
    assert reader.message()["type"] == "snapshot"
    seen = {"records": 0, "messages": 0, "skipped": 0, "error": None}
    stop_reading = threading.Event()

    def read() -> None:
        try:
            while not stop_reading.is_set():
                try:
                    message = reader.message(timeout=0.5)
                except socket.timeout:
                    continue
                seen["messages"] += 1
                if message["type"] == "records":
                    seen["records"] += 1
                    seen["skipped"] += message["skipped"]
        except Exception as error:  # noqa: BLE001  (reported by the assertions below)
            seen["error"] = error

    thread = threading.Thread(target=read, daemon=True)
    thread.start()

    def noise(times: int) -> None:
        for _ in range(times):
            status, reply = emulator.post("/api/modems/0/noise", {"arguments": ["65536"]})
            assert (status, reply) == (200, {"ok": True})
            host.read_count(65536)

    def commands(times: int, batch: int = 50) -> None:
        for _ in range(times // batch):  # pipelined a little: `batch` commands, then their `batch` OKs
            host.send(b"AT\r" * batch)
            for _ in range(batch):
                host.read_until(rb"\r\nOK\r\n")

    # Warm-up: allocator pools, the feed's ring, the server's buffers reach their working size, and
    # the stalled client's socket buffers fill.
    commands(2000)
    noise(20)
    time.sleep(0.3)
    rss_before = emulator.rss()
    serial_before = serial_bytes(emulator)
    next_before = emulator.get("/api/modems/0/log")[1]["next"]
    received_before = reader.received

    worst = 0.0
    encoded = 0.0  # the JSON size of the records logged: their count × the mean size of a sample
    began_all = time.monotonic()
    def log_sample() -> tuple[int, float]:
        """The log's `next`, and the mean JSON size of the records it keeps (the latest 256)."""
        page = emulator.get("/api/modems/0/log")[1]
        return page["next"], sum(len(json.dumps(r, separators=(",", ":"))) for r in page["records"]) / len(page["records"])

    for _ in range(10):  # 20,000 `AT`, each answered `OK`, between bursts of noise
        start_seq = log_sample()[0]
        commands(2000)
        middle_seq, command_size = log_sample()
        deadline = time.monotonic() + NOISE_SECONDS / 10
        while time.monotonic() < deadline:
            noise(1)
        end_seq, noise_size = log_sample()
        encoded += (middle_seq - start_seq) * command_size + (end_seq - middle_seq) * noise_size
        began = time.monotonic()  # one round trip while the stalled client is stalled
        host.at("AT")
        worst = max(worst, time.monotonic() - began)
    elapsed = time.monotonic() - began_all

    time.sleep(0.3)
    rss_after = emulator.rss()
    produced = serial_bytes(emulator) - serial_before
    records = emulator.get("/api/modems/0/log")[1]["next"] - next_before
    offered = reader.received - received_before
    queued = server_send_queue(emulator.port, stalled_port)
    growth = rss_after - rss_before
    report = (
        f"RSS {rss_before / 2**20:.1f} MiB -> {rss_after / 2**20:.1f} MiB ({growth / 2**20:+.2f} MiB) in "
        f"{elapsed:.1f} s while {produced / 1e6:.1f} MB crossed the serial line in {records} log records "
        f"(about {encoded / 1e6:.1f} MB as JSON) and "
        f"{offered / 1e6:.1f} MB of WebSocket messages went to the reading client ({seen['messages']} messages, "
        f"{seen['records']} with records, {seen['skipped']} records skipped); the stalled connection's "
        f"server send queue: {queued} bytes; worst AT round trip {worst * 1000:.0f} ms"
    )
    print(report)

    assert queued is not None and queued > 0, f"the stalled connection is not stalled: {report}"
    assert encoded > 2 * RSS_BOUND and offered > 4_000_000, report
    assert growth < RSS_BOUND, report
    assert worst < 2.0, report
    assert seen["error"] is None, seen["error"]
    assert seen["records"] > 0, report

    stop_reading.set()
    thread.join(timeout=2)
    reader.close()


def test_sigterm_with_a_stalled_websocket_client_exits():
    emulator = Emulator()
    host = Host(emulator.pty)
    stalled = WebSocket(emulator.port, "/api/modems/0/live", rcvbuf=4096)
    try:
        assert stalled.status == 101, stalled.head
        # Traffic until the connection's kernel send buffer is full (its queue stops growing), so that
        # the server's write to it waits.
        client_port, queued, deadline = stalled.sock.getsockname()[1], [], time.monotonic() + 15
        while time.monotonic() < deadline and not (len(queued) > 3 and queued[-1] == queued[-4] > 0):
            for _ in range(5):
                emulator.post("/api/modems/0/noise", {"arguments": ["65536"]})
                host.read_count(65536)
            queued.append(server_send_queue(emulator.port, client_port))
        assert queued[-1], f"not stalled: send queue {queued}"
        emulator.process.terminate()
        try:
            code = emulator.process.wait(timeout=4)
        except subprocess.TimeoutExpired:
            raise AssertionError("no exit within 4 s of SIGTERM while a WebSocket client is stalled")
        assert code == 0
    finally:
        stalled.sock.close()
        host.close()
        if emulator.process.poll() is None:
            emulator.process.kill()
            emulator.process.wait()


def server_send_queue(server_port: int, client_port: int) -> int | None:
    """Bytes waiting in the kernel to go from the server to the client (`tx_queue` of /proc/net/tcp)."""
    for line in pathlib.Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1].split(":"), fields[2].split(":")
        if int(local[1], 16) == server_port and int(remote[1], 16) == client_port:
            return int(fields[4].split(":")[0], 16)
    return None


def serial_bytes(emulator: Emulator) -> int:
    """Bytes that crossed the serial lines both ways (`modem_serial_bytes_total`)."""
    status, text = emulator.get("/metrics")
    assert status == 200
    return sum(int(float(v)) for v in re.findall(r'^modem_serial_bytes_total\{[^}]*\} (\S+)$', text, re.M))


# --- 2. the fleet over WebSocket ---------------------------------------------------------------


def test_fleet_websocket_sends_every_row_then_changed_rows(start):
    base = free_ports(3)
    emulator = start("--listen", f"127.0.0.1:{base}", "--count", "3")
    live = WebSocket(emulator.port, "/api/live")
    assert live.status == 101, live.head
    first = live.message()
    assert first["type"] == "fleet" and first["count"] == 3
    assert [row["modem"] for row in first["rows"]] == [0, 1, 2]
    assert {row["state"] for row in first["rows"]} == {"IP INITIAL"}

    serial = serial_tcp(base + 1)
    serial.sendall(b'AT+CSTT="x"\r')
    tcp_read_until(serial, rb"\r\nOK\r\n")
    changed = live.until(lambda m: any(r["modem"] == 1 and r["state"] == "IP START" for r in m["rows"]), timeout=5)
    assert changed["type"] == "fleet" and changed["count"] == 3
    assert [row["modem"] for row in changed["rows"]] == [1], "only the changed row"
    serial.close()
    live.close()


# --- 3. one modem over WebSocket -----------------------------------------------------------------


def test_modem_websocket_snapshot_records_status_and_timeline(start):
    emulator = start()
    live = WebSocket(emulator.port, "/api/modems/0/live")
    assert live.status == 101, live.head
    snapshot = live.message()
    assert snapshot["type"] == "snapshot"
    assert snapshot["status"]["connection"]["state"] == "IP INITIAL"
    assert isinstance(snapshot["next"], int) and isinstance(snapshot["records"], list)
    assert snapshot["timeline"][0]["state"] == "IP INITIAL"

    host = Host(emulator.pty)
    host.at('AT+CSTT="internet"')
    records, status, timeline = None, None, None
    deadline = time.monotonic() + 5
    while not (records and status and timeline) and time.monotonic() < deadline:
        message = live.message()
        if message["type"] == "records" and any(
            r["kind"] == "command" and r.get("name") == "+CSTT" for r in message["records"]
        ):
            records = message
        if message["type"] == "status" and message["status"]["connection"]["state"] == "IP START":
            status = message
        if message["type"] == "timeline" and message["entries"][-1]["state"] == "IP START":
            timeline = message
    assert records, "no records message with the +CSTT command"
    assert records["next"] > snapshot["next"] and records["skipped"] == 0
    assert status and status["status"]["apn"] == "internet"
    assert timeline
    live.close()
    host.close()


def test_modem_websocket_for_an_unknown_modem_is_refused(start):
    """Hummingbird answers every refused upgrade with 400 and no body (docs/http-api.md)."""
    emulator = start()
    missing = WebSocket(emulator.port, "/api/modems/9/live")
    missing.sock.close()
    assert missing.status == 400, missing.head


# --- 4. the token on WebSocket -------------------------------------------------------------------


def test_websocket_needs_the_token(start):
    emulator = start("--http-token", "secret")
    for path in ["/api/modems/0/live", "/api/modems/0/live?token=wrong", "/api/live", "/api/live?token=x"]:
        ws = WebSocket(emulator.port, path)
        ws.sock.close()
        assert ws.status == 400, (path, ws.head)  # refused: Hummingbird's code for a refused upgrade
    for path, first in [("/api/modems/0/live?token=secret", "snapshot"), ("/api/live?token=secret", "fleet")]:
        ws = WebSocket(emulator.port, path)
        assert ws.status == 101, (path, ws.head)
        assert ws.message()["type"] == first
        ws.close()
    # And the JSON endpoints: header or query.
    assert emulator.get("/api/modems")[0] == 401
    assert emulator.get("/metrics")[0] == 401
    status, reply = emulator.get("/api/modems/0")
    assert status == 401 and reply["ok"] is False and "token" in reply["error"]
    assert emulator.get("/api/modems", headers={"Authorization": "Bearer secret"})[0] == 200
    assert emulator.get("/api/modems", headers={"Authorization": "Bearer nope"})[0] == 401
    assert emulator.get("/api/modems?token=secret")[0] == 200


# --- 5. every JSON endpoint, good and bad input -----------------------------------------------------


def test_json_endpoints_good_and_bad_input(start):
    base = free_ports(3)
    emulator = start("--listen", f"127.0.0.1:{base}", "--count", "3")

    def error(status_reply, code, fragment=""):
        status, reply = status_reply
        assert status == code, (status, reply)
        assert reply["ok"] is False and fragment in reply["error"], reply

    # The fleet, paging and filtering.
    status, page = emulator.get("/api/modems")
    assert status == 200 and page["count"] == 3 and page["offset"] == 0
    assert [row["modem"] for row in page["modems"]] == [0, 1, 2]
    assert page["modems"][0] == {
        "modem": 0, "model": "sim800", "state": "IP INITIAL", "linksOpen": 0, "bytesUp": 0, "bytesDown": 0,
        "lastActivity": None,
    }
    assert [r["modem"] for r in emulator.get("/api/modems?offset=1&limit=1")[1]["modems"]] == [1]
    assert [r["modem"] for r in emulator.get("/api/modems?offset=2&limit=5")[1]["modems"]] == [2]
    assert emulator.get("/api/modems?offset=5")[1]["modems"] == []
    assert len(emulator.get("/api/modems?limit=100000")[1]["modems"]) == 3  # capped at 1000, not refused
    error(emulator.get("/api/modems?sort=name"), 400, "unknown sort 'name'")

    serial = serial_tcp(base + 2)
    serial.sendall(b'AT+CSTT="x"\r')
    tcp_read_until(serial, rb"\r\nOK\r\n")
    status, page = emulator.get("/api/modems?state=IP%20START")
    assert status == 200 and page["count"] == 1 and [r["modem"] for r in page["modems"]] == [2]
    assert emulator.get("/api/modems?state=IP%20INITIAL")[1]["count"] == 2
    assert [r["modem"] for r in emulator.get("/api/modems?sort=state")[1]["modems"]] == [0, 1, 2]
    assert [r["modem"] for r in emulator.get("/api/modems?sort=lastActivity")[1]["modems"]][0] == 2

    # One modem.
    status, reply = emulator.get("/api/modems/2")
    assert status == 200 and reply["ok"] is True
    assert reply["status"]["modem"] == 2 and reply["status"]["connection"]["state"] == "IP START"
    assert reply["status"]["apn"] == "x"
    error(emulator.get("/api/modems/3"), 404, "no modem '3'")
    error(emulator.get("/api/modems/abc"), 404, "no modem 'abc'")
    error(emulator.get("/api/modems/-1"), 404)

    # Commands.
    assert emulator.post("/api/modems/0/signal", {"arguments": ["20"]}) == (200, {"ok": True})
    assert emulator.post("/api/modems/0/status")[1]["status"]["modem"] == 0
    status, reply = emulator.post("/api/modems/0/network", {"arguments": ["preset=gprs"]})
    assert status == 200 and reply["ok"] is True and "network" in reply
    error(emulator.post("/api/modems/7/pdp-deact"), 404, "no modem '7'")
    error(emulator.post("/api/modems/0/explode"), 404, "unknown command 'explode'")
    error(emulator.post("/api/modems/0/signal", b"{not json"), 400, "must be a JSON object")
    error(emulator.post("/api/modems/0/signal", b"[]"), 400, "must be a JSON object")
    error(emulator.post("/api/modems/0/signal", {"arguments": [20]}), 400, "array of strings")
    error(emulator.post("/api/modems/0/signal", {"args": ["20"]}), 400, "unknown key")
    error(emulator.post("/api/modems/0/signal", {"arguments": ["200"]}), 400, "usage: signal")
    error(emulator.post("/api/modems/0/remote-close", {"arguments": ["0"]}), 400)  # no link open
    error(emulator.post("/api/modems/0/scenario", {"events": "nope"}), 400, "scenario rejected")
    error(emulator.post("/api/modems/0/noise", b"x" * ((1 << 20) + 1)), 413, "larger than 1048576")

    # /api/control.
    status, reply = emulator.post("/api/control", {"command": "status", "modem": 1})
    assert status == 200 and reply["status"]["modem"] == 1
    assert emulator.post("/api/control", {"command": "pdp-deact", "modem": 1}) == (200, {"ok": True})
    error(emulator.post("/api/control", b"{oops"), 400, "not a control request")
    error(emulator.post("/api/control", {"arguments": []}), 400, "not a control request")
    error(emulator.post("/api/control", {"command": "status", "modem": 3}), 404, "no modem 3")
    error(emulator.post("/api/control", {"command": "status", "modem": -1}), 404)
    error(emulator.post("/api/control", {"command": "bogus"}), 400, "unknown command 'bogus'")
    error(emulator.post("/api/control", b" " * ((1 << 20) + 1)), 413, "larger than 1048576")

    # The log, paged with `next`.
    for _ in range(3):
        serial.sendall(b"AT+CSQ\r")
        tcp_read_until(serial, rb"\r\nOK\r\n")
    status, log = emulator.get("/api/modems/2/log?after=0")
    assert status == 200 and log["skipped"] == 0
    names = [r.get("name") for r in log["records"] if r["kind"] == "command"]
    assert names == ["+CSTT", "+CSQ", "+CSQ", "+CSQ"], names
    assert [r["seq"] for r in log["records"]] == sorted(r["seq"] for r in log["records"])
    assert log["next"] == log["records"][-1]["seq"] + 1
    assert emulator.get(f"/api/modems/2/log?after={log['next']}")[1] == {"next": log["next"], "records": [], "skipped": 0}
    middle = log["records"][len(log["records"]) // 2]["seq"]
    later = emulator.get(f"/api/modems/2/log?after={middle}")[1]
    assert later["records"][0]["seq"] == middle and later["next"] == log["next"]
    serial.sendall(b"AT\r")
    tcp_read_until(serial, rb"\r\nOK\r\n")
    newer = emulator.get(f"/api/modems/2/log?after={log['next']}")[1]
    assert newer["records"][0]["seq"] == log["next"] and newer["records"][0]["bytes"] == "AT\r"
    error(emulator.get("/api/modems/9/log"), 404)

    # The timeline.
    status, timeline = emulator.get("/api/modems/2/timeline")
    assert status == 200
    assert [e["state"] for e in timeline["timeline"]] == ["IP INITIAL", "IP START"]
    assert all(e["links"] == [] for e in timeline["timeline"])
    assert timeline["timeline"][0]["t"] <= timeline["timeline"][1]["t"]
    error(emulator.get("/api/modems/9/timeline"), 404)

    # /metrics.
    status, metrics = emulator.get("/metrics")
    assert status == 200
    assert re.search(r'^modem_modems\{state="IP INITIAL"\} 2(\.0)?$', metrics, re.M), metrics
    assert re.search(r'^modem_modems\{state="IP START"\} 1(\.0)?$', metrics, re.M), metrics
    assert re.search(r'^modem_commands_total\{command="\+CSTT"\} 1$', metrics, re.M), metrics
    assert re.search(r'^modem_commands_total\{command="\+CSQ"\} 3$', metrics, re.M), metrics
    assert re.search(r'^modem_faults_injected_total\{fault="pdp-deact"\} 1$', metrics, re.M), metrics
    serial.close()


# --- 6. the OpenAPI description --------------------------------------------------------------------


def test_openapi_description_is_valid_and_matches_replies(start):
    yaml = need("yaml")
    jsonschema = need("jsonschema")
    validator_module = need("openapi_spec_validator")
    spec = yaml.safe_load(SPEC.read_text())
    validator_module.validate(spec)

    emulator = start()
    host = Host(emulator.pty)
    host.at('AT+CSTT="a"')
    host.close()

    def check(method, path, status, reply, path_key=None):
        operation = spec["paths"][path_key or path][method.lower()]
        response = operation["responses"][str(status)]
        if "$ref" in response:
            response = resolve(spec, response["$ref"])
        schema = dict(response["content"]["application/json"]["schema"])
        schema["components"] = spec["components"]
        jsonschema.validate(reply, schema, cls=jsonschema.Draft202012Validator)

    for path, key in [
        ("/api/modems", None),
        ("/api/modems?sort=x", "/api/modems"),
        ("/api/modems/0", "/api/modems/{modem}"),
        ("/api/modems/5", "/api/modems/{modem}"),
        ("/api/modems/0/log", "/api/modems/{modem}/log"),
        ("/api/modems/0/timeline", "/api/modems/{modem}/timeline"),
    ]:
        status, reply = emulator.get(path)
        check("GET", key or path, status, reply)
    for path, body in [
        ("/api/modems/0/status", None),
        ("/api/modems/0/network", {"arguments": ["preset=edge"]}),
        ("/api/modems/0/nope", None),
        ("/api/modems/0/signal", {"arguments": [1]}),
    ]:
        status, reply = emulator.post(path, body)
        check("POST", "/api/modems/{modem}/{command}", status, reply)
    for body in [{"command": "status"}, {"command": "status", "modem": 4}, b"x"]:
        status, reply = emulator.post("/api/control", body)
        check("POST", "/api/control", status, reply)


def resolve(spec: dict, ref: str) -> dict:
    node = spec
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def test_openapi_conformance_with_schemathesis(start, tmp_path):
    """schemathesis (PyPI) generates requests for every operation of docs/http-api.yaml against a
    --count 3 fleet: no 5xx, and every reply's status code, content type and body match the
    description. (Not checked: `negative_data_rejection`, since the server takes a query value that is
    not a number as the default and ignores an `arguments` that is not an array; `positive_data_acceptance`,
    since a command refuses arguments that are well-formed but wrong for it; `unsupported_method`,
    since a wrong method gets 404, not 405.)"""
    need("schemathesis")
    emulator = start("--listen", f"127.0.0.1:{free_ports(3)}", "--count", "3")
    checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", str(SPEC), "--url", emulator.origin,
        "--checks", checks, "--max-examples", "25", "--phases", "examples,coverage,fuzzing",
        "--request-timeout", "5", "--seed", "1", "--no-color",
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=90, cwd=tmp_path)  # its cache dir there
    except subprocess.TimeoutExpired as timeout:
        raise AssertionError(f"schemathesis ran over 90 s: {timeout.stdout}")
    summary = result.stdout[-6000:]
    assert result.returncode == 0, summary
    assert re.search(r"\d+ generated, \d+ passed", result.stdout), summary
