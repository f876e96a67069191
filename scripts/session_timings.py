#!/usr/bin/env python3
"""Wall-clock time of driver-style sessions against `modem emulate --pty EXTRA...`.

    scripts/session_timings.py MODEM [EXTRA_ARGS...]           # e.g. --network gprs --timing realistic

Two sessions, each against a fresh emulator, printed as one JSON object (seconds per step):
  tinygsm   the commands TinyGSM's SIM800 driver sends (Tests/ModemEmulatorTests/Support/TinyGSMHost.swift):
            gprsConnect, client.connect to a local TCP echo server, a 1 KiB write (AT+CIPSEND, DATA
            ACCEPT with AT+CIPQSEND=1) and its echo read back with AT+CIPRXGET=2, stop, gprsDisconnect
  sim800l   the unmodified PyPI driver `sim800l-gsm-module` (when importable): setup, connect_gprs,
            disconnect_gprs, dns_query, ping, each on its own emulator as in tests/python
"""

import json
import os
import select
import socket
import subprocess
import sys
import termios
import threading
import time
import tty


def start_emulator(modem, extra):
    process = subprocess.Popen([modem, "emulate", "--pty", "--log-level", "warning", *extra],
                               stdout=subprocess.PIPE, text=True)
    path = process.stdout.readline().strip()
    if not path.startswith("/dev/"):
        process.kill()
        raise SystemExit(f"emulator printed {path!r}")
    return process, path


def echo_server():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve():
        while True:
            conn, _ = server.accept()
            threading.Thread(target=lambda c=conn: [c.sendall(d) for d in iter(lambda: c.recv(65536), b"")],
                             daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


class Line:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd, termios.TCSANOW)
        self.buffer = bytearray()

    def wait(self, tokens, timeout):
        deadline = time.monotonic() + timeout
        while True:
            hits = [(self.buffer.find(t), t) for t in tokens]
            hits = [h for h in hits if h[0] >= 0]
            if hits:
                index, token = min(hits)
                end = index + len(token)
                head = bytes(self.buffer[:end])
                del self.buffer[:end]
                return token, head
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"waiting for {tokens!r}, have {bytes(self.buffer[-200:])!r}")
            if select.select([self.fd], [], [], left)[0]:
                self.buffer += os.read(self.fd, 65536)

    def at(self, command, timeout=10, tokens=(b"OK\r\n", b"ERROR\r\n"), check=True):
        os.write(self.fd, b"AT" + command.encode() + b"\r\n")
        token, head = self.wait(list(tokens), timeout)
        if check and token == b"ERROR\r\n":
            raise RuntimeError(f"AT{command}: {head!r}")
        return head


