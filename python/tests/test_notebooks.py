"""The notebooks of python/notebooks execute without error (a temporary copy, with nbclient)
and are committed with their outputs (plots). `/usr/bin/python3 python/tests/test_notebooks.py
--update` re-executes them in place (PYTHONPATH=build/python) to refresh the outputs."""
import os
import pathlib
import shutil
import sys

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_collective_algorithms.ipynb", "02_dcqcn_incast.ipynb", "03_topology_alltoall.ipynb",
         "04_congestion_control.ipynb", "05_faults.ipynb", "06_mrc.ipynb"]


def execute(path, workdir):
    os.environ.setdefault("FABRICSIM_SOURCE_DIR", str(NOTEBOOKS.parents[1]))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    return nb


def images(nb):
    return sum(1 for cell in nb.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []) if "image/png" in out.get("data", {}))


def test_the_notebooks_are_there_with_their_plots():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == NAMES
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        assert images(nb) >= 1, f"{name} is committed without its plots"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name, tmp_path):
    copy = tmp_path / name
    shutil.copy(NOTEBOOKS / name, copy)
    nb = execute(copy, tmp_path)  # raises CellExecutionError on any failing cell
    assert images(nb) >= 1


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: test_notebooks.py --update")
    for name in NAMES:
        nb = execute(NOTEBOOKS / name, NOTEBOOKS)
        nbformat.write(nb, NOTEBOOKS / name)
        print("executed", name)
