"""Scenario (a validated fabricsim.scenario/1 document, from a file or a dict, with --set style
overrides) and sweep(), the Python form of `fabricsim run` and `fabricsim sweep`."""
import csv
import errno
import itertools
import json
import os
import tempfile
import warnings

from . import _fabricsim
from ._fabricsim import ConfigError
from ._results import Results
from .topologies import Topology, _is_unicode, check_path, json_text

MAX_THREADS = 1024  # as `fabricsim run --threads` and the scenario's "threads"
MAX_SWEEP_RUNS = 100000  # runs of one sweep (points x seeds), as `fabricsim sweep`


def _override_strings(overrides):
    """["a.b=v", ...] as given, or {"a.b": value} (non-strings written as JSON)."""
    if overrides is None:
        return []
    if isinstance(overrides, dict):
        out = [f"{k}={_value_text(v, k)}" for k, v in overrides.items()]
    elif isinstance(overrides, (str, bytes)) or not hasattr(overrides, "__iter__"):
        raise TypeError("overrides: expected a list of \"a.b=value\" strings or a dict, got "
                        f"{type(overrides).__name__}")
    else:
        out = [str(o) for o in overrides]
    for o in out:
        if "\0" in o or not _is_unicode(o):
            raise ValueError(f"overrides: {o!r}: expected UTF-8 text without NUL characters")
    return out


def _value_text(value, path="value"):
    # A string is taken as the CLI takes it (JSON when it parses, else a string, "400Gbps").
    return value if isinstance(value, str) else json_text(value, f"--set {path}")


