"""README.md runs as pasted: every ```sh block, block by block, as a new user would run it.

The blocks run against the built `modem` ($MODEM_BIN), in an empty working directory (with
`examples/` of the clone in it), with HOME, MODEM_CONTROL (so the default control socket) and every
`/tmp/...` path inside a temporary directory, and the README's ports (7000-7099, 8080, 9000) moved
to free ones, so that nothing of the user's is touched. `swift run modem` and a bare `modem` both
run $MODEM_BIN.

An HTML comment before a block says how to run it:

- none: the block is a shell script; each line must exit 0 (`set -e -o pipefail`). A line that
  ends in `&` starts something in the background, as a user would in their terminal; the test
  then waits until the modem answers on the default control socket and on its ports (a user's
  next `swift run` gives it that time), and kills what is left when the block ends.
- `<!-- readme-test: background -->`: `$ command` and the output it shows. The command runs until
  the next heading; its stdout must show those lines (`/dev/pts/N`, `…` and the build lines of
  `swift run` may differ). A ```text block after it marked `readme-test: stderr` lists lines that
  must appear in its log, in any order, with any timestamp.
- `<!-- readme-test: package -->`: the install block. `scripts/package.sh` is not run again: the
  tarball CI built with it ($MODEM_PACKAGE) is put in `dist/`; without $MODEM_PACKAGE it is skipped.
- `<!-- readme-test: skip (reason) -->`: not run (a build, a real module, an interactive program).

The test prints how many blocks ran and were skipped, and why.
"""

import dataclasses
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import pathlib

import pytest

from conftest import ROOT, modem_binary

README = pathlib.Path(ROOT) / "README.md"
SHELLS = {"sh", "bash", "shell", "console"}
MARKER = re.compile(r"<!--\s*readme-test:\s*([\w-]+)\s*(.*?)\s*-->$")
# Lines `swift run` prints before the program's own output (the test runs the built binary).
SWIFT_BUILD_OUTPUT = re.compile(r"^(Building for |Build of product |Build complete|\[\d+/\d+\] |\[…\]$|Compiling |Linking )")
TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}"
MIN_RUN_FRACTION = 0.5  # 5 of 10 blocks here; 6 in CI, where $MODEM_PACKAGE runs the install block
BLOCK_TIMEOUT = 40  # seconds for one block


@dataclasses.dataclass
class Block:
    lang: str
    lines: list[str]
    line: int  # of the opening fence, 1-based
    section: int  # index of the heading it is under
    marker: tuple[str, str] | None  # (kind, rest), from the HTML comment right before it


def parse(text: str) -> list[Block]:
    blocks: list[Block] = []
    section, pending, body, opened = 0, None, None, None
    for number, line in enumerate(text.splitlines(), 1):
        if body is not None:
            if line.startswith("```"):
                blocks.append(Block(opened[0], body, opened[1], section, opened[2]))
                body = None
            else:
                body.append(line)
        elif line.startswith("#"):
            section, pending = section + 1, None
        elif (match := MARKER.match(line.strip())) is not None:
            pending = (match.group(1), match.group(2))
        elif line.startswith("```"):
            opened, body, pending = (line[3:].strip(), number, pending), [], None
        elif line.strip():
            pending = None  # a marker belongs to the block right after it
    assert body is None, "README.md has an unclosed code block"
    return blocks