def tinygsm(modem, extra):
    port = echo_server()
    process, path = start_emulator(modem, extra)
    times = {}
    try:
        line = Line(path)
        line.at("E0")
        start = time.monotonic()
        # gprsConnect(apn): gprsDisconnect first, the bearer, the context, then the TCP/IP application.
        for command, timeout in [("+CIPSHUT", 60), ("+CGATT=0", 60), ('+SAPBR=3,1,"Contype","GPRS"', 10),
                                 ('+SAPBR=3,1,"APN","internet"', 10), ('+CGDCONT=1,"IP","internet"', 10),
                                 ("+CGACT=1,1", 60), ("+SAPBR=1,1", 85), ("+SAPBR=2,1", 30), ("+CGATT=1", 60),
                                 ("+CIPMUX=1", 10), ("+CIPQSEND=1", 10), ("+CIPRXGET=1", 10),
                                 ('+CSTT="internet","",""', 60), ("+CIICR", 60), ("+CIFSR;E0", 10),
                                 ('+CDNSCFG="8.8.8.8","8.8.4.4"', 10)]:
            t = time.monotonic()
            line.at(command, timeout)
            times[f"AT{command}"] = time.monotonic() - t
        times["gprsConnect"] = time.monotonic() - start
        # client.connect(host, port): stop() first, AT+CIPSSL=0, AT+CIPSTART, CONNECT OK.
        start = time.monotonic()
        line.at("+CIPCLOSE=0,1", tokens=(b"OK\r\n", b"ERROR\r\n", b"CLOSE OK\r\n"), check=False)  # result ignored
        line.at("+CIPSSL=0")
        os.write(line.fd, f'AT+CIPSTART=0,"TCP","127.0.0.1",{port}\r\n'.encode())
        token, head = line.wait([b"CONNECT OK\r\n", b"CONNECT FAIL\r\n", b"ERROR\r\n"], 80)
        if token != b"CONNECT OK\r\n":
            raise RuntimeError(f"connect: {head!r}")
        times["connect"] = time.monotonic() - start
        # client.write(1 KiB) then read it back: DATA ACCEPT, the +CIPRXGET: 1,0 URC, AT+CIPRXGET=2 reads.
        data = bytes(range(256)) * 4
        start = time.monotonic()
        os.write(line.fd, b"AT+CIPSEND=0,1024\r\n")
        line.wait([b">"], 10)
        os.write(line.fd, data)
        line.wait([b"DATA ACCEPT:0,1024\r\n"], 30)
        times["write 1 KiB (DATA ACCEPT)"] = time.monotonic() - start
        line.wait([b"+CIPRXGET: 1,0\r\n"], 30)
        got = b""
        while len(got) < len(data):
            os.write(line.fd, b"AT+CIPRXGET=2,0,1460\r\n")
            _, head = line.wait([b"\r\n"], 10)
            _, head = line.wait([b"\r\n"], 10)  # +CIPRXGET: 2,0,<len>,<rest>
            length = int(head.split(b",")[2])
            while len(line.buffer) < length:
                select.select([line.fd], [], [], 10)
                line.buffer += os.read(line.fd, 65536)
            got += bytes(line.buffer[:length])
            del line.buffer[:length]
            line.wait([b"OK\r\n"], 10)
            if length == 0:
                line.wait([b"+CIPRXGET: 1,0\r\n"], 30)
        assert got == data, "echo differs"
        times["1 KiB echo (write to last byte read)"] = time.monotonic() - start
        start = time.monotonic()
        line.at("+CIPCLOSE=0,1", tokens=(b"CLOSE OK\r\n", b"ERROR\r\n"))
        line.at("+CIPSHUT", 60, tokens=(b"SHUT OK\r\n", b"ERROR\r\n"))
        line.at("+CGATT=0", 60)
        times["stop + gprsDisconnect"] = time.monotonic() - start
    finally:
        process.terminate()
        process.wait(timeout=10)
    return {k: round(v, 3) for k, v in times.items()}


def sim800l(modem, extra):
    try:
        from sim800l import SIM800L
    except ImportError:
        return None
    times = {}

    def timed(name, call):
        t = time.monotonic()
        result = call()
        times[name] = round(time.monotonic() - t, 3)
        return result

    for name, body in [
        ("connect_gprs", lambda g: g.connect_gprs(apn="internet")),
        ("dns_query", lambda g: g.dns_query(apn="internet", domain="localhost")),
        ("ping", lambda g: g.ping(apn="internet", domain="localhost")),
    ]:
        process, path = start_emulator(modem, extra)
        try:
            gsm = SIM800L(port=path, baudrate=115200)
            timed(f"{name}: setup", gsm.setup)
            result = timed(name, lambda: body(gsm))
            if name == "connect_gprs":
                times["connect_gprs result"] = result
                timed("disconnect_gprs", gsm.disconnect_gprs)
            elif name == "ping":
                times["ping result"] = result.get("results") if result else result
            else:
                times["dns_query result"] = (result or {}).get("ips")
        finally:
            process.terminate()
            process.wait(timeout=10)
    return times


def main():
    modem, extra = sys.argv[1], sys.argv[2:]
    print(json.dumps({"args": extra, "tinygsm": tinygsm(modem, extra), "sim800l": sim800l(modem, extra)}, indent=1))


if __name__ == "__main__":
    main()
