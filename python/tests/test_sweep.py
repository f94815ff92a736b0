"""sweep() against `fabricsim sweep`."""
import csv

import pytest

import fabricsim
from fabricsim._results import MEASURED

from conftest import read_json

SCENARIO = "configs/scenarios/incast_16to1_pfc.json"
VARY = {"models.nic.cc.algorithm": ["none", "dcqcn"], "workload.flow_size": ["1MB", "2MB"]}


def test_sweep_rows_equal_the_cli(root, cli, tmp_path):
    cli("sweep", SCENARIO, "--vary", "models.nic.cc.algorithm=none,dcqcn",
        "--vary", "workload.flow_size=1MB,2MB", "--set", "workload.senders=4",
        "--out", tmp_path / "cli", "--quiet")
    rows = fabricsim.sweep(root / SCENARIO, VARY, overrides=["workload.senders=4"],
                           out_dir=tmp_path / "py")
    with open(tmp_path / "cli/sweep.csv", encoding="utf-8") as f:
        cli_rows = list(csv.DictReader(f))
    cli_json = read_json(tmp_path / "cli/sweep.json")
    assert len(rows) == len(cli_rows) == 4
    assert [(r["models.nic.cc.algorithm"], r["workload.flow_size"]) for r in rows] == [
        ("none", "1MB"), ("none", "2MB"), ("dcqcn", "1MB"), ("dcqcn", "2MB")]
    for row, cli_row, cli_doc in zip(rows, cli_rows, cli_json):
        strip = lambda d: {k: v for k, v in d.items() if k not in MEASURED}
        assert strip(row["results"]) == strip(cli_doc["results"])
        assert row["fct_p99_ps"] == int(cli_row["fct_p99_ps"])
        assert row["completed"] == (cli_row["completed"] == "true")
    # The files written by out_dir have the CLI's columns.
    with open(tmp_path / "py/sweep.csv", encoding="utf-8") as f:
        py_rows = list(csv.DictReader(f))
    assert [list(r) for r in py_rows] == [list(r) for r in cli_rows]
    for py_row, cli_row in zip(py_rows, cli_rows):
        assert py_row == cli_row
    assert (tmp_path / "py/point_3/results.json").exists()


def test_sweep_values_may_be_python_values(root):
    rows = fabricsim.sweep(root / SCENARIO, {"workload.senders": [2, 4]})
    assert [r["workload.senders"] for r in rows] == [2, 4]
    assert rows[0]["fct_max_ps"] < rows[1]["fct_max_ps"]


def test_bad_sweeps(root):
    with pytest.raises(ValueError, match="vary"):
        fabricsim.sweep(root / SCENARIO, {})
    with pytest.raises(ValueError, match="non-empty list"):
        fabricsim.sweep(root / SCENARIO, {"seed": "1,2"})
    with pytest.raises(fabricsim.ConfigError, match="/workload/senders"):
        fabricsim.sweep(root / SCENARIO, {"workload.senders": [2, "lots"]})


def test_seeds_spread_equals_the_cli(root, cli, tmp_path):
    # A 64 KB permutation on a 128-host fat-tree: the seed draws the permutation and the ECMP
    # hash functions, so the seeds give different FCTs; the spread is the same from Python and
    # from the CLI.
    fixed = ["workload.pattern=permutation", "workload.flow_size=64KB"]
    cli("sweep", SCENARIO, "--seeds", "4", "--vary", "models.nic.cc.algorithm=none,dcqcn",
        *[a for f in fixed for a in ("--set", f)], "--out", tmp_path / "cli", "--quiet")
    rows = fabricsim.sweep(root / SCENARIO, {"models.nic.cc.algorithm": ["none", "dcqcn"]},
                           overrides=fixed, seeds=4, out_dir=tmp_path / "py")
    assert [r["seed"] for r in rows] == [1, 2, 3, 4] * 2
    with open(tmp_path / "cli/sweep_seeds.csv", encoding="utf-8") as f:
        cli_spread = list(csv.DictReader(f))
    with open(tmp_path / "py/sweep_seeds.csv", encoding="utf-8") as f:
        py_spread = list(csv.DictReader(f))
    assert list(cli_spread[0]) == list(py_spread[0])
    assert len(cli_spread) == 2
    spread = fabricsim.seed_spread(rows)
    for c, p, s in zip(cli_spread, py_spread, spread):
        assert c["seeds"] == p["seeds"] == "4" and s["seeds"] == 4
        for key in c:
            if key.endswith(("_mean", "_p5", "_p50", "_p95")):
                assert float(c[key]) == pytest.approx(float(p[key]), rel=1e-12)
                assert float(c[key]) == pytest.approx(s[key], rel=1e-12)
    # The seeds differ (ECMP), and the spread brackets the median.
    sims = {r["sim_time_ps"] for r in rows[:4]}
    assert len(sims) > 1
    s0 = spread[0]
    assert s0["sim_time_ps_p5"] <= s0["sim_time_ps_p50"] <= s0["sim_time_ps_p95"]
    with open(tmp_path / "cli/sweep.csv", encoding="utf-8") as f:
        cli_rows = list(csv.DictReader(f))
    assert [int(r["seed"]) for r in cli_rows] == [1, 2, 3, 4] * 2


def test_percentile_is_linear_between_ranks():
    from fabricsim._scenario import percentile
    assert percentile([10, 20], 50) == 15
    assert percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)
    assert percentile([7], 5) == 7


def test_bad_seeds(root):
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="seeds"):
            fabricsim.sweep(root / SCENARIO, seeds=bad)
    with pytest.raises(ValueError, match="both set the seed"):
        fabricsim.sweep(root / SCENARIO, {"seed": [1, 2]}, seeds=2)
