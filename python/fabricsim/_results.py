"""Results of one run: the fields of results.json, the per-collective table and the time
series (dicts of numpy arrays, one per CSV column; pandas DataFrames on request when pandas is
installed). The types never depend on what is installed, so code runs the same either way."""
import copy
import os

import numpy as np


# Fields of results.json that are measured (wall time, memory) and so differ between runs.
MEASURED = ("wall_seconds", "setup_seconds", "run_seconds", "events_per_second",
            "packet_hops_per_second", "peak_rss_bytes")
TIMESERIES_FILES = {"timeseries": "timeseries.csv", "timeseries_ports": "timeseries_ports.csv",
                    "timeseries_qps": "timeseries_qps.csv"}
# Every CSV a run may write, by the name dataframe() takes ("flows": flows.csv, one row per
# completed flow when the scenario sets outputs.flows).
TABLE_FILES = {**TIMESERIES_FILES, "flows": "flows.csv"}


def read_csv(path):
    """A CSV with a header row as a dict of numpy arrays, one per column (whole-number columns
    as int64, utilisation as float64)."""
    with open(path, encoding="utf-8") as f:
        names = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float64)
    if data.size == 0:
        data = np.zeros((0, len(names)))
    columns = {}
    for i, name in enumerate(names):
        col = data[:, i]
        integral = np.all(np.isfinite(col)) and np.all(col == np.round(col))
        columns[name] = col.astype(np.int64) if integral and "utilization" not in name else col
    return columns


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("Results.dataframe() needs pandas (apt install python3-pandas); "
                          "the same data is in the dicts of numpy arrays") from None
    return pandas


class Results:
    """One run's results. Every top-level field of results.json is an attribute (`sim_time_ps`,
    `completed`, `flows`, `fabric`, ...); `to_dict()` is results.json itself."""

    def __init__(self, document, reproducible, out_dir=None, series=None):
        self._doc = document
        self._reproducible = reproducible
        self.out_dir = out_dir  # where results.json etc. were written, or None
        self.run_notes = []  # how the run ran (not results): e.g. threads that held no GPU
        self._series = series or {}

    @classmethod
    def _from_run(cls, document, reproducible, run_dir, keep_dir):
        series = {}
        for attr, name in TABLE_FILES.items():
            path = os.path.join(run_dir, name)
            if os.path.exists(path):
                series[attr] = read_csv(path)
        return cls(document, reproducible, run_dir if keep_dir else None, series)

    def to_dict(self, include_measured=True):
        """results.json as a dict; include_measured=False leaves out wall time, rates and
        memory: the part that is identical for the same scenario and seed."""
        return copy.deepcopy(self._doc if include_measured else self._reproducible)

    def __getattr__(self, name):
        doc = self.__dict__.get("_doc", {})
        if name in doc:
            return copy.deepcopy(doc[name])
        raise AttributeError(f"Results has no field {name!r}")

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._doc))

    @property
    def collectives(self):
        """One dict per collective iteration: op, algorithm, bytes, ranks, iteration, time_ps,
        algbw_GBps, busbw_GBps (results.json's "collectives")."""
        return copy.deepcopy(self._doc["collectives"])

    @property
    def faults(self):
        """results.json's "faults" (None for a scenario without faults): the timeline (one dict
        per fault: kind, target, at_ps, detected_ps, converged_ps, restored_ps,
        reconverged_ps, links; -1 where there is none), packets_blackholed, packets_link_down,
        lost_bytes, link_outages, stragglers, and after run(compare_fault_free=True)
        fault_free_time_ps and slowdown (-1 when either run did not complete)."""
        faults = self._doc.get("faults")
        return None if faults is None else copy.deepcopy(faults)

    @property
    def multipath(self):
        """results.json's "multipath" (None for a fabric with one plane, RoCE or InfiniBand and
        no trimming): transport, planes, trims, nacks, selective_resends (MRC: packets sent
        again after a NACK or their timer), packet_timeouts, ev (swaps, retirements, probes,
        revivals), plane_tx_bytes and plane_trims (one entry per plane) and plane_imbalance
        (the busiest plane's bytes over the mean; 1 = even)."""
        multipath = self._doc.get("multipath")
        return None if multipath is None else copy.deepcopy(multipath)

    @property
    def load_balance(self):
        """results.json's "load_balance": the bytes sent over the switch-to-switch links per
        level and direction (leaf_up, spine_down, spine_up, core_down, lateral; only the levels
        the fabric has), each {links, mean_bytes, max_bytes, max_over_mean} (1 = every link of
        the level carried the same)."""
        return copy.deepcopy(self._doc.get("load_balance", {}))

    def fault_timeline(self):
        """The fault timeline as a dict of numpy int64 arrays, one per field of a timeline entry
        but `kind` and `target` (lists of str), or None without faults."""
        faults = self._doc.get("faults")
        if faults is None:
            return None
        rows = faults.get("timeline", [])
        out = {"kind": [r["kind"] for r in rows], "target": [r["target"] for r in rows]}
        for key in ("at_ps", "detected_ps", "converged_ps", "restored_ps", "reconverged_ps",
                    "links"):
            out[key] = np.array([r.get(key, -1) for r in rows], dtype=np.int64)
        return out

    @property
    def timeseries(self):
        """timeseries.csv (time_ps and the metric columns), or None when not recorded."""
        return self._series.get("timeseries")

    @property
    def timeseries_ports(self):
        """timeseries_ports.csv (per switch port, long format), or None."""
        return self._series.get("timeseries_ports")

    @property
    def timeseries_qps(self):
        """timeseries_qps.csv (per queue pair, long format), or None."""
        return self._series.get("timeseries_qps")

    @property
    def flow_table(self):
        """flows.csv as a dict of numpy arrays (id, src, dst, size_bytes, start_ps, finish_ps,
        fct_ps, ideal_fct_ps, slowdown, retransmitted_bytes), or None when the scenario did not
        set outputs.flows. The slowdown percentiles by size bin are in `flows`."""
        return self._series.get("flows")

    def dataframe(self, what="timeseries"):
        """A pandas DataFrame of "timeseries", "timeseries_ports", "timeseries_qps", "flows" or
        "collectives" (needs pandas; None for a table the run did not write)."""
        if not isinstance(what, str) or (what != "collectives" and what not in TABLE_FILES):
            raise ValueError(f"dataframe({what!r}): expected collectives or one of "
                             f"{', '.join(TABLE_FILES)}")
        pandas = _pandas()
        if what == "collectives":
            return pandas.DataFrame(self._doc["collectives"])
        series = self._series.get(what)
        return None if series is None else pandas.DataFrame(series)

    def __repr__(self):
        return (f"Results(scenario={self._doc['scenario']!r}, sim_time_ps={self._doc['sim_time_ps']}, "
                f"completed={self._doc['completed']})")
