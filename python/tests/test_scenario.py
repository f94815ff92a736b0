"""Scenario.run against `fabricsim run`: same results.json (less measured fields), config.json
and time series; overrides as --set; dict scenarios; errors; GIL release and Ctrl-C."""
import _thread
import json
import threading
import time

import numpy as np
import pytest

import fabricsim
from fabricsim._results import MEASURED, read_csv

from conftest import read_json

INCAST = "configs/scenarios/incast_16to1_dcqcn.json"


def reproducible(doc):
    return {k: v for k, v in doc.items() if k not in MEASURED}


def test_results_equal_the_cli(root, cli, tmp_path):
    cli("run", INCAST, "--out", tmp_path / "cli", "--quiet")
    res = fabricsim.Scenario(root / INCAST).run(out_dir=tmp_path / "py")
    expected = read_json(tmp_path / "cli/results.json")
    assert res.to_dict(include_measured=False) == reproducible(expected)
    assert set(res.to_dict()) == set(expected)
    assert read_json(tmp_path / "py/config.json") == read_json(tmp_path / "cli/config.json")
    assert res.out_dir == str(tmp_path / "py")
    # Fields as attributes, time series as arrays equal to the CLI's CSV.
    assert res.completed and res.fabric == expected["fabric"]
    series, cli_series = res.timeseries, read_csv(tmp_path / "cli/timeseries.csv")
    assert list(series) == list(cli_series) == ["time_ps", "queue_bytes_max", "queue_bytes_total",
                                                "link_utilization_mean", "link_utilization_max",
                                                "pfc_paused_ports"]
    for column in cli_series:
        assert np.array_equal(series[column], cli_series[column])
    assert series["time_ps"].dtype == np.int64 and series["link_utilization_max"].dtype == float
    assert len(series["time_ps"]) > 100 and np.all(np.diff(series["time_ps"]) > 0)
    assert series["queue_bytes_max"].max() <= expected["fabric"]["max_queue_bytes"]
    assert res.timeseries_ports is not None and res.timeseries_qps is None


def test_a_collective_with_overrides_equals_cli_set(root, cli, tmp_path):
    sets = ["topology=../topologies/fat_tree_128.json", "workload.ranks=[0,1,2,3,8,9,10,11]",
            "workload.size=1MiB", "workload.iterations=2"]
    args = [a for s in sets for a in ("--set", s)]
    cli("run", "configs/scenarios/allreduce_ring_1024.json", *args, "--out", tmp_path, "--quiet")
    scenario = fabricsim.Scenario(root / "configs/scenarios/allreduce_ring_1024.json",
                                  overrides=sets)
    res = scenario.run()
    assert res.out_dir is None  # temporary, removed
    assert res.to_dict(False) == reproducible(read_json(tmp_path / "results.json"))
    rows = res.collectives
    assert [r["iteration"] for r in rows] == [0, 1]
    assert all(r["ranks"] == 8 and r["bytes"] == 1 << 20 and r["busbw_GBps"] > 0 for r in rows)
    assert res.timeseries is None


def test_dataframes_when_pandas_is_installed(root):
    res = fabricsim.Scenario(root / INCAST, ["workload.flow_size=1MB"]).run()
    try:
        import pandas
    except ImportError:
        with pytest.raises(ImportError, match="pandas"):
            res.dataframe()
        pytest.skip("pandas not installed")
    frame = res.dataframe("timeseries")
    assert list(frame.columns) == list(res.timeseries)
    assert np.array_equal(frame["queue_bytes_max"].to_numpy(), res.timeseries["queue_bytes_max"])
    assert isinstance(res.dataframe("collectives"), pandas.DataFrame)
    assert res.dataframe("timeseries_qps") is None
    assert res.dataframe("flows") is None  # outputs.flows not set
    with pytest.raises(ValueError, match="expected"):
        res.dataframe("nothing")


