#!/usr/bin/env python3
"""Takes the screenshots in docs/images (docs/live-view.md) from a real run: 40 modems on TCP
ports, a few driven into different states over their serial lines, the page in headless chromium.

  MODEM_BIN=.build/debug/modem python3 scripts/live_view_screenshots.py [BASEPORT]

Needs Playwright for Python and Debian's chromium, as tests/python/test_live_view.py does.
"""

import os
import shutil
import socket
import subprocess
import sys
import time

from playwright.sync_api import expect, sync_playwright

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = int(sys.argv[1]) if len(sys.argv) > 1 else 23000
COUNT = 40


def command(sock, line, until=b"OK\r\n"):
    sock.sendall(line.encode() + b"\r")
    got = b""
    while until not in got:
        got += sock.recv(4096)
    return got


def main():
    binary = os.environ.get("MODEM_BIN", os.path.join(ROOT, ".build/debug/modem"))
    process = subprocess.Popen(
        [binary, "emulate", "--listen", f"127.0.0.1:{BASE}", "--count", str(COUNT), "--http", "0",
         "--log-level", "warning"],
        stdout=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    hosts = []
    peers = []  # the server's ends of the links, open until the screenshots are taken
    try:
        for index in range(12):
            sock = socket.create_connection(("127.0.0.1", BASE + index))
            hosts.append(sock)
            command(sock, "ATE0")
            if index % 2 == 0:
                command(sock, "AT+CIPMUX=1")
            command(sock, 'AT+CSTT="internet"')
            if index % 4 == 3:
                continue
            command(sock, "AT+CIICR")
            command(sock, "AT+CIFSR", until=b".")
            if index % 4 == 2:
                continue
            if index % 2 == 0:
                command(sock, f'AT+CIPSTART=0,"TCP","127.0.0.1",{port}', until=b"CONNECT OK")
                peers.append(server.accept()[0])
                command(sock, "AT+CIPSEND=0,5", until=b">")
                command(sock, "hello", until=b"SEND OK")
            else:
                command(sock, f'AT+CIPSTART="TCP","127.0.0.1",{port}', until=b"CONNECT OK")
                peers.append(server.accept()[0])
            command(sock, "AT+CIPSTATUS", until=b"STATE:")
        images = os.path.join(ROOT, "docs", "images")
        os.makedirs(images, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url + "#/modem/0")
            expect(page.locator("#state")).to_have_text("IP PROCESSING")
            page.wait_for_timeout(500)
            page.screenshot(path=os.path.join(images, "live-view-modem.png"))
            page.goto(url + "#/")
            expect(page.locator("#fleet-range")).to_contain_text(f"of {COUNT}")
            page.wait_for_timeout(800)
            page.screenshot(path=os.path.join(images, "live-view-fleet.png"))
            browser.close()
    finally:
        for sock in hosts:
            sock.close()
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
