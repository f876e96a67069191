#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora and dictionaries from the tests' own material.

Usage: scripts/fuzz_seeds.py OUTPUT_DIR

Seeds come from the transcript fixtures (Tests/ModemProtocolTests/Fixtures/transcripts), the
example scenarios (examples/scenarios), the command lines and control requests quoted in the tests,
and are encoded in each target's input format (see Fuzz/Sources/*/). Nothing here is committed:
scripts/fuzz.sh regenerates it before each run.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = pathlib.Path(sys.argv[1])


def transcripts():
    """Each fixture as the bytes a serial line carried (comment header dropped, CRLF line ends)."""
    for path in sorted((ROOT / "Tests/ModemProtocolTests/Fixtures/transcripts").glob("*.txt")):
        lines = [l for l in path.read_text(errors="replace").splitlines() if not l.startswith("#")]
        yield path.stem, lines


def test_strings(pattern):
    found = set()
    for path in (ROOT / "Tests").rglob("*.swift"):
        found.update(re.findall(pattern, path.read_text(errors="replace")))
    return sorted(found)


def command_lines():
    lines = {l for _, t in transcripts() for l in t if l.upper().startswith("AT")}
    lines.update(s for s in test_strings(r'"(AT[^"\\]{0,80})"') if " " not in s or "=" in s or "+" in s)
    return sorted(l for l in lines if l)


def run(data, maximum=255):
    """A FuzzInput run: a length byte, then at most that many bytes (longer data is split)."""
    out = b""
    while True:
        chunk, data = data[:maximum], data[maximum:]
        out += bytes([len(chunk)]) + chunk
        if not data:
            return out


def write(target, name, data):
    directory = OUT / "seeds" / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def dictionary(name, tokens):
    (OUT / "dict").mkdir(parents=True, exist_ok=True)
    def escape(token):
        # libFuzzer's dictionary syntax knows \\, \" and \xAB only.
        return "".join(chr(b) if 32 <= b < 127 and b not in b'\\"' else f"\\x{b:02X}" for b in token.encode())
    escaped = ['"' + escape(t) + '"' for t in sorted(set(tokens))]
    (OUT / "dict" / f"{name}.dict").write_text("\n".join(escaped) + "\n")


def main():
    commands = command_lines()
    for index, line in enumerate(commands):
        # serial-line, parser mode: the line itself; reader mode: the line framed with CR.
        write("serial-line", f"parse-{index:03}", b"\x00" + line.encode())
        write("serial-line", f"read-{index:03}", b"\x01\x03" + run(line.encode() + b"\r"))
    for name, lines in transcripts():
        text = "\r\n".join(lines).encode() + b"\r\n"
        host = b"".join(b"\x03" + run(l.encode() + b"\r") for l in lines if l.upper().startswith("AT"))
        write("serial-line", f"transcript-{name}", b"\x01" + host)
        for mode in range(3):
            write("cipstatus", f"{name}-{mode}", bytes([mode]) + text)
        # reply-framer: request AT+CIPSTATUS (unknown mode), then the transcript as module output.
        module = b"".join(b"\x00" + run(text[i:i + 128], 128) for i in range(0, len(text), 128))
        write("reply-framer", name, b"\x00" + b"\x04\x08" + module)
        # modem-core: the host's lines, each followed by the network answering what it asked.
        core = b"".join(b"\x00" + run(l.encode() + b"\r", 64) + b"\x06" for l in lines if l.upper().startswith("AT"))
        write("modem-core", name, b"\x00" + core)
    session = [b"AT+CSTT=\"internet\"", b"AT+CIICR", b"AT+CIFSR", b"AT+CIPSTART=\"TCP\",\"127.0.0.1\",7",
               b"AT+CIPSEND=5", b"hello", b"AT+CIPSTATUS", b"AT+CIPCLOSE", b"AT+CIPSHUT"]
    for mux in (b"AT+CIPMUX=0", b"AT+CIPMUX=1"):
        data = b"\x00" + b"".join(b"\x00" + run(l + b"\r", 64) + b"\x06" for l in [mux] + session)
        data += b"\x08\x00\x00" + run(b"reply from the peer") + b"\x08\x02\x00"
        write("modem-core", f"session-{mux.decode()[-1]}", data)
    for path in sorted((ROOT / "examples/scenarios").glob("*.json")):
        write("scenario", path.stem, path.read_bytes())
        text = path.read_text().replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        write("control", f"scenario-{path.stem}", ('{"command":"scenario","arguments":["' + text + '"]}').encode())
    requests = test_strings(r'#"(\{"command[^#]*)"#') + [
        '{"command":"network","arguments":["gprs","delay=100:300","loss=0.1","up=40"]}',
        '{"command":"noise","arguments":["64"],"modem":1}', '{"command":"signal","arguments":["12"]}',
        '{"command":"fail-activation","arguments":["on"]}',
    ]
    for index, request in enumerate(requests):
        write("control", f"request-{index:03}", request.encode())
    at_tokens = ["AT", "\r", "\r\n", "\n", ">", "> ", "\x1a", "\x1b", "OK", "ERROR", "+CME ERROR:", "SEND OK",
                 "SEND FAIL", "DATA ACCEPT:", "CLOSE OK", "SHUT OK", "CONNECT OK", "+IPD,", "+RECEIVE,",
                 "+CIPRXGET: 2,", "+CIPRXGET: 1,", "+CIPSTATUS:", "STATE: ", "C: ", "S: ", "+PDP: DEACT", "\"TCP\"",
                 "\"UDP\"", "\"127.0.0.1\"", "IP INITIAL", "IP STATUS", "IP PROCESSING", "CONNECTED", "CLOSED",
                 "TCP CLOSED", "+++", "=?", "?", "=", ",", ";", "\""]
    at_tokens += sorted({re.split(r"[=?]", c)[0] for c in commands if c.startswith("AT+")})
    for target in ("serial-line", "modem-core", "reply-framer", "cipstatus"):
        dictionary(target, at_tokens)
    json_tokens = ["{", "}", "[", "]", ":", ",", "\"", "true", "false", "null", "1e999", "-1", "0.5", "\\u0000",
                   "\"events\"", "\"seed\"", "\"at\"", "\"after\"", "\"delay\"", "\"do\"", "\"set\"", "\"link\"",
                   "\"bytes\"", "\"command\"", "\"state\"", "\"sent\"", "\"received\"", "\"on\"", "\"rssi\"",
                   "\"registered\"", "\"network\"", "\"pdp-drop\"", "\"remote-close\"", "\"noise\"", "\"reset\"",
                   "\"arguments\"", "\"modem\"", "\"scenario\"", "\"status\"", "\"gprs\"", "\"up\"", "\"delay\"",
                   "\"loss\"", "ms", "s", "min"]
    for target in ("scenario", "control"):
        dictionary(target, json_tokens)


main()
