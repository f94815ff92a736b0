#!/usr/bin/env python3
"""Runs every case of the bad-input tables (tests/cli/bad_inputs*.tsv) against the program each
table names, under a memory and a time limit: the exit code must match, stderr must contain the
expected text, nothing may crash, hang, or take more than 1 GiB or 2 s of CPU to refuse.

usage: run_bad_inputs.py [--program NAME=PATH]... [--python PATH] [--table FILE]... SOURCE_DIR
       run_bad_inputs.py FABRICSIM SOURCE_DIR          (the old form: the fabricsim table only)

Table format: NAME <TAB> EXIT <TAB> STDERR MUST CONTAIN <TAB> ARGUMENTS, one case per line, '#'
comments. A `#! program: NAME` line says which program the table runs (default fabricsim); for
`python` ARGUMENTS is Python code run with `python3 -c` and the last line of stderr (the
exception) must contain the expected text. {dir} is tests/cli/bad_inputs, {out} a fresh
temporary directory. ARGUMENTS may start with options: `@fsize=BYTES ` runs the case with that
file size limit (RLIMIT_FSIZE; SIGXFSZ ignored), which makes writes fail as on a full disk;
`@stdout-file ` sends its standard output to a file (so the size limit applies to it)."""
import argparse
import collections
import glob
import os
import resource
import shlex
import signal
import subprocess
import sys
import tempfile
import time

MEMORY_LIMIT = 1 << 30  # address space of a case: a refusal must fit in 1 GiB
CPU_LIMIT_S = 2.0       # CPU seconds a refusal may take
WALL_LIMIT_S = 30       # a case still running then is a hang


def sanitized(path):
    """True for a binary built with AddressSanitizer (its shadow memory needs terabytes of
    address space, and it is several times slower)."""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def limits(fsize, address_space):
    def apply():
        if address_space:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    return apply


def read_table(path):
    program = "fabricsim"
    cases = []
    with open(path, encoding="utf-8") as table:
        for number, line in enumerate(table, 1):
            line = line.rstrip("\n")
            if line.startswith("#! program:"):
                program = line.split(":", 1)[1].strip()
                continue
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 4:
                raise SystemExit(f"{path}:{number}: expected 4 tab-separated fields")
            cases.append((number, *fields))
    return program, cases


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--program", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--python", help="PYTHONPATH holding the fabricsim module")
    parser.add_argument("--table", action="append", default=[])
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    programs = dict(p.split("=", 1) for p in args.program)
    if len(args.paths) == 2:  # the old form: FABRICSIM SOURCE_DIR
        programs["fabricsim"] = args.paths[0]
    source = args.paths[-1]
    tables = args.table or sorted(glob.glob(os.path.join(source, "tests/cli/bad_inputs*.tsv")))

    failures = []
    counts = collections.Counter()
    worst_cpu = (0.0, "")
    skipped = []
    # The control: the scenario the cases start from is fine.
    if "fabricsim" in programs:
        with tempfile.TemporaryDirectory(prefix="fabricsim_good_") as out:
            good = subprocess.run([programs["fabricsim"], "run", "tests/cli/bad_inputs/good.json",
                                   "--out", out, "-q"], cwd=source, capture_output=True,
                                  text=True, check=False)
        if good.returncode != 0:
            failures.append(f"good.json fails: {good.stderr.strip()}")
    for table in tables:
        program, cases = read_table(table)
        if program == "python":
            if not args.python:
                skipped.append(f"{os.path.basename(table)} (no --python)")
                continue
            binary = sys.executable
        elif program in programs:
            binary = programs[program]
        else:
            skipped.append(f"{os.path.basename(table)} (no --program {program}=PATH)")
            continue
        slow = sanitized(binary)
        for number, name, code, expected, words in cases:
            fsize = None
            stdout_file = False
            while words.startswith("@"):
                head, _, words = words.partition(" ")
                if head.startswith("@fsize="):
                    fsize = int(head[len("@fsize="):])
                elif head == "@stdout-file":
                    stdout_file = True
                else:
                    raise SystemExit(f"{table}:{number}: unknown case option {head}")
            with tempfile.TemporaryDirectory(prefix="fabricsim_bad_") as out:
                expected = expected.replace("{dir}", "tests/cli/bad_inputs").replace("{out}", out)
                if program == "python":
                    command = [binary, "-c", words.replace("{dir}", "tests/cli/bad_inputs")
                               .replace("{out}", out)]
                else:
                    command = [binary] + [w.replace("{dir}", "tests/cli/bad_inputs")
                                          .replace("{out}", out) for w in shlex.split(words)]
                env = dict(os.environ)
                if args.python:
                    env["PYTHONPATH"] = args.python
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.monotonic()
                problems = []
                try:
                    stdout = (open(os.path.join(out, "stdout.txt"), "w", encoding="utf-8")
                              if stdout_file else subprocess.PIPE)
                    proc = subprocess.run(command, cwd=source, stdout=stdout,
                                          stderr=subprocess.PIPE, text=True, errors="replace",
                                          env=env, check=False,
                                          timeout=WALL_LIMIT_S * (4 if slow else 1),
                                          preexec_fn=limits(fsize, not slow))
                    if stdout_file:
                        stdout.close()
                    stderr = proc.stderr
                    returncode = proc.returncode
                except subprocess.TimeoutExpired as e:
                    stderr = e.stderr.decode(errors="replace") if e.stderr else ""
                    returncode = None
                    problems.append(f"still running after {time.monotonic() - start:.0f} s: a hang")
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            counts[(program, code)] += 1
            if cpu > worst_cpu[0]:
                worst_cpu = (cpu, f"{program} {name}")
            if returncode is not None:
                if returncode < 0:
                    problems.append(f"killed by signal {-returncode}")
                elif returncode != int(code):
                    problems.append(f"exit code {returncode}, expected {code}")
            last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
            where = last if program == "python" else stderr
            if expected not in where:
                problems.append(f"stderr lacks {expected!r}")
            if program != "python" and not stderr.startswith(("fabricsim", "usage: fabricsim")):
                problems.append("stderr does not start with 'fabricsim'")
            for crash in ("terminate called", "Sanitizer", "std::bad_alloc", "Segmentation",
                          "MemoryError", "Fatal Python error"):
                if crash in stderr:
                    problems.append(f"crashed ({crash})")
            if not slow and cpu > CPU_LIMIT_S:
                problems.append(f"took {cpu:.1f} s of CPU to refuse (limit {CPU_LIMIT_S} s)")
            if problems:
                failures.append(f"{os.path.basename(table)}:{number} {name}: {'; '.join(problems)}"
                                f"\n  {' '.join(shlex.quote(c) for c in command)}"
                                f"\n  stderr: {stderr.strip()[-600:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    for f in failures:
        print(f)
    total = sum(counts.values())
    for (program, code), n in sorted(counts.items()):
        print(f"  {program:<13} exit {code}: {n} cases")
    for s in skipped:
        print(f"  skipped {s}")
    print(f"largest child {peak / 2**20:.0f} MiB (limit {MEMORY_LIMIT >> 20} MiB); most CPU "
          f"{worst_cpu[0]:.2f} s ({worst_cpu[1]})")
    print(f"{total - len(failures)}/{total} bad-input cases behave")
    return 1 if failures or total < 30 else 0


if __name__ == "__main__":
    sys.exit(main())
