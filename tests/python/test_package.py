"""The standalone tarball `scripts/package.sh` makes: the binary needs no Swift library and runs
from an empty directory with an almost empty environment, as on a machine without Swift.

MODEM_PACKAGE names the tarball (.ci/run builds it). Without it the module is skipped, except in
CI (`CI` set), where it fails.
"""

import os
import re
import subprocess
import tarfile
import urllib.request

import pytest

PACKAGE = os.environ.get("MODEM_PACKAGE")
if not PACKAGE and not os.environ.get("CI"):
    pytest.skip("MODEM_PACKAGE is not set (scripts/package.sh makes the tarball)", allow_module_level=True)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# What a user's shell would have on a machine without Swift: no LD_LIBRARY_PATH, no toolchain.
MINIMAL = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C"}


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    assert PACKAGE and os.path.isfile(PACKAGE), f"MODEM_PACKAGE={PACKAGE!r} is not a file"
    target = tmp_path_factory.mktemp("package")
    with tarfile.open(PACKAGE) as archive:
        archive.extractall(target, filter="data")
    (top,) = list(target.iterdir())
    return top


def test_the_binary_needs_no_swift_library(unpacked):
    linked = subprocess.run(["ldd", str(unpacked / "bin" / "modem")], capture_output=True, text=True)
    libraries = linked.stdout + linked.stderr
    assert not re.search(r"libswift|libFoundation|libdispatch|libBlocksRuntime", libraries), libraries
    assert "not found" not in libraries, libraries


def test_the_tarball_has_the_page_the_man_pages_and_the_completions(unpacked):
    assert (unpacked / "bin" / "ModemKit_ModemHTTP.resources" / "Web" / "index.html").is_file()
    manual = (unpacked / "share" / "man" / "man1" / "modem.1").read_text()
    assert manual.startswith(".\\\"") or ".TH" in manual[:2000], manual[:200]
    assert (unpacked / "share" / "man" / "man1" / "modem.emulate.1").is_file()
    completions = {
        "share/bash-completion/completions/modem": "emulate",
        "share/zsh/site-functions/_modem": "emulate",
        "share/fish/vendor_completions.d/modem.fish": "emulate",
    }
    for path, word in completions.items():
        assert word in (unpacked / path).read_text(), path
    for name in ("LICENSE", "README.md", "CHANGELOG.md"):
        assert (unpacked / "share" / "doc" / "modem" / name).is_file(), name


def test_version_names_the_commit(unpacked, tmp_path):
    run = subprocess.run([str(unpacked / "bin" / "modem"), "--version"], capture_output=True, text=True,
                         cwd=tmp_path, env=MINIMAL, timeout=30)
    assert run.returncode == 0, run.stderr
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+ \(commit [0-9a-f]{40}\)\n", run.stdout), run.stdout
    assert commit in run.stdout, (commit, run.stdout)


def test_emulate_and_status_run_from_an_empty_directory(unpacked, tmp_path):
    modem = str(unpacked / "bin" / "modem")
    emulator = subprocess.Popen(
        [modem, "emulate", "--pty", "--http", "127.0.0.1:0", "--no-control", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=MINIMAL)
    try:
        device = emulator.stdout.readline().strip()
        url = emulator.stdout.readline().strip()
        assert device.startswith("/dev/"), (device, emulator.stderr.read() if not device else "")
        status = subprocess.run([modem, "status", "--device", device], capture_output=True, text=True,
                                cwd=tmp_path, env=MINIMAL, timeout=30)
        assert status.returncode == 0, status.stderr
        assert "IP INITIAL" in status.stdout, status.stdout
        # The live view's page comes from the resources beside the binary.
        with urllib.request.urlopen(url, timeout=10) as page:
            assert b"<html" in page.read()
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    assert emulator.returncode == 0, emulator.stderr.read()
    assert list(tmp_path.iterdir()) == [], "the binary wrote into the working directory"