def free_port(span: int = 1) -> int:
    """A port p with p..p+span-1 free on 127.0.0.1 (checked by binding each)."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + span > 65535:
            continue
        held = []
        try:
            for port in range(base, base + span):
                s = socket.socket()
                held.append(s)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError(f"no {span} free ports in a row")


class Sandbox:
    """The user's machine, in a temporary directory."""

    def __init__(self, root: pathlib.Path):
        self.root = root
        self.work = root / "work"
        self.home = root / "home"
        self.bin = root / "bin"
        for path in (self.work, self.home, self.bin):
            path.mkdir()
        (self.work / "examples").symlink_to(pathlib.Path(ROOT) / "examples")
        modem = self.bin / "modem"
        modem.write_text(f"#!/bin/sh\nexec '{modem_binary()}' \"$@\"\n")
        modem.chmod(0o755)
        self.control = root / "default.ctl"  # not a path the README names
        self.ports = {"70": free_port(100), "8080": free_port(), "9000": free_port()}
        self.env = {k: v for k, v in os.environ.items() if k not in ("XDG_RUNTIME_DIR", "MODEM_CONTROL")}
        self.env.update(HOME=str(self.home), MODEM_CONTROL=str(self.control), PATH=f"{self.bin}:{os.environ['PATH']}")

    def adapt(self, text: str) -> str:
        """A README line as it runs here: the binary, the sandbox's paths and ports."""
        text = re.sub(r"\bswift run modem\b", "modem", text)
        text = re.sub(r"(?<![\w.])70(\d\d)(?!\w)", lambda m: str(self.ports["70"] + int(m.group(1))), text)
        text = re.sub(r"(?<![\w.])8080(?!\w)", str(self.ports["8080"]), text)
        text = re.sub(r"(?<![\w.])9000(?!\w)", str(self.ports["9000"]), text)
        text = re.sub(r"/tmp/modem-\d+\.ctl", "@CONTROL@", text)  # the default control socket
        text = re.sub(r"(?<![\w/.])/tmp/", f"{self.root}/", text)
        return text.replace("@CONTROL@", str(self.control))

    def pattern(self, shown: str) -> re.Pattern:
        """A shown output line as a pattern: any /dev/pts/N, timestamp, and `…` for anything."""
        parts = re.split(r"(/dev/pts/\d+|" + TIMESTAMP + "|…)", self.adapt(shown))
        regex = "".join(
            r"/dev/pts/\d+" if part.startswith("/dev/pts/") else
            TIMESTAMP if re.fullmatch(TIMESTAMP, part) else
            ".*" if part == "…" else re.escape(part)
            for part in parts
        )
        return re.compile(regex)


