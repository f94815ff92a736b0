// Hardware presets (configs/hardware/): one JSON file per hardware generation (an HGX node, a
// NIC) holding the topology blocks "link", "switch", "nic", "gpu" and "nvlink" with measured
// or datasheet values, each with its source in the file. A topology names one with
// "hardware": "PATH" (relative to the topology file); its own blocks override the preset's
// field by field.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace fabricsim::topologies {

// The blocks a preset may set (the other keys of a preset are "schema", "name", "description",
// "sources" and "fabric", which applies unless the topology states its own).
inline constexpr const char* kPresetBlocks[] = {"link", "switch", "nic", "gpu", "nvlink"};

// When `topology` has a "hardware" key: reads that preset (a path relative to `base_dir`, or a
// list of them applied in order, so that a GPU preset and a NIC preset combine), merges its
// blocks under the topology's own and removes the key. `source` names the topology in
// messages. Throws ConfigError for a missing or malformed preset, naming the topology's
// /hardware and the preset's key.
// `path` is the JSON path of the topology inside `source` ("" for a topology file,
// "/topology" for one inline in a scenario).
void apply_hardware_preset(nlohmann::json& topology, const std::string& base_dir,
                           const std::string& source, const std::string& path = "");

}  // namespace fabricsim::topologies
