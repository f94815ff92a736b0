"""Multipath fabrics from Python: Results.multipath and Results.load_balance on a small 4-plane
MRC fabric (a permutation spread evenly over the planes; an incast into small buffers, whose
every trimmed packet is NACKed and sent again), and what a single-plane RoCE fabric reports."""
import json

import pytest

import fabricsim

from conftest import read_json

PLANES = 4
LEVELS = {"leaf_up", "spine_down", "spine_up", "core_down", "lateral"}


def mrc_fabric(buffer="4MB"):
    """64 GPUs with 4 x 100 Gb/s NIC ports, one per plane: 4 two-tier Clos planes of radix-16
    switches, MRC with structured EVs and NSCC, entropy routing, PFC off, trimming on."""
    return fabricsim.topologies.fat_tree(
        16, tiers=2, hosts=64, planes=PLANES, name="mrc_64",
        link={"rate": "100Gbps", "delay": "1us", "mtu": 4096},
        switch={"buffer": buffer, "pfc": {"enabled": False}, "trim": {"enabled": True},
                "routing": "entropy"},
        nic={"transport": "mrc", "mrc": {"evs": 32, "paths": "structured"},
             "cc": {"algorithm": "nscc", "nscc": {"trimming": True}}})


def roce_fabric():
    """The single-plane counterpart: one 400 Gb/s port per GPU, RoCE + PFC + DCQCN, ECMP."""
    return fabricsim.topologies.fat_tree(
        16, tiers=2, hosts=64, name="roce_64",
        link={"rate": "400Gbps", "delay": "1us", "mtu": 4096},
        switch={"buffer": "16MB", "pfc": {"enabled": True}, "routing": "ecmp"},
        nic={"transport": "roce", "cc": {"algorithm": "dcqcn"}})


def scenario(topology, workload, name="mrc_python"):
    return fabricsim.Scenario({"schema": "fabricsim.scenario/1", "name": name, "seed": 1,
                               "topology": topology, "workload": workload})


PERMUTATION = {"kind": "traffic", "pattern": "permutation", "flow_size": "1MB"}
INCAST = {"kind": "traffic", "pattern": "incast", "senders": 16, "receiver": 0,
          "flow_size": "256KB"}


def test_a_permutation_spreads_evenly_over_the_planes():
    res = scenario(mrc_fabric(), PERMUTATION).run()
    assert res.completed and res.flows["completed"] == 64
    mp = res.multipath
    assert mp["transport"] == "mrc" and mp["planes"] == PLANES
    assert len(mp["plane_tx_bytes"]) == PLANES and all(b > 0 for b in mp["plane_tx_bytes"])
    assert len(mp["plane_trims"]) == PLANES
    assert mp["plane_imbalance"] == pytest.approx(1.0, abs=0.05)
    assert mp["plane_imbalance"] == pytest.approx(
        max(mp["plane_tx_bytes"]) * PLANES / sum(mp["plane_tx_bytes"]))
    assert set(mp["ev"]) == {"swaps", "retirements", "probes", "revivals"}
    # Every plane sent at least the payload of its share of the flows.
    assert sum(mp["plane_tx_bytes"]) >= 64 * 1_000_000
    lb = res.load_balance
    assert {"leaf_up", "spine_down"} <= set(lb) <= LEVELS
    for level in lb.values():
        assert set(level) == {"links", "mean_bytes", "max_bytes", "max_over_mean"}
        assert level["links"] > 0 and level["max_over_mean"] >= 1.0
    # Structured EVs and entropy routing: a leaf's uplinks share its off-leaf traffic evenly
    # (what is left is how many of a leaf's GPUs have their partner on another leaf).
    assert lb["leaf_up"]["max_over_mean"] < 1.5
    # Copies: changing them changes nothing in the results.
    mp["planes"] = 99
    lb.clear()
    assert res.multipath["planes"] == PLANES and res.load_balance


def test_an_incast_into_small_buffers_is_trimmed_nacked_and_completes():
    res = scenario(mrc_fabric(buffer="512KB"), INCAST).run()
    mp = res.multipath
    assert mp["trims"] > 0 and mp["nacks"] == mp["trims"]
    assert sum(mp["plane_trims"]) == mp["trims"]
    assert mp["selective_resends"] >= mp["trims"]
    assert res.completed and res.flows["completed"] == INCAST["senders"]
    # Trimming instead of dropping: nothing lost, nothing paused.
    assert res.fabric["drops"] == 0 and res.fabric["pfc_pause_frames"] == 0


def test_a_single_plane_roce_fabric_has_no_multipath_section():
    res = scenario(roce_fabric(), PERMUTATION, "roce_python").run()
    assert res.completed and res.multipath is None
    assert "multipath" not in res.to_dict()
    lb = res.load_balance
    assert {"leaf_up", "spine_down"} <= set(lb) <= LEVELS
    # Per-flow ECMP collides where MRC's per-packet EVs do not.
    mrc = scenario(mrc_fabric(), PERMUTATION).run().load_balance
    assert lb["leaf_up"]["max_over_mean"] > 2 * mrc["leaf_up"]["max_over_mean"]


def test_the_sections_are_those_of_the_cli(cli, tmp_path):
    s = scenario(mrc_fabric(buffer="512KB"), INCAST)
    res = s.run()
    path = tmp_path / "mrc_incast.json"
    path.write_text(json.dumps(s.document), encoding="utf-8")
    cli("run", path, "--out", tmp_path / "cli", "--quiet")
    doc = read_json(tmp_path / "cli" / "results.json")
    assert doc["multipath"] == res.multipath and doc["load_balance"] == res.load_balance
