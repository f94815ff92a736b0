#!/usr/bin/env python3
"""Fails when a layer includes a header from a layer above it (shared DESIGN.md, Layers).

The order, lowest first: sim < models < topologies < workloads < scenario < apps/python.
workloads/ must also stay free of sim/ and models/ headers outside workloads/transports/sim,
because the same code drives real NICs.
"""
import pathlib
import re
import sys

ORDER = ["sim", "models", "topologies", "workloads", "scenario", "apps", "python"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')
# Folders of workloads/ that may reach into the simulator (the sim transport).
WORKLOADS_SIM_OK = ("workloads/transports/sim",)


def main(root: pathlib.Path) -> int:
    problems = []
    for layer_index, layer in enumerate(ORDER):
        folder = root / layer
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if path.suffix not in (".hpp", ".cpp", ".h", ".cc"):
                continue
            rel = path.relative_to(root).as_posix()
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                if not match or match.group(1) not in ORDER:
                    continue
                target = match.group(1)
                if ORDER.index(target) > layer_index:
                    problems.append(f"{rel}:{number}: {layer}/ includes {target}/ (a higher layer)")
                if (layer == "workloads" and target in ("sim", "models")
                        and not rel.startswith(WORKLOADS_SIM_OK)):
                    problems.append(f"{rel}:{number}: workloads/ includes {target}/ outside the "
                                    "sim transport; collectives must stay hardware-neutral")
    for p in problems:
        print(p)
    print(f"check_layers: {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