def _plain(doc):
    """The document with Topology objects replaced by their JSON."""
    if isinstance(doc, Topology):
        return doc.document
    if isinstance(doc, dict):
        return {k: _plain(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [_plain(v) for v in doc]
    return doc


class Scenario:
    """A scenario: Scenario("s.json"), Scenario({...}) or Scenario(other, overrides=...).
    `overrides` are `fabricsim run --set` assignments ("models.link.rate=400Gbps") or a dict
    {"models.link.rate": "400Gbps"}. A topology given by path inside a dict is resolved
    against `base_dir` (default: the current directory). Bad input raises ConfigError."""

    def __init__(self, source, overrides=None, *, base_dir=None):
        extra = _override_strings(overrides)
        if isinstance(source, Scenario):
            self._path, self._dict = source._path, source._dict
            self._base_dir = source._base_dir if base_dir is None else _base(base_dir)
            self.overrides = source.overrides + extra
        elif isinstance(source, (str, os.PathLike)):
            self._path, self._dict = check_path(source, "Scenario: path"), None
            self._base_dir = None
            self.overrides = extra
        elif isinstance(source, dict):
            self._path, self._dict = None, _plain(source)
            self._base_dir = _base(base_dir) if base_dir is not None else os.getcwd()
            self.overrides = extra
        else:
            raise TypeError(f"Scenario: expected a path, a dict or a Scenario, got "
                            f"{type(source).__name__}")
        if self._path is not None:
            self._engine = _fabricsim.Scenario.load(self._path, self.overrides)
        else:
            self._engine = _fabricsim.Scenario.parse(json_text(self._dict, "<dict>"), "<dict>",
                                                     self._base_dir, self.overrides)

    @property
    def name(self):
        return self._engine.name

    @property
    def seed(self):
        return self._engine.seed

    @property
    def has_faults(self):
        """Whether the scenario has a `faults` section with anything in it (link or switch
        faults, flaps, stragglers): what run(compare_fault_free=True) needs."""
        return self._engine.has_faults

    @property
    def document(self):
        """The scenario as given, after the overrides."""
        return json.loads(self._engine.document())

    @property
    def config(self):
        """The resolved configuration (every default filled in): config.json of a run."""
        return json.loads(self._engine.resolved())

    def with_overrides(self, overrides):
        """A new Scenario with more overrides applied after this one's."""
        return Scenario(self, overrides)

    def run(self, out_dir=None, *, threads=None, compare_fault_free=False):
        """Runs the simulation (GIL released; Ctrl-C raises KeyboardInterrupt) and returns its
        Results. With `out_dir`, writes results.json, config.json and the CSVs there as
        `fabricsim run --out` does; without, they go to a temporary directory that is removed
        once the time series are read. `threads` > 1 runs the fabric's partitions in parallel
        (`fabricsim run --threads`): the results are the same for every thread count. None
        takes the scenario's "threads" (1 when it has none). Notes on how the run ran (threads
        that hold no GPU) are issued as RuntimeWarning and kept in `Results.run_notes`.
        `compare_fault_free=True` (`fabricsim run --compare-fault-free`), for a scenario with
        faults (`has_faults`), first runs it without them: `Results.faults` then holds
        fault_free_time_ps and slowdown (this run's completion time over the fault-free one;
        for flows also fct_p99_slowdown). A scenario without faults raises ValueError."""
        if not isinstance(compare_fault_free, bool):
            raise TypeError(f"compare_fault_free: expected True or False, got "
                            f"{type(compare_fault_free).__name__}")
        if compare_fault_free and not self.has_faults:
            raise ValueError(f"compare_fault_free: the scenario {self.name!r} has no faults to "
                             "compare against (no `faults` section)")
        if threads is None:
            threads = 0
        elif (isinstance(threads, bool) or not isinstance(threads, int)
              or not 1 <= threads <= MAX_THREADS):
            raise ValueError(f"threads: expected a whole number from 1 to {MAX_THREADS}, "
                             f"got {threads!r}")
        if out_dir is not None:
            out_dir = prepare_out_dir(out_dir)
            full, reproducible, notes = self._engine.run(out_dir, threads, compare_fault_free)
            results = Results._from_run(json.loads(full), json.loads(reproducible), out_dir, True)
        else:
            with tempfile.TemporaryDirectory(prefix="fabricsim-") as tmp:
                full, reproducible, notes = self._engine.run(tmp, threads, compare_fault_free)
                results = Results._from_run(json.loads(full), json.loads(reproducible), tmp, False)
        results.run_notes = list(notes)
        for note in notes:
            warnings.warn(note, RuntimeWarning, stacklevel=2)
        return results

    def __repr__(self):
        origin = self._path if self._path is not None else "<dict>"
        return f"Scenario({origin!r}, name={self.name!r}, overrides={self.overrides!r})"


def _base(base_dir):
    if not isinstance(base_dir, (str, os.PathLike)):
        raise TypeError(f"base_dir: expected a directory path, got {type(base_dir).__name__}")
    return check_path(base_dir, "base_dir")


def prepare_out_dir(out_dir):
    """Creates `out_dir` (and its parents) as `fabricsim run --out` does; an empty name is a
    ValueError, a directory that cannot be made or written in a ConfigError."""
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"out_dir: expected a directory path, got {type(out_dir).__name__}")
    out_dir = check_path(out_dir, "out_dir")
    if not out_dir.strip():
        raise ValueError(f"out_dir {out_dir!r}: expected a directory to write the outputs in "
                         "(None: a temporary one)")
    try:
        if os.path.exists(out_dir) and not os.path.isdir(out_dir):
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"out_dir \"{out_dir}\": cannot create the directory: "
                          f"{e.strerror}") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise ConfigError(f"out_dir \"{out_dir}\": cannot write in the directory")
    return out_dir


# The columns of `fabricsim sweep`'s sweep.csv after the varied fields.
SWEEP_COLUMNS = ["sim_time_ps", "completed", "fct_p50_ps", "fct_p99_ps", "fct_max_ps",
                 "collective_bytes", "collective_time_ps", "algbw_GBps", "busbw_GBps",
                 "packet_hops", "drops", "ecn_marks", "pfc_pause_frames", "max_queue_bytes",
                 "retransmissions"]

# The figures of sweep_seeds.csv (`fabricsim sweep --seeds N`): mean, p5, p50 and p95 of each
# over the seeds of a point.
SPREAD_COLUMNS = ["sim_time_ps", "fct_p50_ps", "fct_p99_ps", "fct_max_ps", "collective_time_ps",
                  "algbw_GBps", "busbw_GBps", "packet_hops", "drops", "ecn_marks",
                  "pfc_pause_frames", "max_queue_bytes", "retransmissions"]


