#!/usr/bin/env python3
"""The live view's side of `scripts/bench-e2e.sh live`: keeps the page open on a running
`modem emulate --http` for a while and counts the updates it receives.

  bench_live.py watch URL --seconds 13 [--modem 0]

With Playwright for Python and Debian's chromium installed, it opens the real page twice in
headless chromium (the fleet view and modem 0's view) and counts the WebSocket frames the page
receives; otherwise (or with LIVE_CLIENT=python) it opens the same two WebSockets itself (standard
library), which leaves the browser's own CPU out of the run. Prints one JSON
object: messages and fleet rows per second, and which client it was.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import threading
import time
import urllib.parse


def count_payload(payload, totals):
    totals["messages"] += 1
    try:
        message = json.loads(payload)
    except ValueError:
        return
    if message.get("type") == "fleet":
        totals["fleet_messages"] += 1
        totals["rows"] += len(message.get("rows", []))
    elif message.get("type") == "records":
        totals["records"] += len(message.get("records", []))


def raw_websocket(url, path, seconds, totals, lock):
    """A WebSocket client on the standard library: the handshake, then unmasked server frames."""
    parts = urllib.parse.urlsplit(url)
    query = "?" + parts.query if parts.query else ""
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {path}{query} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        buffer += sock.recv(4096)
    head, buffer = buffer.split(b"\r\n\r\n", 1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise SystemExit(f"{path}: no upgrade: {head[:80]!r}")
    end = time.monotonic() + seconds
    sock.settimeout(0.5)
    message = b""
    while time.monotonic() < end:
        while True:
            if len(buffer) < 2:
                break
            length = buffer[1] & 0x7F
            offset = 2
            if length == 126:
                if len(buffer) < 4:
                    break
                length = int.from_bytes(buffer[2:4], "big")
                offset = 4
            elif length == 127:
                if len(buffer) < 10:
                    break
                length = int.from_bytes(buffer[2:10], "big")
                offset = 10
            if len(buffer) < offset + length:
                break
            final = buffer[0] & 0x80
            message += buffer[offset:offset + length]
            buffer = buffer[offset + length:]
            if final:
                with lock:
                    count_payload(message, totals)
                message = b""
        try:
            data = sock.recv(1 << 16)
        except socket.timeout:
            continue
        if not data:
            break
        buffer += data
    sock.close()


def watch_python(url, seconds, modem, totals):
    lock = threading.Lock()
    threads = [
        threading.Thread(target=raw_websocket, args=(url, path, seconds, totals, lock))
        for path in ("/api/live", f"/api/modems/{modem}/live")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return "python"


def watch_chromium(url, seconds, modem, totals):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        pages = []
        for fragment in ("#/", f"#/modem/{modem}"):
            page = browser.new_page()
            page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: count_payload(payload, totals)))
            page.goto(url + fragment)
            pages.append(page)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pages[0].wait_for_timeout(250)
        rendered = pages[0].locator("#fleet-range").text_content()
        totals["fleet_range"] = rendered
        browser.close()
    return "chromium"


def watch(args):
    totals = {"messages": 0, "fleet_messages": 0, "rows": 0, "records": 0}
    try:
        import playwright  # noqa: F401

        client = watch_chromium if shutil.which("chromium") else watch_python
    except ImportError:
        client = watch_python
    if os.environ.get("LIVE_CLIENT") == "python":  # the same feeds without a browser on the machine
        client = watch_python
    name = client(args.url, args.seconds, args.modem, totals)
    out = {key: value / args.seconds for key, value in totals.items() if isinstance(value, int)}
    out = {f"{key}_per_s": value for key, value in out.items()}
    out["client"] = name
    if "fleet_range" in totals:
        out["fleet_range"] = totals["fleet_range"]
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("watch")
    p.add_argument("url")
    p.add_argument("--seconds", type=float, default=13)
    p.add_argument("--modem", type=int, default=0)
    p.set_defaults(run=watch)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
