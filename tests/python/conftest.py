"""Fixtures for running real Python drivers against `modem emulate`."""

import json
import os
import pathlib
import queue
import re
import shlex
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def modem_binary() -> str:
    """The `modem` executable: $MODEM_BIN, or the one `swift build` made."""
    if os.environ.get("MODEM_BIN"):
        return os.environ["MODEM_BIN"]
    bin_dir = subprocess.check_output(["swift", "build", "--show-bin-path"], cwd=ROOT, text=True).strip()
    return os.path.join(bin_dir, "modem")


def extra_emulate_args() -> list[str]:
    """$MODEM_EMULATE_ARGS, split as a shell would (opt-in, default none), e.g.
    MODEM_EMULATE_ARGS="--network gprs --timing realistic" to run the drivers against a slow module."""
    return shlex.split(os.environ.get("MODEM_EMULATE_ARGS", ""))


@pytest.fixture
def emulator():
    """Starts `modem emulate --pty` (plus $MODEM_EMULATE_ARGS) and yields the device path it prints first."""
    process = subprocess.Popen(
        [modem_binary(), "emulate", "--pty", "--log-level", "warning", *extra_emulate_args()],
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        text=True,
    )
    try:
        path = process.stdout.readline().strip()
        assert path.startswith("/dev/"), f"emulator printed {path!r}"
        yield path
    finally:
        process.terminate()
        process.wait(timeout=10)


def start_line(args: list[str]) -> tuple[subprocess.Popen, str]:
    """Starts `modem <args>` (tap, replay), which prints the host's line first; returns it and the path."""
    process = subprocess.Popen([modem_binary(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    path = process.stdout.readline().strip()
    assert path.startswith("/dev/"), f"modem {args[0]} printed {path!r}: {process.stderr.read() if not path else ''}"
    return process, path


def stop(process: subprocess.Popen) -> str:
    """SIGTERM, then everything the process wrote on stderr; it must exit 0."""
    process.terminate()
    _, error = process.communicate(timeout=10)
    assert process.returncode == 0, error
    return error


@pytest.fixture
def tap(tmp_path):
    """`modem tap --pty --trace` in front of an emulator of its own; yields (host path, trace path)."""
    trace = tmp_path / "driver.trace"
    module, device = start_line(["emulate", "--pty", "--log-level", "warning", *extra_emulate_args()])
    try:
        process, path = start_line(["tap", "--device", device, "--pty", "--trace", str(trace)])
        try:
            yield path, trace
        finally:
            stop(process)
    finally:
        stop(module)


class LiveEmulator:
    """`modem emulate --http 127.0.0.1:0 …` (with `--pty` unless `--listen` is given): its PTY path and URL."""

    def __init__(self, *extra: str):
        serial = [] if "--listen" in extra else ["--pty"]
        self.process = subprocess.Popen(
            [modem_binary(), "emulate", *serial, "--http", "127.0.0.1:0", "--log-level", "warning", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._pump, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, self.stderr.append), daemon=True).start()
        try:
            self.pty = None
            line = self._line()
            if serial:
                assert line.startswith("/dev/"), f"emulator printed {line!r} first"
                self.pty = line
                line = self._line()
            while not line.startswith("http"):
                line = self._line()
            self.url = line
        except BaseException:
            self.process.kill()
            self.process.wait()
            raise
        parts = urllib.parse.urlsplit(self.url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.port = parts.port

    @staticmethod
    def _pump(stream, sink):
        for line in stream:
            sink(line)

    def _line(self, timeout: float = 30) -> str:
        try:
            return self.lines.get(timeout=timeout).strip()
        except queue.Empty:
            raise AssertionError(f"emulator printed no line within {timeout} s; stderr: {''.join(self.stderr)}")

    def rss(self) -> int:
        """The process's resident set in bytes (VmRSS)."""
        status = pathlib.Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) * 1024

    def request(self, method: str, path: str, body=None, headers=None, timeout: float = 10):
        """(status, parsed JSON or text) for a request; a JSON body when `body` is not bytes."""
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        request = urllib.request.Request(self.origin + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, payload, kind = response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, payload, kind = error.code, error.read(), error.headers.get("Content-Type", "")
        if kind.startswith("application/json"):
            return status, json.loads(payload)
        return status, payload.decode()

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body=None, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def page_url(self, route: str) -> str:
        """The printed URL (with its `?token=…`, if any) and a hash route."""
        return self.url.split("#")[0] + route

    def stop(self) -> None:
        """SIGTERM; it must exit 0."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("emulator did not exit within 10 s of SIGTERM")
        time.sleep(0.1)
        assert code == 0, f"emulator exited with {code}; stderr: {''.join(self.stderr)}"