def test_flow_table_and_slowdown_bins(root, cli, tmp_path):
    overrides = ["workload.flow_size=256KB", "outputs.flows=true"]
    res = fabricsim.Scenario(root / INCAST, overrides).run()
    table = res.flow_table
    assert table is not None and len(table["id"]) == 16
    assert list(table) == ["id", "src", "dst", "size_bytes", "start_ps", "finish_ps", "fct_ps",
                           "ideal_fct_ps", "slowdown", "retransmitted_bytes"]
    assert np.array_equal(table["id"], np.arange(16))
    assert np.all(table["dst"] == 0) and np.all(table["size_bytes"] == 256000)
    assert np.allclose(table["slowdown"], table["fct_ps"] / table["ideal_fct_ps"], rtol=1e-6)
    assert np.all(table["slowdown"] > 1.0)  # 16 senders into one link
    bins = res.flows["slowdown_by_size"]
    assert [b["min_bytes"] for b in bins] == [0, 10000, 100000, 1000000, 10000000]
    assert bins[-1]["max_bytes"] is None
    assert bins[2]["count"] == 16 and res.flows["slowdown"]["count"] == 16
    assert res.flows["slowdown"]["max"] == pytest.approx(table["slowdown"].max(), rel=1e-6)
    # The CLI writes the same table.
    cli("run", root / INCAST, *[a for o in overrides for a in ("--set", o)], "--out", tmp_path)
    cli_table = read_csv(tmp_path / "flows.csv")
    for column in table:
        assert np.array_equal(cli_table[column], table[column]), column
    # Without outputs.flows there is no table, but the bins are in results.json.
    plain = fabricsim.Scenario(root / INCAST, ["workload.flow_size=256KB"]).run()
    assert plain.flow_table is None and plain.flows["slowdown"]["count"] == 16


def test_a_dict_and_override_dict_give_the_same_run_as_the_file(root):
    path = root / INCAST
    doc = json.loads(path.read_text())
    doc["topology"] = fabricsim.load_topology(root / "configs/topologies/fat_tree_128.json")
    from_dict = fabricsim.Scenario(doc, {"workload.flow_size": "2MB", "seed": 5})
    from_file = fabricsim.Scenario(path, ["workload.flow_size=2MB", "seed=5"])
    assert from_dict.seed == 5 and from_dict.document["workload"]["flow_size"] == "2MB"
    assert from_dict.config["workload"] == from_file.config["workload"]
    assert from_dict.run().to_dict(False) == from_file.run().to_dict(False)


def test_same_seed_same_results_other_seed_other_results(root):
    s = fabricsim.Scenario(root / "configs/scenarios/hadoop_uniform.json",
                           ["workload.flows_per_host=1", "topology=../topologies/fat_tree_128.json"])
    a, b = s.run().to_dict(False), s.run().to_dict(False)
    c = s.with_overrides(["seed=2"]).run().to_dict(False)
    assert a == b
    assert c["flows"] != a["flows"]


def test_threads_give_the_same_results(root):
    s = fabricsim.Scenario(root / "configs/scenarios/perm_1024_dcqcn.json",
                           ["workload.flow_size=256KB", "topology=../topologies/fat_tree_128.json"])
    one = s.run().to_dict(False)
    assert s.run(threads=2).to_dict(False) == one
    assert s.run(threads=3).to_dict(False) == one
    with pytest.raises(ValueError):
        s.run(threads=0)


def test_a_dead_path_ends_in_qp_errors_not_a_hang(root, cli, tmp_path):
    # Every packet lost: each QP retries retry_count times, then goes to the error state; the
    # collective ends unfinished with the errors in results.json, the same on 1 and 2 threads,
    # and the CLI says so on stderr with exit status 3.
    overrides = ["topology.nodes=16", "topology.tiers=3", "topology.radix=8",
                 "workload.size=1MiB", "models.link.loss_rate=1", "models.nic.ack_timeout=10",
                 "models.nic.retry_count=2"]
    s = fabricsim.Scenario(root / "configs/scenarios/allreduce_ring_1024.json", overrides)
    one = s.run(threads=1).to_dict(False)
    assert not one["completed"]
    assert one["fabric"]["qp_errors"] > 0
    assert one["fabric"]["timeouts"] == 3 * one["fabric"]["qp_errors"]
    first = one["errors"][0]
    assert first["kind"] == "qp_error"
    assert "3 local ACK timeouts of 4.1943 ms" in first["message"]
    assert first["time_ps"] >= 3 * 4_194_304_000
    assert s.run(threads=2).to_dict(False) == one
    args = [a for o in overrides for a in ("--set", o)]
    proc = cli("run", "configs/scenarios/allreduce_ring_1024.json", *args, "--out", tmp_path,
               "--quiet", check=False)
    assert proc.returncode == 3
    assert "fabricsim: error: QP error at" in proc.stderr
    assert read_json(tmp_path / "results.json")["errors"] == one["errors"]


def test_a_collective_runs_on_the_scenarios_threads(root):
    # "threads" in the scenario is used when run() is given none; results do not depend on it.
    # 16 nodes in rail groups of 4 (radix-8 leaves): GPUs on both threads.
    s = fabricsim.Scenario(root / "configs/scenarios/allreduce_ring_1024.json",
                           ["topology.nodes=16", "topology.tiers=3", "topology.radix=8",
                            "workload.size=1MiB", "threads=2"])
    on_two = s.run().to_dict(False)
    assert on_two["completed"] and on_two["collectives"][0]["time_ps"] > 0
    assert s.run(threads=1).to_dict(False) == on_two


