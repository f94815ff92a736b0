"""Shared fixtures of the Python tests: the repository root and the CLI to compare with."""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(os.environ.get("FABRICSIM_SOURCE_DIR", pathlib.Path(__file__).parents[2]))


@pytest.fixture
def root():
    return ROOT


@pytest.fixture
def cli():
    """Runs build/bin/fabricsim with arguments; returns the completed process (checked)."""
    binary = os.environ.get("FABRICSIM_BIN", str(ROOT / "build" / "bin" / "fabricsim"))
    if not os.path.exists(binary):
        pytest.skip(f"{binary} not built")

    def run(*args, check=True):
        return subprocess.run([binary, *map(str, args)], capture_output=True, text=True,
                              check=check, cwd=ROOT)
    return run


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)
