"""Fixtures for running real Python drivers against `modem emulate`."""

import os
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


@pytest.fixture
def emulator():
    """Starts `modem emulate --pty` and yields the device path it prints first."""
    process = subprocess.Popen(
        [modem_binary(), "emulate", "--pty", "--log-level", "warning"],
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
