#!/usr/bin/env python3
"""Distributed runs: `mpirun -np 2 fabricsim run X` writes the same results.json as a
single-process run (measured fields aside), and the same trace.json and time-series CSV files,
for traffic, for a collective, for a training step and for traffic under faults. Skipped (exit 77) when mpirun is not installed or
fabricsim was built without MPI; then it checks instead that a process started as one of two
MPI ranks stops with a message saying so.

usage: run_mpi.py FABRICSIM SOURCE_DIR HAVE_MPI(0|1)"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

MEASURED = {"wall_seconds", "setup_seconds", "run_seconds", "events_per_second",
            "packet_hops_per_second", "peak_rss_bytes"}
# Every time-series metric, per-port and per-QP rows: each sample merges both ranks' parts.
TIME_SERIES = ["--set", "outputs.timeseries.interval=5us", "--set", "outputs.timeseries.qps=true",
               "--set", 'outputs.timeseries.metrics=["queue_bytes", "link_utilization", '
               '"pfc_paused", "pfc_pause_frames", "ecn_marks", "drops", "qp_rate", "links_down"]']
# A small fabric (fat_tree_128: 128 hosts, pods split over the two ranks), DCQCN, PFC.
SCENARIO = ["configs/scenarios/perm_1024_dcqcn.json",
            "--set", "topology=../topologies/fat_tree_128.json",
            "--set", "workload.flow_size=512KB"] + TIME_SERIES
# Rail groups of 4 nodes (radix-8 leaves, 3 tiers): 16 nodes split over both ranks (with the
# examples' own radix, one rail group would hold all 16 and the second rank no GPU).
SPLIT_16_NODES = ["--set", "topology.tiers=3", "--set", "topology.radix=8"]
# A collective over both ranks' halves: 128 GPUs of the rail-optimized example, 2 iterations
# (2 engine runs) of the hierarchical tree (NVLink inside each node, trees per rail across
# nodes).
COLLECTIVE = ["configs/scenarios/allreduce_ring_1024.json"] + SPLIT_16_NODES + [
              "--set", "topology.nodes=16", "--set", "workload.algorithm=hierarchical_tree",
              "--set", "workload.size=4MiB", "--set", "workload.iterations=2"] + TIME_SERIES
# A collective's per-op trace (its first 64 ranks) gathered from both ranks: 64 GPUs, 32 each.
TRACED_COLLECTIVE = ["configs/scenarios/allreduce_ring_1024.json"] + SPLIT_16_NODES + [
                     "--set", "topology.nodes=8", "--set", "workload.size=1MiB",
                     "--set", "outputs.trace=true"] + TIME_SERIES
# A training step whose phases overlap: training_step_128 (128 GPUs over both ranks' halves).
TRAINING_STEP = ["configs/scenarios/training_step_128.json"] + SPLIT_16_NODES
# Faults over both ranks' halves: a spine reboot, a lost NIC, a degraded link and random
# flaps, with routing converging during the run (its steps installed by both processes).
FAULTS = SCENARIO + ["--set", "models.nic.rto=100us", "--set", "outputs.trace=true", "--set",
                     'faults={"detection": "2us", "convergence": "20us", "events": ['
                     '{"kind": "switch_reboot", "at": "10us", "for": "60us", "switch": 20}, '
                     '{"kind": "nic_down", "at": "15us", "for": "40us", "gpu": 70}, '
                     '{"kind": "degrade", "at": "5us", "for": "80us", "link": "leaf-spine", '
                     '"rate_factor": 0.5, "loss_rate": 0.001}], '
                     '"flaps": [{"links": "switch", "every": "10us", "down_for": "15us", '
                     '"until": "150us"}]}']


# MRC over 8 planes with lost packets (EV retirements, probes) on both ranks' halves.
MRC = ["configs/scenarios/mrc_perm_1024.json", "--set", "workload.flow_size=128KB", "--set",
       "models.link.loss_rate=0.0005"]

OUTPUTS = ["trace.json", "timeseries.csv", "timeseries_ports.csv", "timeseries_qps.csv"]


def results(path):
    with open(path) as f:
        doc = json.load(f)
    return {k: v for k, v in doc.items() if k not in MEASURED}


def main():
    binary, source, have_mpi = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    mpirun = shutil.which("mpirun")
    if not have_mpi or mpirun is None:
        # Feature off: a process that MPI started must say so, not run alone.
        env = dict(os.environ, OMPI_COMM_WORLD_SIZE="2")
        with tempfile.TemporaryDirectory(prefix="fabricsim_mpi_") as out:
            p = subprocess.run([binary, "run"] + SCENARIO + ["--out", out, "--quiet"], cwd=source,
                               env=env, capture_output=True, text=True)
        if have_mpi:
            print("SKIPPED: mpirun not found (apt-get install openmpi-bin)")
            return 77
        assert p.returncode == 1 and "built without MPI" in p.stderr, (p.returncode, p.stderr)
        print("SKIPPED: fabricsim built without MPI (the refusal message was checked)")
        return 77
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    for scenario in (SCENARIO, COLLECTIVE, TRACED_COLLECTIVE, TRAINING_STEP, FAULTS, MRC):
        if compare(binary, source, mpirun, env, scenario) != 0:
            return 1
    return 0


def compare(binary, source, mpirun, env, scenario):
    with tempfile.TemporaryDirectory(prefix="fabricsim_mpi_") as out:
        single = os.path.join(out, "single")
        distributed = os.path.join(out, "mpi")
        subprocess.run([binary, "run"] + scenario + ["--out", single, "--quiet"], cwd=source,
                       check=True)
        p = subprocess.run([mpirun, "-np", "2", "--oversubscribe", binary, "run"] + scenario +
                           ["--out", distributed, "--quiet"], cwd=source, env=env,
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            print(p.stdout, p.stderr)
            return 1
        a = results(os.path.join(single, "results.json"))
        b = results(os.path.join(distributed, "results.json"))
        if a != b:
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    print(f"{key}: single {a.get(key)} mpi {b.get(key)}")
            return 1
        files = [name for name in OUTPUTS if os.path.exists(os.path.join(single, name))]
        for name in files:
            with open(os.path.join(single, name)) as f:
                expected = f.read()
            with open(os.path.join(distributed, name)) as f:
                if f.read() != expected:
                    print(f"{scenario[0]}: {name} differs under mpirun")
                    return 1
        if scenario is TRACED_COLLECTIVE:  # ranks of both processes are in its trace
            with open(os.path.join(single, "trace.json")) as f:
                trace = f.read()
            assert '"rank 0 (GPU 0)"' in trace and '"rank 63 (GPU 63)"' in trace
            assert len(files) == 4, files
        if scenario is SCENARIO:
            assert len(files) == 3, files
        if scenario is MRC:  # the losses happened, and both processes' EV state is counted
            assert a["multipath"]["ev"]["retirements"] > 0 and a["fabric"]["drops"] > 0
        if scenario is FAULTS:  # the faults happened, and both processes' losses are counted
            assert a["faults"]["packets_blackholed"] > 0 and a["faults"]["link_outages"] > 10
            assert len(files) == 4, files
        assert a["completed"] and a["fabric"]["packet_hops"] > 0
        assert a["flows"]["completed"] == a["flows"]["count"]
        print(f"{scenario[0]}: mpirun -np 2: results.json identical ({a['events']} events, "
              f"{a['fabric']['packet_hops']} packet-hops, {len(a['collectives'])} collective "
              f"result(s){''.join(', ' + name for name in files)} identical)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
