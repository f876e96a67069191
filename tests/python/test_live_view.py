"""The live view of `modem emulate --http` in a real browser (Playwright driving Debian's chromium):
the page follows what a host does on the serial line, and its buttons inject faults the host sees.

Needs `pip install playwright` and the `chromium` package (no `playwright install`). Without
chromium the module is skipped, except in CI (`CI` set), where it fails. `LIVE_VIEW_SCREENSHOTS=DIR`
keeps the screenshots (modem-initial.png, modem-active.png, modem-pdp-deact.png, fleet.png) in DIR.
"""

import json
import os
import pathlib
import re
import select
import shutil
import time
import tty
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import LiveEmulator as Emulator

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("the live view test needs Debian's chromium (apt install chromium)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402  (after the skip: CI must have it)

TIMEOUT_MS = 10_000


class Host:
    """The host's side of the PTY, raw, as a driver opens it."""

    def __init__(self, path: str):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd)
        self.buffer = b""

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode("latin-1"))

    def read_until(self, pattern: bytes, timeout: float = 5.0) -> re.Match:
        """Reads until `pattern` (a regular expression) matches; consumes up to the end of the match."""
        deadline = time.monotonic() + timeout
        while (match := re.search(pattern, self.buffer)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {pattern!r} on the PTY within {timeout} s; read {self.buffer!r}")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    self.buffer += os.read(self.fd, 4096)
                except BlockingIOError:
                    pass
        self.buffer = self.buffer[match.end():]
        return match

    def command(self, line: str, until: bytes = rb"\r\nOK\r\n", timeout: float = 10.0) -> re.Match:
        self.send(line + "\r")
        return self.read_until(until, timeout)

    def close(self) -> None:
        os.close(self.fd)


@pytest.fixture
def screenshots(tmp_path) -> pathlib.Path:
    directory = pathlib.Path(os.environ.get("LIVE_VIEW_SCREENSHOTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def page():
    """A chromium page that fails the test on any script error of the live view."""
    assert CHROMIUM, "chromium is required in CI (apt install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.set_default_timeout(TIMEOUT_MS)
            yield page
            assert not errors, f"script errors in the page: {errors}"
        finally:
            browser.close()


def test_the_page_follows_the_host_and_drops_the_context(page, screenshots):
    emulator = Emulator()
    host = None
    try:
        host = Host(emulator.pty)
        page.goto(emulator.page_url("#/modem/0"))
        state = page.locator("#state")
        expect(state).to_have_text("IP INITIAL", timeout=TIMEOUT_MS)
        expect(page.locator("#conn")).to_have_text("live", timeout=TIMEOUT_MS)
        page.screenshot(path=str(screenshots / "modem-initial.png"), full_page=True)

        host.command('AT+CSTT="internet"')
        expect(state).to_have_text("IP START", timeout=TIMEOUT_MS)
        host.command("AT+CIICR")
        expect(state).to_have_text("IP GPRSACT", timeout=TIMEOUT_MS)
        address = host.command("AT+CIFSR", until=rb"\r\n(\d+\.\d+\.\d+\.\d+)\r\n").group(1).decode()
        expect(state).to_have_text("IP STATUS", timeout=TIMEOUT_MS)
        expect(page.locator("#local-address")).to_have_text(address, timeout=TIMEOUT_MS)
        expect(page.locator("#apn")).to_have_text("internet", timeout=TIMEOUT_MS)
        log = page.locator("#log")
        expect(log).to_contain_text("AT+CIICR", timeout=TIMEOUT_MS)
        expect(log).to_contain_text(address, timeout=TIMEOUT_MS)
        expect(page.locator("#timeline")).to_contain_text("IP GPRSACT", timeout=TIMEOUT_MS)
        page.screenshot(path=str(screenshots / "modem-active.png"), full_page=True)

        page.click("#btn-pdp-deact")
        host.read_until(rb"\+PDP: DEACT", timeout=5)
        expect(state).to_have_text("PDP DEACT", timeout=TIMEOUT_MS)
        expect(page.locator("#command-result")).to_contain_text("pdp-deact: ok", timeout=TIMEOUT_MS)
        expect(log).to_contain_text("+PDP: DEACT", timeout=TIMEOUT_MS)
        page.screenshot(path=str(screenshots / "modem-pdp-deact.png"), full_page=True)

        page.click("#nav-fleet")
        row = page.locator('#fleet-body tr[data-modem="0"]')
        expect(row).to_contain_text("PDP DEACT", timeout=TIMEOUT_MS)
        expect(row).to_contain_text("sim800", timeout=TIMEOUT_MS)
        expect(page.locator("#fleet-range")).to_have_text("rows 1–1 of 1", timeout=TIMEOUT_MS)
        page.screenshot(path=str(screenshots / "fleet.png"), full_page=True)
    finally:
        if host:
            host.close()
        emulator.stop()


def test_a_token_guards_the_api_and_the_page_passes_it(page):
    emulator = Emulator("--http-token", "secret")
    try:
        assert "?token=secret" in emulator.url, emulator.url
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(emulator.origin + "/api/modems", timeout=10)
        assert refused.value.code == 401
        assert json.loads(refused.value.read())["ok"] is False
        with urllib.request.urlopen(emulator.origin + "/api/modems?token=secret", timeout=10) as answer:
            assert json.loads(answer.read())["count"] == 1

        page.goto(emulator.page_url("#/modem/0"))
        expect(page.locator("#state")).to_have_text("IP INITIAL", timeout=TIMEOUT_MS)
        expect(page.locator("#conn")).to_have_text("live", timeout=TIMEOUT_MS)
    finally:
        emulator.stop()
