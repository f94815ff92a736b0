"""Topologies: load_topology() reads a fabricsim.topology/1 document (file or dict) into a
Topology with its stats; fat_tree(), rail_optimized(), dragonfly() and torus() build such
documents from the same keys as the JSON (topologies/README.md), validated at once."""
import json
import os

from . import _fabricsim

SCHEMA = "fabricsim.topology/1"


class Topology:
    """A validated topology. `document` is the JSON as given, `spec` the resolved one (every
    default filled in, as in config.json), `stats` the figures of `fabricsim topo --json`."""

    def __init__(self, engine, document, source):
        self._engine = engine
        self.document = document
        self.source = source
        self._stats = None

    @property
    def spec(self):
        return json.loads(self._engine.resolved())

    @property
    def name(self):
        return self.spec.get("name", "")

    @property
    def kind(self):
        return self.spec["kind"]

    @property
    def stats(self):
        """Counts, bisection bandwidth, diameter, oversubscription (computed on first use)."""
        if self._stats is None:
            self._stats = json.loads(self._engine.stats())
        return self._stats

    @property
    def estimate(self):
        """The build's counts and memory, from the parameters alone (nothing is built), and the
        memory limit a build is checked against (fabricsim.set_max_memory)."""
        return json.loads(self._engine.estimate())

    def to_dict(self):
        return self.spec

    def dot(self, max_nodes=4096):
        """A Graphviz drawing, as `fabricsim topo --dot`."""
        return self._engine.dot(max_nodes)

    def __repr__(self):
        return f"Topology({self.name!r}, kind={self.kind!r})"


def load_topology(path_or_dict):
    """Reads a topology file (a path) or validates a topology dict. Raises ConfigError naming
    the file (or "<dict>"), the JSON path, the value and what was expected."""
    if isinstance(path_or_dict, Topology):
        return path_or_dict
    if isinstance(path_or_dict, dict):
        text = json.dumps(path_or_dict)
        return Topology(_fabricsim.Topology.parse(text, "<dict>"), path_or_dict, "<dict>")
    if isinstance(path_or_dict, (str, os.PathLike)):
        path = os.fspath(path_or_dict)
        engine = _fabricsim.Topology.load(path)  # ConfigError for a missing or bad file
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        return Topology(engine, document, path)
    raise TypeError(f"load_topology: expected a path or a dict, got {type(path_or_dict).__name__}")


def _build(kind, fields):
    doc = {"schema": SCHEMA, "kind": kind}
    doc.update({k: v for k, v in fields.items() if v is not None})
    load_topology(doc)  # validates: ConfigError now rather than at run time
    return doc


def fat_tree(radix, *, tiers=None, hosts=None, **fields):
    """A fat-tree document: `radix` (required), `tiers` 2|3, `hosts`, and any other key of the
    JSON (`oversubscription`, `hosts_per_leaf`, `link`, `switch`, `nic`, `tier_links`, `name`)."""
    return _build("fat_tree", dict(radix=radix, tiers=tiers, hosts=hosts, **fields))


def rail_optimized(nodes, gpus_per_node, *, rails=None, radix=None, tiers=None, **fields):
    """A rail-optimized document: `nodes`, `gpus_per_node` (required), `rails`, `radix`, `tiers`,
    and any other key of the JSON (`planes`, `nvlink`, `gpu`, `link`, `switch`, `nic`, ...)."""
    return _build("rail_optimized", dict(nodes=nodes, gpus_per_node=gpus_per_node, rails=rails,
                                         radix=radix, tiers=tiers, **fields))


def dragonfly(groups, routers_per_group, hosts_per_router, global_links_per_router, **fields):
    """A dragonfly document (the four structural keys required; `radix`, `tier_links`, ...)."""
    return _build("dragonfly", dict(groups=groups, routers_per_group=routers_per_group,
                                    hosts_per_router=hosts_per_router,
                                    global_links_per_router=global_links_per_router, **fields))


def torus(dims, **fields):
    """A torus document: `dims` [x, y] or [x, y, z]; `hosts_per_router`, `wrap`, ..."""
    return _build("torus", dict(dims=list(dims), **fields))
