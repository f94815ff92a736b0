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
