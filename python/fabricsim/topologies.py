"""Topologies: load_topology() reads a fabricsim.topology/1 document (file or dict) into a
Topology with its stats; fat_tree(), rail_optimized(), dragonfly() and torus() build such
documents from the same keys as the JSON (topologies/README.md), validated at once."""
import json
import math
import os

from . import _fabricsim
from ._fabricsim import ConfigError

SCHEMA = "fabricsim.topology/1"
INDEX_LIMIT = (1 << 32) - 1  # nodes and ports a graph can index (topologies/estimate.cpp)


def _unwritable(value, path):
    """(JSON path, value, what is wrong) of the first value of `value` that JSON cannot hold (a
    NaN or infinity, a set, an object), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, value, "expected a finite number (JSON has no NaN or Infinity)"
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and not _is_unicode(k):
                return path or "/", k, "expected a key of valid Unicode text"
            if (not isinstance(k, (str, int, float, bool)) and k is not None
                    or isinstance(k, float) and not math.isfinite(k)):
                return path or "/", k, "expected string keys"
            found = _unwritable(v, f"{path}/{k}")
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _unwritable(v, f"{path}/{i}")
            if found:
                return found
        return None
    if isinstance(value, str):
        return None if _is_unicode(value) else (path, value, "expected valid Unicode text")
    if value is None or isinstance(value, (int, float, bool)):
        return None
    return path, value, f"{type(value).__name__} cannot be written as JSON"


def _is_unicode(text):
    """False for a str the engine cannot take as UTF-8 (a lone surrogate, as os.fsdecode makes
    of a byte that is not UTF-8)."""
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def json_text(doc, source):
    """`doc` as JSON text for the engine. A NaN or infinity (which JSON has no word for) is a
    ConfigError naming its JSON path; a value JSON cannot hold at all is a TypeError."""
    try:
        text = json.dumps(doc, allow_nan=False, ensure_ascii=False)
        text.encode("utf-8")
        return text
    except (TypeError, ValueError):
        found = _unwritable(doc, "")
        if found is None:
            raise
        path, value, what = found
        where = f"{source}: {path}" if path else source
        if isinstance(value, (float, str)):
            raise ConfigError(f"{where}: {value!r}: {what}") from None
        raise TypeError(f"{where}: {value!r}: {what}") from None


def check_path(value, what):
    """A path (str or os.PathLike) as a str, refusing a NUL character (which the engine would
    cut the path at)."""
    path = os.fspath(value)
    if isinstance(path, bytes) or "\0" in path or not _is_unicode(path):
        raise ValueError(f"{what} {path!r}: expected a path as UTF-8 text without NUL characters")
    return path


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
        if isinstance(max_nodes, bool) or not isinstance(max_nodes, int):
            raise TypeError(f"dot: max_nodes={max_nodes!r}: expected a whole number (int)")
        if not 0 <= max_nodes <= INDEX_LIMIT:
            raise ValueError(f"dot: max_nodes={max_nodes}: expected 0 to {INDEX_LIMIT}")
        return self._engine.dot(max_nodes)

    def __repr__(self):
        return f"Topology({self.name!r}, kind={self.kind!r})"


def load_topology(path_or_dict):
    """Reads a topology file (a path) or validates a topology dict. Raises ConfigError naming
    the file (or "<dict>"), the JSON path, the value and what was expected."""
    if isinstance(path_or_dict, Topology):
        return path_or_dict
    if isinstance(path_or_dict, dict):
        text = json_text(path_or_dict, "<dict>")
        return Topology(_fabricsim.Topology.parse(text, "<dict>"), path_or_dict, "<dict>")
    if isinstance(path_or_dict, (str, os.PathLike)):
        path = check_path(path_or_dict, "load_topology: path")
        engine = _fabricsim.Topology.load(path)  # ConfigError for a missing or bad file
        with open(path, encoding="utf-8-sig") as f:
            document = json.load(f)
        return Topology(engine, document, path)
    raise TypeError(f"load_topology: expected a path or a dict, got {type(path_or_dict).__name__}")


def _build(kind, fields):
    doc = {"schema": SCHEMA, "kind": kind}
    doc.update({k: v for k, v in fields.items() if v is not None})
    topo = load_topology(doc)  # validates: ConfigError now rather than at run time
    e = topo.estimate  # and refuses, from the counts alone, what no build could hold
    if (e["gpus"] + e["switches"] > INDEX_LIMIT or e["nic_ports"] + e["switch_ports"] > INDEX_LIMIT
            or e["total_bytes"] > e["memory_limit_bytes"]):
        topo._engine.stats()  # raises the engine's ConfigError before building anything
    return doc


def fat_tree(radix, *, tiers=None, hosts=None, **fields):
    """A fat-tree document: `radix` (required), `tiers` 2|3, `hosts`, and any other key of the
    JSON (`planes`, `oversubscription`, `hosts_per_leaf`, `link`, `switch`, `nic`, `tier_links`,
    `name`)."""
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
    if isinstance(dims, (str, bytes, dict)) or not hasattr(dims, "__iter__"):
        raise TypeError(f"torus: dims={dims!r}: expected a list [x, y] or [x, y, z]")
    return _build("torus", dict(dims=list(dims), **fields))
