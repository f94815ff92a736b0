"""fabricsim from Python: the simulator's engine (pybind11 module `_fabricsim`) behind an API that
mirrors the command line and its JSON documents.

    import fabricsim
    topo = fabricsim.load_topology("configs/topologies/fat_tree_128.json")
    topo.stats["bisection_bps"]
    res = fabricsim.Scenario("configs/scenarios/incast_16to1_dcqcn.json").run()
    res.to_dict()            # == results.json of `fabricsim run`
    res.timeseries["queue_bytes_max"]
    rows = fabricsim.sweep("configs/scenarios/allreduce_ring_1024.json",
                           vary={"workload.size": ["1MiB", "4MiB"]})
    fabricsim.seed_spread(fabricsim.sweep(path, seeds=8))   # ECMP hash luck: p5/p50/p95
    fabricsim.schedule("allreduce", "ring", ranks=4, bytes="1KiB")
"""
from ._fabricsim import ConfigError
ConfigError.__module__ = "fabricsim"  # shown as fabricsim.ConfigError in tracebacks
from . import topologies
from ._results import Results
from ._scenario import Scenario, seed_spread, sweep
from ._schedule import algorithms, parameters, schedule
from .topologies import Topology, load_topology

__all__ = [
    "ConfigError", "Results", "Scenario", "Topology", "algorithms", "load_topology", "parameters",
    "schedule", "seed_spread", "sweep", "topologies",
]