class Background:
    """A command that runs until it is stopped, with its output collected as it comes."""

    def __init__(self, sandbox: Sandbox, command: str):
        self.command = command
        self.process = subprocess.Popen(
            ["bash", "-c", "exec " + command], cwd=sandbox.work, env=sandbox.env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, into in ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr)):
            threading.Thread(target=lambda s=stream, i=into: [i.append(l.rstrip("\n")) for l in s], daemon=True).start()

    def wait_for(self, lines: list[str], count: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while len(lines) < count and time.monotonic() < deadline and self.process.poll() is None:
            time.sleep(0.05)
        time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


# A block as a script: the README's line of the command that failed, background jobs killed at the end.
PRELUDE = r"""
set -e -o pipefail
__line=0
trap 'echo "README.md:$__line failed with exit $?: $BASH_COMMAND" >&2' ERR
trap '__stop' EXIT
__stop() {  # SIGTERM to what is still running (`kill %1` did it already), which must end within 10 s
    local rc=$? _
    set +e; trap - ERR
    kill $(jobs -pr) 2>/dev/null
    for _ in $(seq 100); do [ -z "$(jobs -pr)" ] && break; sleep 0.1; done
    if [ -n "$(jobs -pr)" ]; then
        echo "README.md: still running 10 s after SIGTERM: $(jobs -r)" >&2; kill -9 $(jobs -pr); rc=1
    fi
    wait; exit $rc
}
__ready() {  # the modem started in the background answers on the default control socket and its ports
    local pid=$1; shift
    for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || { echo "README.md:$__line: the background command ended" >&2; return 1; }
        if modem ctl status >/dev/null 2>&1; then
            local port ok=1
            for port in "$@"; do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || ok=0; done
            [ "$ok" = 1 ] && return 0
        fi
        sleep 0.05
    done
    echo "README.md:$__line: the background command did not answer in 15 s" >&2; return 1
}
"""


def ports_of(command: str) -> list[str]:
    return [m.group(2) for m in re.finditer(r"--(listen|http)\s+(?:\S*:)?(\d+)\b", command)]


def script(sandbox: Sandbox, block: Block) -> str:
    lines = [PRELUDE]
    for offset, raw in enumerate(block.lines, 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        command = sandbox.adapt(raw)
        if block.marker and block.marker[0] == "package" and command.split()[0] == "scripts/package.sh":
            command = 'mkdir -p dist && cp "$MODEM_PACKAGE" dist/   # CI built it with scripts/package.sh'
        lines.append(f"__line={block.line + offset}")
        lines.append(command)
        if re.search(r"&\s*(#.*)?$", command) and not re.search(r"&&\s*(#.*)?$", command):
            lines.append(f"__ready $! {' '.join(ports_of(command))}")
    return "\n".join(lines) + "\n"


def run_script(sandbox: Sandbox, block: Block) -> None:
    process = subprocess.Popen(
        ["bash", "-c", script(sandbox, block)], cwd=sandbox.work, env=sandbox.env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=BLOCK_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"README.md:{block.line}: the block did not finish in {BLOCK_TIMEOUT} s\n{out}\n{err}")
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # anything the block left behind
        except ProcessLookupError:
            pass
    assert process.returncode == 0, f"README.md:{block.line}: exit {process.returncode}\n--- stdout\n{out}\n--- stderr\n{err}"


def start_background(sandbox: Sandbox, block: Block) -> Background:
    prompts = [line for line in block.lines if line.startswith("$ ")]
    assert len(prompts) == 1, f"README.md:{block.line}: a background block shows one `$ command` and its output"
    shown = [line for line in block.lines[block.lines.index(prompts[0]) + 1:] if not SWIFT_BUILD_OUTPUT.match(line)]
    job = Background(sandbox, sandbox.adapt(prompts[0][2:]))
    try:
        job.wait_for(job.stdout, len(shown))
        assert job.process.poll() is None, f"README.md:{block.line}: ended: {job.stdout} {job.stderr}"
        for expected, actual in zip(shown, job.stdout + [""] * len(shown)):
            assert sandbox.pattern(expected).fullmatch(actual), (
                f"README.md:{block.line}: shows {expected!r}, the command printed {actual!r} (all: {job.stdout})")
    except BaseException:
        job.stop()
        raise
    return job


def check_log(sandbox: Sandbox, block: Block, job: Background) -> None:
    wanted = [sandbox.pattern(line) for line in block.lines if line.strip()]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        missing = [p.pattern for p in wanted if not any(p.fullmatch(line) for line in list(job.stderr))]
        if not missing:
            return
        time.sleep(0.1)
    pytest.fail(f"README.md:{block.line}: log lines not printed by {job.command!r}: {missing}\nlog: {job.stderr}")


def test_readme_blocks_run_as_pasted():
    blocks = parse(README.read_text())
    shell = [b for b in blocks if b.lang in SHELLS]
    ran, skipped = [], []
    root = pathlib.Path(tempfile.mkdtemp(prefix="readme-", dir="/tmp"))  # short: socket paths have a limit
    sandbox = Sandbox(root)
    background: list[tuple[Background, int]] = []
    last: Background | None = None
    try:
        for block in blocks:
            for job, section in [entry for entry in background if entry[1] != block.section]:
                job.stop()
                background.remove((job, section))
            kind = block.marker[0] if block.marker else None
            if kind == "stderr":
                assert last is not None, f"README.md:{block.line}: a stderr block follows no background block"
                check_log(sandbox, block, last)
                continue
            if block.lang not in SHELLS:
                continue
            if kind == "skip":
                skipped.append((block.line, block.marker[1] or "marked skip"))
            elif kind == "package" and not os.environ.get("MODEM_PACKAGE"):
                skipped.append((block.line, "no $MODEM_PACKAGE (the tarball of scripts/package.sh)"))
            elif kind == "background":
                last = start_background(sandbox, block)
                background.append((last, block.section))
                ran.append(block.line)
            else:
                assert kind in (None, "package"), f"README.md:{block.line}: unknown marker {kind!r}"
                run_script(sandbox, block)
                ran.append(block.line)
    finally:
        for job, _ in background:
            job.stop()
        shutil.rmtree(root, ignore_errors=True)

    print(f"\nREADME.md: {len(shell)} shell blocks, {len(ran)} ran (lines {', '.join(map(str, ran))}), "
          f"{len(skipped)} skipped:")
    for line, reason in skipped:
        print(f"  README.md:{line}: {reason}")
    assert len(ran) + len(skipped) == len(shell)
    assert len(ran) >= MIN_RUN_FRACTION * len(shell), f"only {len(ran)} of {len(shell)} shell blocks run"


def test_readme_links_exist():
    """Every relative link and every `docs/...` path the README names is in the clone."""
    text = README.read_text()
    targets = set(re.findall(r"\]\((?!https?:|#)([^)\s]+)\)", text))
    targets |= set(re.findall(r"`((?:docs|examples|scripts)/[\w./-]+)`", text))
    missing = sorted(t for t in targets if not (pathlib.Path(ROOT) / t.split("#")[0]).exists())
    assert not missing, f"README.md names files that do not exist: {missing}"
    assert "../shared" not in text
