"""Fixtures for running real Python drivers against `modem emulate`."""

import os
import shlex
import subprocess
import sys

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
