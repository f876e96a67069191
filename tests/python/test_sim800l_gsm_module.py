"""The unmodified PyPI package `sim800l-gsm-module` against `modem emulate --pty`.

Each call is the driver's own code; every returned value is checked against what the emulator's
defaults (ModemIdentity in Sources/ModemCore/ModemConfiguration.swift) make a real SIM800 return.
"""

from sim800l import SIM800L

IMEI = "001010123456780"
ICCID = "89001010000000000019"


def test_identity_and_registration(emulator):
    gsm = SIM800L(port=emulator, baudrate=115200)
    assert gsm.setup() is True
    assert gsm.check_sim() is True
    assert gsm.is_registered() is True
    # +CSQ: 20,0 -> the driver's (rssi + 1) / 32 * 100
    assert gsm.get_signal_strength() == 65.625
    assert gsm.get_serial_number() == IMEI
    assert gsm.get_ccid() == ICCID


def test_gprs_bearer(emulator):
    gsm = SIM800L(port=emulator, baudrate=115200)
    assert gsm.setup() is True
    assert gsm.get_ip() is None
    ip = gsm.connect_gprs(apn="internet")
    assert ip == "10.64.0.2"
    assert gsm.get_ip() == "10.64.0.2"
    assert gsm.disconnect_gprs() is True
    assert gsm.get_ip() is None
    # Closing a bearer that is not open is an error on a real module.
    assert gsm.disconnect_gprs() is False


def test_dns_query(emulator):
    gsm = SIM800L(port=emulator, baudrate=115200)
    assert gsm.setup() is True
    result = gsm.dns_query(apn="internet", domain="localhost")
    assert result["success"] is True
    assert result["domain"] == "localhost"
    assert result["ips"][0] == "127.0.0.1"
    assert result["local_ip"] == "10.64.0.2"


def test_ping(emulator):
    gsm = SIM800L(port=emulator, baudrate=115200)
    assert gsm.setup() is True
    result = gsm.ping(apn="internet", domain="localhost")
    assert result["local_ip"] == "10.64.0.2"
    assert result["ip"] == "127.0.0.1"
    assert len(result["results"]) == 4
    assert [r["seq"] for r in result["results"]] == [1, 2, 3, 4]