def test_threads_without_gpus_are_a_warning_not_a_result(root):
    # As shipped, training_step_128's 16 nodes are one rail group: the second thread gets none.
    s = fabricsim.Scenario(root / "configs/scenarios/training_step_128.json",
                           [f"workload.phases.{i}.collective.size=64KiB" for i in (1, 2, 4, 5)])
    with pytest.warns(RuntimeWarning, match="no GPU in 1 of the 2 partitions"):
        r = s.run(threads=2)
    assert len(r.run_notes) == 1
    assert r.to_dict(False) == s.run(threads=1).to_dict(False)
    assert s.run(threads=1).run_notes == []


def test_a_training_step_runs_on_threads(root):
    # Overlapping phases on 128 GPUs: the same phases, collectives and events on 2 threads
    # (rail groups of 4 nodes, so that both threads hold GPUs).
    s = fabricsim.Scenario(root / "configs/scenarios/training_step_128.json",
                           ["topology.tiers=3", "topology.radix=8"])
    on_one = s.run(threads=1).to_dict(False)
    on_two = s.run(threads=2).to_dict(False)
    assert on_one["completed"] and len(on_one["training_step"]["phases"]) == 6
    assert on_two == on_one


def test_config_errors_name_the_file_the_json_path_and_the_value(root, tmp_path):
    with pytest.raises(fabricsim.ConfigError) as e:
        fabricsim.Scenario(root / INCAST, ["workload.flow_size=2XB"])
    message = str(e.value)
    assert "incast_16to1_dcqcn.json" in message and "/workload/flow_size" in message
    assert "2XB" in message
    with pytest.raises(ValueError, match="/workload/kind"):
        fabricsim.Scenario({"topology": fabricsim.topologies.fat_tree(8, tiers=2),
                            "workload": {"kind": "chaos"}})
    with pytest.raises(fabricsim.ConfigError, match="unknown"):
        fabricsim.Scenario(root / INCAST, ["models.switch.bogus_key=1"])
    with pytest.raises(fabricsim.ConfigError, match="nothing.json"):
        fabricsim.Scenario(tmp_path / "nothing.json")
    with pytest.raises(TypeError):
        fabricsim.Scenario(42)


def long_scenario():
    # 16 x 8 GB into one host: tens of seconds of wall time if nothing stops it.
    return fabricsim.Scenario({
        "name": "long", "topology": fabricsim.topologies.fat_tree(8, tiers=2, hosts=32),
        "workload": {"kind": "traffic", "pattern": "incast", "senders": 16, "receiver": 0,
                     "flow_size": "8GB"}})


def test_ctrl_c_stops_a_run_cleanly():
    scenario = long_scenario()
    timer = threading.Timer(0.5, _thread.interrupt_main)
    start = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        scenario.run()
    assert time.monotonic() - start < 10
    timer.join()
    # The module is still usable afterwards.
    assert fabricsim.Scenario({"topology": fabricsim.topologies.fat_tree(8, tiers=2, hosts=4),
                               "workload": {"kind": "flows", "flows": [
                                   {"src": 0, "dst": 1, "size": "10KB"}]}}).run().completed


def test_the_gil_is_released_while_a_run_runs():
    ticks = []
    done = threading.Event()
    took = []

    def run():
        try:
            start = time.monotonic()
            fabricsim.Scenario(long_scenario(), ["stop_at=300ms"]).run()
            took.append(time.monotonic() - start)
        finally:
            done.set()

    worker = threading.Thread(target=run)
    worker.start()
    while not done.is_set():
        ticks.append(time.monotonic())
        time.sleep(0.01)
    worker.join()
    # A run that held the GIL would leave the main thread no chance to tick during it.
    assert took and took[0] > 0.2
    assert len(ticks) > took[0] / 0.01 / 3


def test_a_real_sigint_stops_a_run_in_a_python_process(root):
    # Ctrl-C as a terminal sends it: SIGINT to a process busy in Scenario.run().
    import os
    import signal
    import subprocess
    import sys
    code = ("import fabricsim, sys\n"
            "s = fabricsim.Scenario({'topology': fabricsim.topologies.fat_tree(8, tiers=2, hosts=32),"
            " 'workload': {'kind': 'traffic', 'pattern': 'incast', 'senders': 16,"
            " 'flow_size': '8GB'}})\n"
            "print('running', flush=True)\n"
            "try:\n    s.run()\nexcept KeyboardInterrupt:\n    print('interrupted', flush=True)\n"
            "    sys.exit(7)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ})
    assert proc.stdout.readline().strip() == "running"
    time.sleep(0.5)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 7 and "interrupted" in out
    assert time.monotonic() - start < 5
