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
import numbers

from . import _fabricsim
from ._fabricsim import ConfigError
ConfigError.__module__ = "fabricsim"  # shown as fabricsim.ConfigError in tracebacks
from . import topologies
from ._results import Results
from ._scenario import Scenario, seed_spread, sweep
from ._schedule import algorithms, parameters, schedule
from .topologies import Topology, load_topology


def set_max_memory(size):
    """Refuse topologies, schedules and outputs whose estimated memory exceeds `size` (bytes or
    "16GiB"), as the command line's --max-memory; None restores the default (3/4 of the RAM)."""
    if size is None:
        _fabricsim.set_max_memory(0)
        return
    if isinstance(size, bool) or not isinstance(size, (numbers.Integral, str)):
        raise TypeError(f"set_max_memory: expected a byte count or a size such as \"16GiB\", "
                        f"got {size!r}")
    if isinstance(size, str):
        try:
            if "\0" in size or not size.isprintable():
                raise ValueError("expected a size such as \"16GiB\" (printable text)")
            value = _fabricsim.parse_bytes(size)
        except Exception as e:  # the parser's message names what is wrong
            raise ValueError(f"set_max_memory: {size!r}: {e}") from None
    else:
        value = int(size)
    if value < (1 << 20):
        raise ValueError(f"set_max_memory: {size!r}: expected at least 1MiB")
    if value >= (1 << 64):
        raise ValueError(f"set_max_memory: {size!r}: expected less than 16EiB")
    _fabricsim.set_max_memory(value)


def max_memory():
    """The memory limit in bytes."""
    return _fabricsim.max_memory()

__all__ = [
    "ConfigError", "Results", "Scenario", "Topology", "algorithms", "load_topology", "max_memory",
    "parameters", "schedule", "seed_spread", "set_max_memory", "sweep", "topologies",
]
