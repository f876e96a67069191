#!/usr/bin/env python3
"""Checks the layout rules of issue 16 that the compiler does not (STYLE.md §1b, §4).

1. No Swift file under Sources/, Tests/, Benchmarks/ or Fuzz/ is over 400 lines.
2. Each machine of ModemCore (Machines/, Interpreter/) keeps its stored state to itself: every
   stored `var` of it is `private` or `private(set)`, so only its own transitions (in its own
   file) can change it; the compiler then rejects an assignment from anywhere else.
3. Commands/ never replaces a machine of the coordinator wholesale (`links = ...`).

Exit status 1 with one line per violation; 0 when the tree follows the rules.
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
core = root / "Sources" / "ModemCore"
machines = ["interpreter", "context", "links", "server", "bearers", "radio", "queries", "messages", "phonebook",
            "call", "http", "gnss"]
problems = []

swift_files = [p for folder in ["Sources", "Tests", "Benchmarks", "Fuzz"] for p in (root / folder).rglob("*.swift")
               if ".build" not in p.parts]
for path in sorted(swift_files):
    lines = path.read_text().count("\n")
    if lines > 400:
        problems.append(f"{path.relative_to(root)}: {lines} lines (limit 400)")

for folder in ["Machines", "Interpreter"]:
    for path in sorted((core / folder).glob("*.swift")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not re.match(r"^    (public |package |internal |fileprivate |private(\(set\))? |public private\(set\) )*var ", line):
                continue
            if "{" in line and "=" not in line.split("{")[0]:
                continue  # a computed property
            if "private" not in line:
                problems.append(f"{path.relative_to(root)}:{number}: stored state others can assign: {line.strip()}")

assignment = re.compile(r"(?<![\w.])(" + "|".join(machines) + r")\s*=(?!=)")
for path in sorted((core / "Commands").glob("*.swift")):
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if assignment.search(line):
            problems.append(f"{path.relative_to(root)}:{number}: replaces a machine: {line.strip()}")

for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
