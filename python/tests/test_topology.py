"""load_topology, the builders and topology stats against `fabricsim topo --json`."""
import json

import pytest

import fabricsim


def test_stats_equal_the_cli(root, cli):
    path = root / "configs/topologies/rail_optimized_1024.json"
    topo = fabricsim.load_topology(path)
    assert topo.kind == "rail_optimized" and topo.name == "rail_optimized_1024"
    figures = json.loads(cli("topo", path, "--json").stdout)
    assert topo.estimate == figures.pop("estimate")
    assert topo.stats == figures
    assert topo.stats["gpus"] == 1024


def test_the_estimate_and_the_memory_limit(root):
    topo = fabricsim.load_topology(root / "configs/topologies/rail_optimized_131072.json")
    estimate = topo.estimate  # computed without building 131,072 GPUs
    assert estimate["gpus"] == 131072 and estimate["switches"] == 5120
    assert 400 << 20 < estimate["total_bytes"] < 600 << 20
    default = fabricsim.max_memory()
    try:
        fabricsim.set_max_memory("100MiB")
        assert topo.estimate["memory_limit_bytes"] == 100 << 20
        with pytest.raises(fabricsim.ConfigError, match=r"/nodes: 16384: building this topology"):
            topo.stats
    finally:
        fabricsim.set_max_memory(None)
    assert fabricsim.max_memory() == default
    with pytest.raises(TypeError):
        fabricsim.set_max_memory(4.5)
    with pytest.raises(ValueError):
        fabricsim.set_max_memory(1000)


def test_a_dict_gives_the_same_topology_as_its_file(root):
    path = root / "configs/topologies/fat_tree_128.json"
    from_file = fabricsim.load_topology(path)
    from_dict = fabricsim.load_topology(json.loads(path.read_text()))
    assert from_dict.spec == from_file.spec
    assert from_dict.stats == from_file.stats


def test_builders_make_documents_of_the_json_keys():
    doc = fabricsim.topologies.fat_tree(16, tiers=2, hosts=128, link={"rate": "100Gbps"})
    assert doc == {"schema": "fabricsim.topology/1", "kind": "fat_tree", "radix": 16, "tiers": 2,
                   "hosts": 128, "link": {"rate": "100Gbps"}}
    stats = fabricsim.load_topology(doc).stats
    assert (stats["hosts"], stats["switches"]) == (128, 24)

    rail = fabricsim.topologies.rail_optimized(4, 8, radix=16, tiers=2)
    assert fabricsim.load_topology(rail).stats["gpus"] == 32
    fly = fabricsim.topologies.dragonfly(9, 4, 2, 2, radix=8)
    assert fabricsim.load_topology(fly).stats["hosts"] == 72
    assert fabricsim.load_topology(fabricsim.topologies.torus([4, 4])).stats["hosts"] == 16


def test_bad_topologies_raise_config_error_with_the_json_path(root, tmp_path):
    with pytest.raises(fabricsim.ConfigError) as e:
        fabricsim.topologies.fat_tree(0, tiers=2)
    assert "/radix" in str(e.value)
    assert isinstance(e.value, ValueError)
    with pytest.raises(fabricsim.ConfigError, match="/kind"):
        fabricsim.load_topology({"kind": "hypercube"})
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "fat_tree", "radix": "many"}')
    with pytest.raises(fabricsim.ConfigError) as e:
        fabricsim.load_topology(bad)
    assert str(bad) in str(e.value) and "/radix" in str(e.value)
    with pytest.raises(fabricsim.ConfigError, match="missing.json"):
        fabricsim.load_topology(tmp_path / "missing.json")
