#!/usr/bin/env python3
"""The progress line: shown on a terminal (simulated time, events/s, ETA with stop_at), erased
before the summary, absent with --quiet and when stdout is not a terminal.

usage: run_progress.py FABRICSIM SOURCE_DIR"""
import os
import pty
import subprocess
import sys
import tempfile

# About a second of simulation: long enough for several redraws (every 250 ms).
SCENARIO = ["configs/scenarios/websearch_uniform.json", "--set", "workload.flows_per_host=16",
            "--set", "stop_at=\"50ms\""]


def run(binary, source, extra, stdout_tty):
    """Runs fabricsim with stderr (and optionally stdout) on a pseudo-terminal; returns
    (exit code, terminal output, piped stdout)."""
    master, slave = pty.openpty()
    with tempfile.TemporaryDirectory(prefix="fabricsim_progress_") as out:
        proc = subprocess.Popen([binary, "run"] + SCENARIO + ["--out", out] + extra, cwd=source,
                                stdout=slave if stdout_tty else subprocess.PIPE, stderr=slave)
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closes when the process exits
                break
            if not chunk:
                break
            seen += chunk
        piped = proc.stdout.read().decode() if proc.stdout else ""
        code = proc.wait()
    os.close(master)
    return code, seen.decode(errors="replace"), piped


def main():
    binary, source = sys.argv[1], sys.argv[2]
    failures = []
    code, tty, _ = run(binary, source, [], stdout_tty=True)
    if code != 0:
        failures.append(f"run failed ({code}): {tty}")
    for text in ("\r\x1b[K  simulated ", " of 50 ms (", " events/s", "flows ", "ETA "):
        if text not in tty:
            failures.append(f"terminal output lacks {text!r}")
    summary = tty.find("scenario   websearch_uniform")
    if summary < 0 or not tty[:summary].endswith("\r\x1b[K"):
        failures.append("the progress line is not erased before the summary")
    code, tty, _ = run(binary, source, ["--quiet"], stdout_tty=True)
    if code != 0 or tty.strip():
        failures.append(f"--quiet printed {tty!r}")
    code, tty, piped = run(binary, source, [], stdout_tty=False)
    if code != 0 or "simulated " in tty or "scenario   websearch_uniform" not in piped:
        failures.append(f"with stdout piped: terminal {tty!r}")
    for f in failures:
        print(f)
    print("progress line: " + ("FAILED" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
