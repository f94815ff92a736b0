// Hardware presets merged under a topology's blocks (see hardware_preset.hpp).
#include "topologies/hardware_preset.hpp"

#include <filesystem>
#include <string_view>
#include <vector>

#include "topologies/config_error.hpp"
#include "topologies/json_file.hpp"
#include "topologies/params_json.hpp"

namespace fabricsim::topologies {

namespace {

using Json = nlohmann::json;

constexpr std::string_view kPresetSchema = "fabricsim.hardware/1";

// Fields of `over` replace those of `base`, objects recursively (JSON merge patch without
// null deletion).
void merge_under(Json& base, const Json& over) {
  for (auto it = over.begin(); it != over.end(); ++it) {
    if (it->is_object() && base.contains(it.key()) && base[it.key()].is_object()) {
      merge_under(base[it.key()], *it);
    } else {
      base[it.key()] = *it;
    }
  }
}

void apply_one(Json& merged, const Json& entry, const JsonLocation& at,
               const std::string& base_dir) {
  if (!entry.is_string() || entry.get<std::string>().empty())
    throw_config_error(at, entry, "a hardware preset file path (configs/hardware/*.json)");
  const std::string path =
      (std::filesystem::path(base_dir) / entry.get<std::string>()).lexically_normal().string();
  if (!readable_file(path))
    throw_config_error(at, entry, "a readable hardware preset file (" + path + ")");
  const Json preset = read_json_file(path);
  const JsonLocation root{path, ""};
  require_object(preset, root);
  std::vector<std::string_view> known = {"schema", "name", "description", "sources", "fabric"};
  for (const char* b : kPresetBlocks)
    known.emplace_back(b);
  check_known_keys(preset, root, known);
  if (const auto s = preset.find("schema"); s != preset.end() && *s != kPresetSchema)
    throw_config_error(root.child("schema"), *s, "\"fabricsim.hardware/1\"");
  if (const auto f = preset.find("fabric"); f != preset.end()) merged["fabric"] = *f;
  for (const char* b : kPresetBlocks) {
    const auto block = preset.find(b);
    if (block == preset.end()) continue;
    require_object(*block, root.child(b));
    Json& into = merged[b];
    if (!into.is_object()) into = Json::object();
    merge_under(into, *block);
  }
}

}  // namespace

void apply_hardware_preset(Json& topology, const std::string& base_dir, const std::string& source,
                           const std::string& path) {
  if (!topology.is_object()) return;
  const auto hw = topology.find("hardware");
  if (hw == topology.end()) return;
  const JsonLocation at{source, path + "/hardware"};
  Json merged = Json::object();
  if (hw->is_array()) {
    if (hw->empty()) throw_config_error(at, *hw, "a preset path or a non-empty list of them");
    for (std::size_t i = 0; i < hw->size(); ++i)
      apply_one(merged, (*hw)[i], at.index(i), base_dir);
  } else {
    apply_one(merged, *hw, at, base_dir);
  }
  // The topology's own blocks win, field by field.
  for (const char* b : kPresetBlocks) {
    const auto own = topology.find(b);
    if (own == topology.end()) continue;
    if (!own->is_object()) return;  // the topology reader reports it at its own path
    merge_under(merged[b], *own);
  }
  if (topology.contains("fabric")) merged.erase("fabric");
  for (auto it = merged.begin(); it != merged.end(); ++it)
    topology[it.key()] = *it;
  topology.erase("hardware");
}

}  // namespace fabricsim::topologies
