#!/usr/bin/python3
# Validation regression test: runs the setups marked "in_test" in validation/setups.json and fails when an error grows past its bar in validation/bars.json.
"""tests/validation/check_validation.py BINARY_DIR [--update-bars] [--bars FILE] [--setups FILE]
                                        [--jobs N] [--margin PP] [--keep DIR]

Runs `scripts/validate --only <in_test setups> --test-sizes` with BINARY_DIR/fabricsim into a
temporary directory and compares each setup's busbw MAPE (rows >= 64 MiB) and time MAPE
(rows <= 64 KiB) with validation/bars.json:
    {"per_setup": {ID: {"busbw_mape_max": PCT | null, "time_mape_max": PCT | null}}}
(null: not checked, the setup has no such rows). Exit 0 when every run succeeded and every
error is within its bar, 1 otherwise, 2 on bad usage. `--update-bars` writes bars.json from
this run instead: current MAPE + margin (5 percentage points).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary_dir", help="directory holding the fabricsim binary (build/bin)")
    ap.add_argument("--update-bars", action="store_true", help="write the bars from this run")
    ap.add_argument("--bars", default=os.path.join(ROOT, "validation", "bars.json"))
    ap.add_argument("--setups", default=os.path.join(ROOT, "validation", "setups.json"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--margin", type=float, default=5.0, help="percentage points over the current error (5)")
    ap.add_argument("--max-seconds", type=float, default=120.0)
    ap.add_argument("--keep", help="keep the run's report and results in DIR")
    args = ap.parse_args()

    binary = os.path.join(os.path.abspath(args.binary_dir), "fabricsim")
    if not os.access(binary, os.X_OK):
        print("check_validation: no fabricsim in %s" % args.binary_dir, file=sys.stderr)
        return 2
    with open(args.setups) as f:
        setups = json.load(f)
    ids = [s["id"] for s in setups["setups"] if s.get("in_test")]
    if not ids:
        print("check_validation: no setup has \"in_test\": true in %s" % args.setups, file=sys.stderr)
        return 2

    out = args.keep or tempfile.mkdtemp(prefix="fabricsim_check_validation_")
    try:
        cmd = [sys.executable, os.path.join(ROOT, "scripts", "validate"), "--setups", args.setups,
               "--binary", binary, "--out", out, "--only", ",".join(ids), "--test-sizes",
               "--jobs", str(args.jobs), "--max-seconds", str(args.max_seconds), "--no-plots"]
        print("check_validation: " + " ".join(cmd), flush=True)
        rc = subprocess.run(cmd).returncode
        summary_path = os.path.join(out, "summary.json")
        if not os.path.exists(summary_path):
            print("check_validation: scripts/validate wrote no summary (exit %d)" % rc, file=sys.stderr)
            return 1
        with open(summary_path) as f:
            per = json.load(f)["per_setup"]
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)

    failed = []
    if rc != 0:
        failed.append("scripts/validate exited %d (a run failed or timed out)" % rc)
    for sid in ids:
        if sid not in per:
            failed.append("%s: no result" % sid)
        elif per[sid]["points_ok"] != per[sid]["points"]:
            failed.append("%s: %d of %d runs failed" % (sid, per[sid]["points"] - per[sid]["points_ok"],
                                                       per[sid]["points"]))

    def bar(v):
        return None if v is None else math.ceil((v + args.margin) * 10.0) / 10.0

    if args.update_bars:
        if failed:
            for f_ in failed:
                print("check_validation: FAIL " + f_, file=sys.stderr)
            print("check_validation: bars not updated", file=sys.stderr)
            return 1
        doc = {"description": "Error bars of tests/validation/check_validation.py: per in_test setup, the "
                              "largest allowed busbw MAPE (rows >= 64 MiB) and time MAPE (rows <= 64 KiB), "
                              "in percent, at the setup's test_max_sim_bytes. Written by --update-bars "
                              "as the current error + %g percentage points; null = not checked." % args.margin,
               "margin_pp": args.margin,
               "per_setup": {sid: {"busbw_mape_max": bar(per[sid]["busbw"]["mape_pct"]),
                                   "time_mape_max": bar(per[sid]["time"]["mape_pct"]),
                                   "busbw_mape_now": per[sid]["busbw"]["mape_pct"],
                                   "time_mape_now": per[sid]["time"]["mape_pct"]} for sid in ids}}
        with open(args.bars, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        print("check_validation: wrote %s" % args.bars)
        return 0

    try:
        with open(args.bars) as f:
            bars = json.load(f)["per_setup"]
    except (OSError, ValueError, KeyError) as e:
        print("check_validation: cannot read bars %s: %s (run with --update-bars)" % (args.bars, e), file=sys.stderr)
        return 1
    for sid in ids:
        if sid not in per:
            continue
        if sid not in bars:
            failed.append("%s: no bar in %s (run with --update-bars)" % (sid, args.bars))
            continue
        for kind in ("busbw", "time"):
            limit = bars[sid].get(kind + "_mape_max")
            now = per[sid][kind]["mape_pct"]
            if limit is None:
                status = "not checked"
            elif now is None:
                status = "FAIL (no %s error, bar %.1f%%)" % (kind, limit)
                failed.append("%s: %s MAPE missing (bar %.1f%%)" % (sid, kind, limit))
            elif now > limit:
                status = "FAIL"
                failed.append("%s: %s MAPE %.1f%% > bar %.1f%%" % (sid, kind, now, limit))
            else:
                status = "ok"
            print("check_validation: %-40s %-5s MAPE %s bar %s  %s" % (
                sid, kind, "-" if now is None else "%.1f%%" % now,
                "-" if limit is None else "%.1f%%" % limit, status))
    for f_ in failed:
        print("check_validation: FAIL " + f_, file=sys.stderr)
    print("check_validation: %s" % ("FAILED" if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
