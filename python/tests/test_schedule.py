"""schedule() and algorithms() against `fabricsim schedule`."""
import json

import pytest

import fabricsim


def test_schedule_equals_the_cli(cli):
    args = ["--op", "allreduce", "--algorithm", "halving_doubling", "--ranks", "5", "--size", "20"]
    expected = json.loads(cli("schedule", *args).stdout)
    assert fabricsim.schedule("allreduce", "halving_doubling", ranks=5, bytes=20) == expected
    expected = json.loads(cli("schedule", "--op", "allgather", "--ranks", "4", "--size", "1MiB",
                              "--channels", "2", "--slice", "64KiB", "--rank", "3").stdout)
    got = fabricsim.schedule("allgather", "ring", 4, "1MiB", channels=2, slice="64KiB", rank=3)
    assert got == expected and len(got["ranks"]) == 1


def test_schedule_is_python_data_to_inspect():
    s = fabricsim.schedule("allreduce", "ring", ranks=4, bytes="1KiB")
    assert s["op"] == "allreduce" and s["nranks"] == 4 and len(s["ranks"]) == 4
    assert s["count"] == 256  # float32 elements


def test_bad_schedule_arguments_raise_value_error():
    with pytest.raises(ValueError, match="no_such_algorithm"):
        fabricsim.schedule("allreduce", "no_such_algorithm", 4, 1024)
    with pytest.raises(ValueError, match="multiple of 4"):
        fabricsim.schedule("allreduce", "ring", 4, 10)
    with pytest.raises(ValueError, match="rank 4"):
        fabricsim.schedule("allreduce", "ring", 4, 1024, rank=4)
    with pytest.raises(ValueError):
        fabricsim.schedule("allreduce", "ring", 4, "12 apples")


def test_counts_that_are_not_whole_numbers_are_a_type_error_not_truncated():
    for bad in (4.7, 4.0, "4", True):
        with pytest.raises(TypeError, match="ranks=.*expected a whole number"):
            fabricsim.schedule("allreduce", "ring", bad, 1024)
    with pytest.raises(TypeError, match="channels=1.5"):
        fabricsim.schedule("allreduce", "ring", 4, 1024, channels=1.5)
    with pytest.raises(TypeError, match="rank=0.5"):
        fabricsim.schedule("allreduce", "ring", 4, 1024, rank=0.5)
    with pytest.raises(ValueError, match="ranks=-4: expected a non-negative count"):
        fabricsim.schedule("allreduce", "ring", -4, 1024)
    np = pytest.importorskip("numpy")
    assert fabricsim.schedule("allreduce", "ring", np.int64(4), 1024) == \
        fabricsim.schedule("allreduce", "ring", 4, 1024)


def test_algorithms_list_what_the_cli_lists(cli):
    table = fabricsim.algorithms()
    listing = cli("schedule", "--list").stdout
    for op, names in table.items():
        assert f"{op}:" in listing
        for name in names:
            assert f"  {name}" in listing
    assert {"ring", "double_binary_tree", "halving_doubling", "hierarchical"} <= set(fabricsim.algorithms("allreduce"))


def test_parameters_are_the_declared_ones_with_their_defaults(root):
    params = {p["name"]: p for p in fabricsim.parameters()}
    assert params["switch.ecn.kmin"]["unit"] == "bytes" and params["switch.ecn.kmin"]["doc"]
    assert params["nic.cc.dcqcn.alpha_timer"]["default"] == "1us"  # the firmware preset
    assert all(p["name"].startswith("link.") for p in fabricsim.parameters("link."))
    # Every declared parameter is accepted as an override of a scenario's models block.
    for name in ("link.rate", "switch.ecn.kmax", "nic.cc.dcqcn.rate_increase_timer"):
        value = params[name]["default"]
        fabricsim.Scenario(root / "configs/scenarios/incast_16to1_dcqcn.json",
                           {f"models.{name}": value})
