"""Scenarios with faults from Python: Results.faults and fault_timeline(), run(...,
compare_fault_free=True) as `fabricsim run --compare-fault-free`, and clear errors for bad
arguments and bad fault specs."""
import numpy as np
import pytest

import fabricsim

from conftest import read_json

LEAF_REBOOT = "configs/scenarios/faults_leaf_reboot.json"
NIC_DOWN = "configs/scenarios/faults_nic_down.json"
STRAGGLER = "configs/scenarios/faults_straggler.json"
# The shipped 1,024-GPU scenarios on 16 nodes of the same cluster (as test_scenario_configs),
# the fault early enough to land inside the smaller collective.
SMALL = ["topology.nodes=16", "workload.size=16MiB", "faults.events.0.at=50us"]


def test_a_faulted_run_reports_its_faults(root):
    res = fabricsim.Scenario(root / LEAF_REBOOT, SMALL).run()
    assert res.completed
    faults = res.faults
    assert faults["events"] == 1 and faults["packets_blackholed"] > 0 and faults["lost_bytes"] > 0
    # Without the comparison there is no fault-free figure.
    assert "slowdown" not in faults and "fault_free_time_ps" not in faults
    [reboot] = faults["timeline"]
    assert reboot["kind"] == "switch_reboot" and reboot["target"] == "switch 0"
    assert reboot["at_ps"] == 50_000_000 and reboot["restored_ps"] == 1_050_000_000
    timeline = res.fault_timeline()
    assert timeline["kind"] == ["switch_reboot"] and timeline["at_ps"].dtype == np.int64
    assert timeline["restored_ps"].tolist() == [1_050_000_000]
    # A copy: changing it changes nothing in the results.
    faults["events"] = 99
    assert res.faults["events"] == 1


def test_compare_fault_free_gives_the_slowdown_of_a_fault_on_the_critical_path(root, cli,
                                                                                tmp_path):
    # GPU 0's NIC is on the rail-0 ring that every GPU's all-gather waits for.
    scenario = fabricsim.Scenario(root / NIC_DOWN, SMALL)
    res = scenario.run(tmp_path / "py", compare_fault_free=True)
    faults = res.faults
    assert faults["slowdown"] > 1.5
    assert faults["slowdown"] == pytest.approx(res.sim_time_ps / faults["fault_free_time_ps"])
    # The fault-free run is the scenario without its faults section.
    clean = fabricsim.Scenario(root / NIC_DOWN, SMALL + ["faults={}"])
    assert not clean.has_faults and clean.run().sim_time_ps == faults["fault_free_time_ps"]
    # The same as the CLI's --compare-fault-free.
    args = [a for s in SMALL for a in ("--set", s)]
    cli("run", NIC_DOWN, *args, "--compare-fault-free", "--out", tmp_path / "cli", "--quiet")
    assert read_json(tmp_path / "cli/results.json")["faults"] == faults


def test_a_straggler_slows_the_training_step(root):
    res = fabricsim.Scenario(root / STRAGGLER).run(compare_fault_free=True)
    assert res.faults["stragglers"] == 1 and res.faults["timeline"] == []
    assert res.faults["slowdown"] > 1.1


def test_no_faults_no_faults_section(root):
    s = fabricsim.Scenario(root / "configs/scenarios/allreduce_ring_1024.json",
                           ["topology=../topologies/fat_tree_128.json", "workload.ranks=[0,1,2,3]",
                            "workload.size=64KiB"])
    assert not s.has_faults
    res = s.run()
    assert res.faults is None and res.fault_timeline() is None


def test_bad_arguments_and_fault_specs_raise_clear_errors(root):
    clean = fabricsim.Scenario(root / "configs/scenarios/allreduce_ring_1024.json",
                               ["topology=../topologies/fat_tree_128.json",
                                "workload.ranks=[0,1]", "workload.size=64KiB"])
    with pytest.raises(ValueError, match="compare_fault_free: the scenario 'allreduce_ring_1024' "
                                         "has no faults"):
        clean.run(compare_fault_free=True)
    faulted = fabricsim.Scenario(root / LEAF_REBOOT, SMALL)
    for bad in ("yes", 1, None):
        with pytest.raises(TypeError, match="compare_fault_free: expected True or False"):
            faulted.run(compare_fault_free=bad)
    # Checked when the scenario is read.
    with pytest.raises(fabricsim.ConfigError, match=r"/faults/events/0/kind.*\"reboot\""):
        fabricsim.Scenario(root / LEAF_REBOOT, SMALL + ["faults.events.0.kind=reboot"])
    with pytest.raises(fabricsim.ConfigError, match=r"/faults/flaps/0/every"):
        fabricsim.Scenario(root / "configs/scenarios/faults_allreduce_1024_flaps.json",
                           ["faults.flaps.0.every=-1ms"])
    with pytest.raises(fabricsim.ConfigError, match=r"/faults/stragglers/0/gpu"):
        fabricsim.Scenario(root / STRAGGLER, ["faults.stragglers.0.gpu=128"])
    # Checked against the built topology when the run starts: a switch that does not exist.
    with pytest.raises(fabricsim.ConfigError, match=r"/faults/events/0/switch.*below"):
        fabricsim.Scenario(root / LEAF_REBOOT, SMALL + ["faults.events.0.switch=999"]).run()
