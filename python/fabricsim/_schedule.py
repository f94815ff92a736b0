"""schedule(), algorithms() and parameters(): the collective library's Schedule IR as Python data, as
`fabricsim schedule` prints it (workloads/README.md describes the IR); the model parameters
with their units, defaults and docs."""
import json
import numbers

from . import _fabricsim

INT32_MAX = (1 << 31) - 1
UINT32_MAX = (1 << 32) - 1
UINT64_MAX = (1 << 64) - 1


def _count(value, what, maximum=INT32_MAX):
    """A non-negative whole number: an int (numpy's too), never a float, bool or string, which
    int() would truncate or parse silently; at most `maximum` (what the engine takes)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what}={value!r}: expected a whole number (int), "
                        f"got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{what}={value!r}: expected a non-negative count")
    if value > maximum:
        raise ValueError(f"{what}={value!r}: expected a count of at most {maximum}")
    return int(value)


def _text(value, what):
    if not isinstance(value, str):
        raise TypeError(f"{what}={value!r}: expected a name (str), got {type(value).__name__}")
    if "\0" in value or not value.isprintable():
        raise ValueError(f"{what}={value!r}: expected a name without NUL or control characters")
    return value


def _bytes(value, what):
    if isinstance(value, str):
        if "\0" in value or not value.isprintable():
            raise ValueError(f"{what} {value!r}: expected a size such as \"1MiB\" "
                             "(printable text)")
        try:
            return _fabricsim.parse_bytes(value)
        except Exception as e:  # the parser's message names what is wrong
            raise ValueError(f"{what} {value!r}: {e}") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{what} {value!r}: expected a size in bytes (int or \"1MiB\")")
    if value > UINT64_MAX:
        raise ValueError(f"{what} {value!r}: expected a size of at most {UINT64_MAX} bytes")
    return int(value)


def schedule(op="allreduce", algorithm="ring", ranks=8, bytes="1MiB", *, dtype="float32",
             channels=1, slice=0, ranks_per_node=1, root=0, rank=None):
    """The Schedule of one collective (dict: "op", "algorithm", "ranks": [programs], ...).
    `bytes` is nccl-tests' size (int or "1MiB"); `slice` the largest message before
    pipelining (0: none); `rank` keeps only that rank's program. Bad values: ValueError; a count
    that is not a whole number (4.7, "4", True): TypeError."""
    return json.loads(_fabricsim.schedule(
        _text(op, "op"), _text(algorithm, "algorithm"), _count(ranks, "ranks"),
        _bytes(bytes, "bytes"), _text(dtype, "dtype"),
        _count(channels, "channels", UINT32_MAX), _bytes(slice, "slice"),
        _count(ranks_per_node, "ranks_per_node"), _count(root, "root"),
        -1 if rank is None else _count(rank, "rank")))


def algorithms(op=None):
    """{op: {algorithm: description}}, or {algorithm: description} for one op."""
    table = {}
    for op_name, name, description in _fabricsim.algorithms():
        table.setdefault(op_name, {})[name] = description
    if op is None:
        return table
    if not isinstance(op, str) or op not in table:
        raise ValueError(f"op {op!r}: expected one of {', '.join(table)}")
    return table[op]


def parameters(prefix=""):
    """Every model parameter a topology or a scenario's "models" block accepts, as declared in
    models/params.hpp: [{"name": "switch.ecn.kmin", "unit": "bytes", "default": ..., "doc": ...}],
    those whose name starts with `prefix` ("nic.cc.dcqcn.")."""
    if not isinstance(prefix, str):
        raise TypeError(f"parameters: prefix={prefix!r}: expected a str such as \"nic.\"")
    return [{"name": name, "unit": unit, "default": json.loads(default), "doc": doc}
            for name, unit, default, doc in _fabricsim.parameters() if name.startswith(prefix)]
