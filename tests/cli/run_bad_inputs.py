#!/usr/bin/env python3
"""Runs every case of bad_inputs.tsv against the fabricsim binary: the exit code must match, stderr
must contain the expected text and start with "fabricsim", and nothing may crash.

usage: run_bad_inputs.py FABRICSIM SOURCE_DIR"""
import os
import shlex
import subprocess
import sys
import tempfile


def main():
    binary, source = sys.argv[1], sys.argv[2]
    here = os.path.join(source, "tests", "cli")
    failures = []
    count = 0
    # The control: the scenario the cases start from is fine.
    with tempfile.TemporaryDirectory(prefix="fabricsim_good_") as out:
        good = subprocess.run([binary, "run", "tests/cli/bad_inputs/good.json", "--out", out, "-q"],
                              cwd=source, capture_output=True, text=True, check=False)
    if good.returncode != 0:
        failures.append(f"good.json fails: {good.stderr.strip()}")
    with open(os.path.join(here, "bad_inputs.tsv"), encoding="utf-8") as table:
        for number, line in enumerate(table, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name, code, expected, args = line.split("\t")
            count += 1
            with tempfile.TemporaryDirectory(prefix="fabricsim_bad_") as out:
                words = [w.replace("{dir}", "tests/cli/bad_inputs").replace("{out}", out)
                         for w in shlex.split(args)]
                expected = expected.replace("{dir}", "tests/cli/bad_inputs")
                proc = subprocess.run([binary] + words, cwd=source, capture_output=True,
                                      text=True, errors="replace", timeout=60, check=False)
            problems = []
            if proc.returncode < 0:
                problems.append(f"killed by signal {-proc.returncode}")
            elif proc.returncode != int(code):
                problems.append(f"exit code {proc.returncode}, expected {code}")
            if expected not in proc.stderr:
                problems.append(f"stderr lacks {expected!r}")
            if not proc.stderr.startswith(("fabricsim", "usage: fabricsim")):
                problems.append("stderr does not start with 'fabricsim'")
            if "terminate called" in proc.stderr or "Sanitizer" in proc.stderr:
                problems.append("crashed")
            if problems:
                failures.append(f"line {number} {name}: {'; '.join(problems)}\n"
                                f"  fabricsim {' '.join(words)}\n  stderr: {proc.stderr.strip()}")
    for f in failures:
        print(f)
    print(f"{count - len(failures)}/{count} bad-input cases behave")
    return 1 if failures or count < 30 else 0


if __name__ == "__main__":
    sys.exit(main())