def sweep_row(results):
    """The sweep.csv figures of one results.json dict (a collective's are the mean over its
    iterations, as nccl-tests reports them)."""
    colls = results["collectives"]
    n = len(colls)
    row = {"sim_time_ps": results["sim_time_ps"], "completed": results["completed"],
           "fct_p50_ps": results["flows"]["fct_ps"]["p50"],
           "fct_p99_ps": results["flows"]["fct_ps"]["p99"],
           "fct_max_ps": results["flows"]["fct_ps"]["max"],
           "collective_bytes": colls[0]["bytes"] if n else 0,
           "collective_time_ps": sum(c["time_ps"] for c in colls) // n if n else 0,
           "algbw_GBps": sum(c["algbw_GBps"] for c in colls) / n if n else 0.0,
           "busbw_GBps": sum(c["busbw_GBps"] for c in colls) / n if n else 0.0}
    for key in ("packet_hops", "drops", "ecn_marks", "pfc_pause_frames", "max_queue_bytes",
                "retransmissions"):
        row[key] = results["fabric"][key]
    return row


def percentile(values, q):
    """Percentile q (0..100) of `values`, interpolated linearly between the closest ranks (the
    value at position (n - 1) q / 100 of the sorted values: numpy's default), as
    sweep_seeds.csv reports it."""
    v = sorted(values)
    if not v:
        return 0.0
    pos = (len(v) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def seed_spread(rows, axis_paths=None):
    """The spread over the seeds of each point of a sweep(..., seeds=N): one dict per point
    with the varied fields, "seeds", and F_mean, F_p5, F_p50, F_p95 for each figure F of
    SPREAD_COLUMNS (the rows of `fabricsim sweep --seeds N`'s sweep_seeds.csv)."""
    if isinstance(rows, (str, bytes, dict)) or not hasattr(rows, "__iter__"):
        raise TypeError(f"seed_spread: rows: expected the list of rows of sweep(), got "
                        f"{type(rows).__name__}")
    rows = list(rows)
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise TypeError(f"seed_spread: rows[{i}]: expected a row of sweep() (a dict), got "
                            f"{type(row).__name__}")
        missing = [c for c in SPREAD_COLUMNS if c not in row]
        if missing:
            raise ValueError(f"seed_spread: rows[{i}] has no {missing[0]!r}: expected the rows "
                             "of sweep()")
    if axis_paths is not None and (isinstance(axis_paths, (str, bytes))
                                   or not hasattr(axis_paths, "__iter__")):
        raise TypeError(f"seed_spread: axis_paths: expected a list of field names, got "
                        f"{type(axis_paths).__name__}")
    if axis_paths is None:
        axis_paths = [k for k in (rows[0] if rows else {}) if k not in SWEEP_COLUMNS
                      and k not in ("seed", "results")]
    points = {}
    for row in rows:
        if any(p not in row for p in axis_paths):
            raise ValueError(f"seed_spread: a row lacks one of the fields {list(axis_paths)}")
        key = tuple(_value_text(row[p]) for p in axis_paths)
        points.setdefault(key, []).append(row)
    out = []
    for key, runs in points.items():
        spread = dict(zip(axis_paths, [runs[0][p] for p in axis_paths]))
        spread["seeds"] = len(runs)
        for name in SPREAD_COLUMNS:
            values = [float(r[name]) for r in runs]
            spread[f"{name}_mean"] = sum(values) / len(values)
            for q in (5, 50, 95):
                spread[f"{name}_p{q}"] = percentile(values, q)
        out.append(spread)
    return out


def sweep(scenario, vary=None, overrides=None, out_dir=None, *, seeds=None):
    """Runs the cross product of `vary` ({"a.b": [v1, v2], ...}; the last field varies
    fastest) over `scenario` (a Scenario, path or dict) with the fixed `overrides`, as
    `fabricsim sweep --vary ... --set ...`. With `seeds` = N each point runs with N seeds (the
    scenario's seed, +1, ...; `--seeds N`), and rows carry "seed"; seed_spread(rows) gives the
    mean and p5/p50/p95 per point. Returns one dict per run: the varied fields (as given), the
    sweep.csv columns, and "results" (the run's results.json). With `out_dir`, writes point_N/
    directories, sweep.csv, sweep.json (and sweep_seeds.csv) there like the CLI."""
    if seeds is not None:
        if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 10000:
            raise ValueError(f"seeds: expected a count of seeds, 1 to 10000, got {seeds!r}")
    if vary is None and seeds is not None:
        vary = {}
    if not isinstance(vary, dict) or (not vary and seeds is None):
        raise ValueError("vary: expected a dict {\"a.b\": [values...]} with at least one field")
    if seeds is not None and "seed" in vary:
        raise ValueError("seeds and vary['seed'] both set the seed; use one of them")
    axes = []
    runs = 1 if seeds is None else seeds
    for path, values in vary.items():
        if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
            raise ValueError(f"vary[{path!r}]: expected a non-empty list of values")
        # An iterator is read once, and never beyond what the run limit allows.
        values = list(itertools.islice(values, MAX_SWEEP_RUNS + 1))
        if not values:
            raise ValueError(f"vary[{path!r}]: expected a non-empty list of values")
        runs *= len(values)
        if runs > MAX_SWEEP_RUNS:
            raise ValueError(f"sweep: {runs} runs or more (the product of the vary lists"
                             f"{' and seeds' if seeds is not None else ''}), more than "
                             f"{MAX_SWEEP_RUNS}: split the sweep")
        for v in values:  # a value JSON cannot hold is refused before anything runs
            _value_text(v, path)
        axes.append((path, values))
    if out_dir is not None:
        out_dir = prepare_out_dir(out_dir)
    base = scenario if isinstance(scenario, Scenario) else Scenario(scenario)
    base = base.with_overrides(_override_strings(overrides))
    rows = []
    run = 0
    for combo in itertools.product(*[v for _, v in axes]):
        assignments = [f"{path}={_value_text(v, path)}" for (path, _), v in zip(axes, combo)]
        point = base.with_overrides(assignments)
        seed_list = [None] if seeds is None else [point.seed + k for k in range(seeds)]
        for seed in seed_list:
            run_dir = None if out_dir is None else os.path.join(os.fspath(out_dir), f"point_{run}")
            sc = point if seed is None else point.with_overrides([f"seed={seed}"])
            results = sc.run(run_dir).to_dict()
            row = {path: value for (path, _), value in zip(axes, combo)}
            if seed is not None:
                row["seed"] = seed
            row.update(sweep_row(results))
            row["results"] = results
            rows.append(row)
            run += 1
    if out_dir is not None:
        paths = [p for p, _ in axes]
        _write_sweep(os.fspath(out_dir), paths, rows, seeds is not None)
        if seeds is not None:
            _write_spread(os.fspath(out_dir), paths, seed_spread(rows, paths))
    return rows


def _csv_text(value):
    # As the CLI (fmt) writes values: true/false, and whole doubles without ".0".
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return value


def _write_sweep(out_dir, axis_paths, rows, with_seed=False):
    os.makedirs(out_dir, exist_ok=True)
    seed_col = ["seed"] if with_seed else []
    with open(os.path.join(out_dir, "sweep.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(axis_paths + seed_col + SWEEP_COLUMNS)
        for row in rows:
            values = [row[p] for p in axis_paths + seed_col] + [row[c] for c in SWEEP_COLUMNS]
            writer.writerow([_csv_text(v) for v in values])
    with open(os.path.join(out_dir, "sweep.json"), "w", encoding="utf-8") as f:
        doc = [{**{p: _value_text(row[p]) for p in axis_paths},
                **({"seed": row["seed"]} if with_seed else {}), "results": row["results"]}
               for row in rows]
        json.dump(doc, f, indent=2)
        f.write("\n")


def _write_spread(out_dir, axis_paths, spread):
    names = [f"{n}_{s}" for n in SPREAD_COLUMNS for s in ("mean", "p5", "p50", "p95")]
    with open(os.path.join(out_dir, "sweep_seeds.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(axis_paths + ["seeds"] + names)
        for point in spread:
            values = [point[p] for p in axis_paths] + [point["seeds"]] + [point[n] for n in names]
            writer.writerow([_csv_text(v) for v in values])
