"""The unmodified `sim800l-gsm-module` through `modem tap` in front of the emulator, then against
`modem replay` of the trace the tap wrote: every call returns what it returns directly."""

import json

from conftest import start_line, stop
from sim800l import SIM800L


def session(port: str) -> list:
    """The driver's calls, and what each returned."""
    gsm = SIM800L(port=port, baudrate=115200)
    values = [
        gsm.setup(),
        gsm.check_sim(),
        gsm.is_registered(),
        gsm.get_signal_strength(),
        gsm.get_serial_number(),
        gsm.get_ccid(),
        gsm.connect_gprs(apn="internet"),
        gsm.get_ip(),
        gsm.disconnect_gprs(),
    ]
    gsm.ser.close()
    return values


def test_through_the_tap_then_against_its_replay(emulator, tap):
    direct = session(emulator)
    assert direct == [True, True, True, 65.625, "001010123456780", "89001010000000000019", "10.64.0.2",
                      "10.64.0.2", True]
    path, trace = tap
    assert session(path) == direct
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    assert records and not [r for r in records if r["kind"] == "other"]
    assert {r["dir"] for r in records} == {"host", "module"}

    replay, replay_path = start_line(["replay", str(trace), "--pty", "--speed", "max"])
    try:
        assert session(replay_path) == direct
    finally:
        assert "divergence" not in stop(replay)
