// Topology JSON -> TopologySpec: structural parameters per kind, default model blocks, and the
// cross-field checks (radix large enough, counts positive) with the JSON path of each problem.
#include "topologies/spec.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "topologies/config_error.hpp"
#include "topologies/hardware_preset.hpp"
#include "topologies/json_file.hpp"
#include "topologies/model_checks.hpp"
#include "topologies/params_json.hpp"

namespace fabricsim::topologies {

namespace {

constexpr const char* kSchema = "fabricsim.topology/1";
constexpr std::uint32_t kMaxCount = 1u << 24;

// Reads the keys of one object, remembering which were consulted so unknown keys are rejected.
class Fields {
 public:
  Fields(const Json& obj, JsonLocation at) : obj_(obj), at_(std::move(at)) {
    require_object(obj_, at_);
  }

  const Json* get(std::string_view key) {
    known_.push_back(key);
    const auto it = obj_.find(std::string(key));
    return it == obj_.end() ? nullptr : &*it;
  }
  JsonLocation at(std::string_view key) const { return at_.child(key); }
  const JsonLocation& location() const { return at_; }

  std::uint32_t count(std::string_view key, std::uint32_t fallback, std::uint32_t min,
                      std::uint32_t max = kMaxCount) {
    const Json* v = get(key);
    if (v == nullptr) return fallback;
    return checked(*v, key, min, max);
  }
  std::uint32_t required_count(std::string_view key, std::uint32_t min,
                               std::uint32_t max = kMaxCount) {
    const Json* v = get(key);
    if (v == nullptr) {
      throw_config_error(at(key),
                         fmt::format("missing required key \"{}\" (a count >= {})", key, min));
    }
    return checked(*v, key, min, max);
  }
  void finish() const { check_known_keys(obj_, at_, known_); }

 private:
  std::uint32_t checked(const Json& v, std::string_view key, std::uint32_t min, std::uint32_t max) {
    const auto n = read_count(v, at(key), std::numeric_limits<std::uint64_t>::max());
    if (n < min || n > max) {
      throw_config_error(at(key), v, fmt::format("expected a count in [{}, {}]", min, max));
    }
    return static_cast<std::uint32_t>(n);
  }

  const Json& obj_;
  JsonLocation at_;
  std::vector<std::string_view> known_;
};

struct Ratio {
  std::uint32_t down = 1;
  std::uint32_t up = 1;
};

// "2:1", "1:1" or a number (2 = 2:1).
Ratio read_ratio(const Json& v, const JsonLocation& at) {
  if (v.is_number_unsigned() && v.get<std::uint64_t>() >= 1 && v.get<std::uint64_t>() <= 64) {
    return {v.get<std::uint32_t>(), 1};
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    unsigned down = 0;
    unsigned up = 0;
    char extra = 0;
    if (std::sscanf(s.c_str(), "%u:%u%c", &down, &up, &extra) == 2 && down >= 1 && up >= 1 &&
        down <= 64 && up <= 64) {
      return {down, up};
    }
  }
  throw_config_error(at, v, "expected an oversubscription ratio such as \"2:1\" or a number >= 1");
}

// Splits radix into down:up per ratio (down = radix * d / (d + u), must be whole).
std::pair<std::uint32_t, std::uint32_t> split_radix(std::uint32_t radix, Ratio r,
                                                    const JsonLocation& at, const Json& v) {
  const std::uint64_t num = std::uint64_t{radix} * r.down;
  if (num % (r.down + r.up) != 0) {
    throw_config_error(at, v,
                       fmt::format("expected a ratio that splits the radix {} into whole down and "
                                   "up port counts",
                                   radix));
  }
  const auto down = static_cast<std::uint32_t>(num / (r.down + r.up));
  if (down == 0 || down == radix) {
    throw_config_error(at, v, fmt::format("leaves no down or no up ports of radix {}", radix));
  }
  return {down, radix - down};
}

void read_level_links(Fields& f, const models::LinkParams& base,
                      const std::vector<std::string_view>& names,
                      models::LinkParams* out /* names.size() entries */) {
  for (std::size_t i = 0; i < names.size(); ++i)
    out[i] = base;
  const Json* v = f.get("tier_links");
  if (v == nullptr) return;
  Fields levels(*v, f.at("tier_links"));
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (const Json* lv = levels.get(names[i])) {
      read_params(*lv, out[i], levels.at(names[i]));
      check_link(out[i], levels.at(names[i]));
    }
  }
  levels.finish();
}

// Tiers, radix, oversubscription / hosts_per_leaf and per-level links of a Clos.
void read_clos(Fields& f, ClosSpec& clos, const models::LinkParams& link, std::uint32_t min_tiers) {
  clos.tiers = f.count("tiers", 3, min_tiers, 3);
  clos.radix = f.required_count("radix", 2, 65535);
  clos.planes = f.count("planes", 1, 1, 16);
  const Json* hpl = f.get("hosts_per_leaf");
  const Json* over = f.get("oversubscription");
  Ratio leaf{1, 1};
  Ratio spine{1, 1};
  JsonLocation leaf_at = f.at("oversubscription");
  const Json* leaf_value = over;
  if (over != nullptr && over->is_object()) {
    Fields o(*over, f.at("oversubscription"));
    if (const Json* l = o.get("leaf")) {
      leaf = read_ratio(*l, o.at("leaf"));
      leaf_at = o.at("leaf");
      leaf_value = l;
    }
    if (const Json* s = o.get("spine")) {
      spine = read_ratio(*s, o.at("spine"));
      if (clos.tiers < 3 && (spine.down != 1 || spine.up != 1)) {
        throw_config_error(o.at("spine"), *s, "spine oversubscription needs tiers 3");
      }
      const auto [sd, su] = split_radix(clos.radix, spine, o.at("spine"), *s);
      clos.spine_down = sd;
      clos.spine_up = su;
    }
    o.finish();
  } else if (over != nullptr) {
    leaf = read_ratio(*over, leaf_at);
  }
  if (clos.spine_down == 0) {
    clos.spine_down = clos.radix / 2;
    clos.spine_up = clos.radix - clos.spine_down;
  }
  if (hpl != nullptr) {
    if (over != nullptr && (!over->is_object() || over->contains("leaf"))) {
      throw_config_error(f.at("hosts_per_leaf"), *hpl,
                         "expected either hosts_per_leaf or a leaf oversubscription, not both");
    }
    clos.leaf_down = static_cast<std::uint32_t>(
        read_count(*hpl, f.at("hosts_per_leaf"), std::numeric_limits<std::uint32_t>::max()));
    if (clos.leaf_down == 0 || clos.leaf_down >= clos.radix) {
      throw_config_error(
          f.at("hosts_per_leaf"), *hpl,
          fmt::format("expected a count in [1, {}] (radix minus one uplink)", clos.radix - 1));
    }
    clos.leaf_up = clos.radix - clos.leaf_down;
  } else if (leaf_value != nullptr) {
    const auto [d, u] = split_radix(clos.radix, leaf, leaf_at, *leaf_value);
    clos.leaf_down = d;
    clos.leaf_up = u;
  } else {
    clos.leaf_down = clos.radix / 2;
    clos.leaf_up = clos.radix - clos.leaf_down;
  }
  read_level_links(f, link, {"host", "leaf_spine", "spine_core"}, clos.level_link.data());
}

// Largest leaf count the Clos can hold.
std::uint64_t clos_max_leaves(const ClosSpec& c) {
  if (c.tiers == 2) return c.radix;              // every leaf needs a port on every spine
  return std::uint64_t{c.spine_down} * c.radix;  // pods of spine_down leaves, <= radix pods
}

void check_leaves_fit(const ClosSpec& c, std::uint64_t leaves, const JsonLocation& at,
                      const Json& value, std::string_view what) {
  if (leaves > clos_max_leaves(c)) {
    throw_config_error(
        at, value,
        fmt::format("{} needs {} leaf switches but a {}-tier Clos of radix {} holds at most {} "
                    "(radix too small: raise radix or tiers)",
                    what, leaves, c.tiers, c.radix, clos_max_leaves(c)));
  }
}

void parse_fat_tree(Fields& f, TopologySpec& spec) {
  read_clos(f, spec.clos, spec.link, 2);
  const ClosSpec& c = spec.clos;
  const std::uint64_t full = c.leaf_down * clos_max_leaves(c);
  const Json* hosts = f.get("hosts");
  if (hosts == nullptr) {
    spec.fat_tree.hosts = full;
  } else {
    spec.fat_tree.hosts = read_count(*hosts, f.at("hosts"), kMaxCount);
    if (spec.fat_tree.hosts == 0) throw_config_error(f.at("hosts"), *hosts, "expected >= 1 host");
    if (spec.fat_tree.hosts > full) {
      throw_config_error(f.at("hosts"), *hosts,
                         fmt::format("radix too small: a {}-tier fat-tree of radix {} with {} "
                                     "hosts per leaf holds at most {} hosts",
                                     c.tiers, c.radix, c.leaf_down, full));
    }
  }
}

void parse_rail(Fields& f, TopologySpec& spec) {
  RailOptimizedSpec& r = spec.rail;
  r.nodes = f.required_count("nodes", 1);
  r.gpus_per_node = f.required_count("gpus_per_node", 1, 1024);
  r.rails = f.count("rails", r.gpus_per_node, 1, 1024);
  if (r.gpus_per_node % r.rails != 0) {
    throw_config_error(f.at("rails"), *f.get("rails"),
                       fmt::format("expected a divisor of gpus_per_node ({})", r.gpus_per_node));
  }
  if (const Json* nv = f.get("nvlink")) {
    Fields n(*nv, f.at("nvlink"));
    if (const Json* b = n.get("bandwidth"))
      r.nvlink.bandwidth_bps = read_rate(*b, n.at("bandwidth"));
    r.nvlink.links = n.count("links", r.nvlink.links, 1, 1024);
    if (const Json* l = n.get("latency")) r.nvlink.latency = read_time(*l, n.at("latency"));
    r.nvlink.switches = n.count("switches", 0, 0, 1024);
    if (r.nvlink.switches > r.nvlink.links) {
      throw_config_error(
          n.at("switches"), *n.get("switches"),
          fmt::format("expected at most one NVSwitch chip per link ({} links)", r.nvlink.links));
    }
    if (r.nvlink.switches > 0 && r.gpus_per_node < 2) {
      throw_config_error(n.at("switches"), *n.get("switches"),
                         "expected 0: a simulated NVLink domain needs gpus_per_node >= 2");
    }
    n.finish();
  }
  read_clos(f, spec.clos, spec.link, 2);
  const ClosSpec& c = spec.clos;
  const std::uint32_t nics_per_rail = r.gpus_per_node / r.rails;
  if (nics_per_rail > c.leaf_down) {
    throw_config_error(f.at("rails"),
                       fmt::format("a node puts {} NICs on each rail but a leaf has only {} host "
                                   "ports: expected more rails or a larger radix",
                                   nics_per_rail, c.leaf_down));
  }
  const std::uint64_t nodes_per_group = c.leaf_down / nics_per_rail;
  const std::uint64_t groups = (r.nodes + nodes_per_group - 1) / nodes_per_group;
  check_leaves_fit(c, groups * r.rails, f.at("nodes"), *f.get("nodes"),
                   fmt::format("{} nodes in {} rails", r.nodes, r.rails));
}

void parse_dragonfly(Fields& f, TopologySpec& spec) {
  DragonflySpec& d = spec.dragonfly;
  d.groups = f.required_count("groups", 2);
  d.routers_per_group = f.required_count("routers_per_group", 1);
  d.hosts_per_router = f.required_count("hosts_per_router", 1);
  d.global_links_per_router = f.required_count("global_links_per_router", 1);
  const std::uint64_t global_ports = std::uint64_t{d.routers_per_group} * d.global_links_per_router;
  if (global_ports < d.groups - 1) {
    throw_config_error(f.at("global_links_per_router"), *f.get("global_links_per_router"),
                       fmt::format("a group has {} global links but must reach {} other groups: "
                                   "expected routers_per_group x global_links_per_router >= {}",
                                   global_ports, d.groups - 1, d.groups - 1));
  }
  const std::uint32_t needed =
      d.hosts_per_router + d.routers_per_group - 1 + d.global_links_per_router;
  const std::uint32_t radix = f.count("radix", needed, 1, 65535);
  if (radix < needed) {
    throw_config_error(f.at("radix"), *f.get("radix"),
                       fmt::format("radix too small: a router needs {} ports ({} hosts + {} local "
                                   "+ {} global)",
                                   needed, d.hosts_per_router, d.routers_per_group - 1,
                                   d.global_links_per_router));
  }
  read_level_links(f, spec.link, {"host", "local", "global"}, d.level_link.data());
}

void parse_torus(Fields& f, TopologySpec& spec) {
  TorusSpec& t = spec.torus;
  const Json* dims = f.get("dims");
  if (dims == nullptr)
    throw_config_error(f.at("dims"), "missing required key \"dims\" ([x, y] or [x, y, z])");
  if (!dims->is_array() || dims->size() < 2 || dims->size() > 3) {
    throw_config_error(f.at("dims"), *dims, "expected an array of 2 or 3 sizes");
  }
  for (std::size_t i = 0; i < dims->size(); ++i) {
    const auto n = read_count((*dims)[i], f.at("dims").index(i), 4096);
    if (n == 0) throw_config_error(f.at("dims").index(i), (*dims)[i], "expected a size >= 1");
    t.dims.push_back(static_cast<std::uint32_t>(n));
  }
  t.hosts_per_router = f.count("hosts_per_router", 1, 1, 1024);
  if (const Json* w = f.get("wrap")) t.wrap = read_flag(*w, f.at("wrap"));
  read_level_links(f, spec.link, {"host", "torus"}, t.level_link.data());
}

void parse_explicit(Fields& f, TopologySpec& spec) {
  ExplicitSpec& e = spec.explicit_spec;
  std::map<std::string, std::uint32_t> index;
  const auto add_name = [&](const Json& v, const JsonLocation& at) {
    const std::string& name = read_string(v, at);
    if (name.empty()) throw_config_error(at, v, "expected a non-empty name");
    if (!index.emplace(name, static_cast<std::uint32_t>(index.size())).second) {
      throw_config_error(at, v, "expected a unique name (already used)");
    }
    return name;
  };
  const auto list = [&](std::string_view key) -> const Json& {
    const Json* v = f.get(key);
    if (v == nullptr)
      throw_config_error(f.at(key), fmt::format("missing required key \"{}\"", key));
    if (!v->is_array() || v->empty())
      throw_config_error(f.at(key), *v, "expected a non-empty array");
    return *v;
  };
  const Json& switches = list("switches");
  for (std::size_t i = 0; i < switches.size(); ++i) {
    Fields s(switches[i], f.at("switches").index(i));
    const Json* name = s.get("name");
    if (name == nullptr) throw_config_error(s.at("name"), "missing required key \"name\"");
    ExplicitSpec::Switch sw{add_name(*name, s.at("name")), s.count("tier", 0, 0, 7)};
    s.finish();
    e.switches.push_back(std::move(sw));
  }
  const Json& hosts = list("hosts");
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    Fields h(hosts[i], f.at("hosts").index(i));
    const Json* name = h.get("name");
    if (name == nullptr) throw_config_error(h.at("name"), "missing required key \"name\"");
    e.hosts.push_back(add_name(*name, h.at("name")));
    h.finish();
  }
  const Json& links = list("links");
  const auto nswitch = static_cast<std::uint32_t>(e.switches.size());
  for (std::size_t i = 0; i < links.size(); ++i) {
    const JsonLocation at = f.at("links").index(i);
    require_object(links[i], at);
    ExplicitSpec::Link link;
    link.params = spec.link;
    Json overrides = links[i];
    for (const char* end : {"a", "b"}) {
      if (!overrides.contains(end)) {
        throw_config_error(at.child(end), fmt::format("missing required key \"{}\"", end));
      }
      const Json& v = overrides[end];
      const std::string& name = read_string(v, at.child(end));
      const auto it = index.find(name);
      if (it == index.end()) {
        throw_config_error(at.child(end), v, "expected the name of a switch or host listed above");
      }
      (end[0] == 'a' ? link.a : link.b) = it->second;
      overrides.erase(end);
    }
    if (link.a == link.b)
      throw_config_error(at.child("b"), links[i]["b"], "expected a node other than a");
    if (link.a >= nswitch && link.b >= nswitch) {
      throw_config_error(at, links[i],
                         "expected at least one switch end (host-to-host links are not supported)");
    }
    read_params(overrides, link.params, at);
    check_link(link.params, at);
    e.links.push_back(link);
  }
  std::vector<bool> attached(e.hosts.size(), false);
  for (const auto& l : e.links) {
    if (l.a >= nswitch) attached[l.a - nswitch] = true;
    if (l.b >= nswitch) attached[l.b - nswitch] = true;
  }
  for (std::size_t i = 0; i < attached.size(); ++i) {
    if (!attached[i]) {
      throw_config_error(f.at("hosts").index(i), Json(e.hosts[i]),
                         "expected a host with at least one link");
    }
  }
}

}  // namespace

const char* kind_name(TopologyKind kind) {
  switch (kind) {
    case TopologyKind::kFatTree:
      return "fat_tree";
    case TopologyKind::kRailOptimized:
      return "rail_optimized";
    case TopologyKind::kDragonfly:
      return "dragonfly";
    case TopologyKind::kTorus:
      return "torus";
    case TopologyKind::kExplicit:
      return "explicit";
  }
  return "?";
}

std::uint64_t TopologySpec::gpu_count() const {
  switch (kind) {
    case TopologyKind::kFatTree:
      return fat_tree.hosts;
    case TopologyKind::kRailOptimized:
      return std::uint64_t{rail.nodes} * rail.gpus_per_node;
    case TopologyKind::kDragonfly:
      return std::uint64_t{dragonfly.groups} * dragonfly.routers_per_group *
             dragonfly.hosts_per_router;
    case TopologyKind::kTorus: {
      std::uint64_t n = torus.hosts_per_router;
      for (const auto d : torus.dims)
        n *= d;
      return n;
    }
    case TopologyKind::kExplicit:
      return explicit_spec.hosts.size();
  }
  return 0;
}

const char* fabric_name(FabricTechnology technology) {
  return technology == FabricTechnology::kInfiniband ? "infiniband" : "ethernet";
}

void apply_fabric_defaults(FabricTechnology technology, models::LinkParams& link,
                           models::SwitchParams& sw, models::NicParams& nic) {
  if (technology != FabricTechnology::kInfiniband) return;
  link.type = models::LinkType::kInfiniband;
  sw.pfc.enabled = false;  // lossless by credits
  sw.ecn.enabled = false;  // no ECN-driven CNPs without IB congestion control
  nic.transport = models::NicTransport::kInfiniband;
  nic.cc.algorithm = models::CcAlgorithm::kNone;
  nic.header_bytes = 26;  // LRH 8 + BTH 12 + ICRC 4 + VCRC 2
  nic.ack_bytes = 30;     // + AETH 4
}

TopologySpec parse_topology(const Json& doc, const std::string& source) {
  TopologySpec spec;
  spec.source = source;
  Fields f(doc, JsonLocation{source, ""});
  if (const Json* s = f.get("schema")) {
    if (!s->is_string() || *s != kSchema) {
      throw_config_error(f.at("schema"), *s, fmt::format("expected \"{}\"", kSchema));
    }
  }
  if (const Json* n = f.get("name")) spec.name = read_string(*n, f.at("name"));
  if (const Json* d = f.get("description")) spec.description = read_string(*d, f.at("description"));
  const Json* kind = f.get("kind");
  if (kind == nullptr) {
    throw_config_error(f.at("kind"),
                       "missing required key \"kind\" (fat_tree, rail_optimized, "
                       "dragonfly, torus or explicit)");
  }
  const std::string& k = read_string(*kind, f.at("kind"));
  bool found = false;
  for (const auto candidate :
       {TopologyKind::kFatTree, TopologyKind::kRailOptimized, TopologyKind::kDragonfly,
        TopologyKind::kTorus, TopologyKind::kExplicit}) {
    if (k == kind_name(candidate)) {
      spec.kind = candidate;
      found = true;
    }
  }
  if (!found) {
    throw_config_error(f.at("kind"), *kind,
                       "unknown kind, expected one of fat_tree, rail_optimized, dragonfly, torus, "
                       "explicit");
  }
  if (const Json* t = f.get("fabric")) {
    const std::string& text = read_string(*t, f.at("fabric"));
    if (text == "infiniband") {
      spec.fabric = FabricTechnology::kInfiniband;
    } else if (text != "ethernet") {
      throw_config_error(f.at("fabric"), *t, "expected ethernet or infiniband");
    }
    apply_fabric_defaults(spec.fabric, spec.link, spec.switch_params, spec.nic);
  }
  // Model defaults first: structural readers copy "link" into their per-level links.
  if (const Json* l = f.get("link")) read_params(*l, spec.link, f.at("link"));
  if (const Json* s = f.get("switch")) read_params(*s, spec.switch_params, f.at("switch"));
  if (const Json* n = f.get("nic")) read_params(*n, spec.nic, f.at("nic"));
  if (const Json* g = f.get("gpu")) {
    require_object(*g, f.at("gpu"));
    read_params(*g, spec.gpu_params, f.at("gpu"));
    spec.gpu = *g;
  }
  check_models(spec, f.location());
  switch (spec.kind) {
    case TopologyKind::kFatTree:
      parse_fat_tree(f, spec);
      break;
    case TopologyKind::kRailOptimized:
      parse_rail(f, spec);
      break;
    case TopologyKind::kDragonfly:
      parse_dragonfly(f, spec);
      break;
    case TopologyKind::kTorus:
      parse_torus(f, spec);
      break;
    case TopologyKind::kExplicit:
      parse_explicit(f, spec);
      break;
  }
  check_models_with_shape(spec, f.location());
  f.finish();
  return spec;
}

TopologySpec load_topology(const std::string& path) {
  Json doc = read_json_file(path);
  apply_hardware_preset(doc, std::filesystem::path(path).parent_path().string(), path);
  return parse_topology(doc, path);
}

Json topology_to_json(const TopologySpec& spec) {
  Json j;
  j["schema"] = kSchema;
  if (!spec.name.empty()) j["name"] = spec.name;
  if (!spec.description.empty()) j["description"] = spec.description;
  j["kind"] = kind_name(spec.kind);
  j["fabric"] = fabric_name(spec.fabric);
  const auto clos = [&](Json& o) {
    o["tiers"] = spec.clos.tiers;
    o["radix"] = spec.clos.radix;
    o["hosts_per_leaf"] = spec.clos.leaf_down;
    o["planes"] = spec.clos.planes;
    if (spec.clos.tiers == 3) {
      o["oversubscription"] = {
          {"spine", fmt::format("{}:{}", spec.clos.spine_down, spec.clos.spine_up)}};
    }
    o["tier_links"] = {{"host", write_params(spec.clos.level_link[0])},
                       {"leaf_spine", write_params(spec.clos.level_link[1])},
                       {"spine_core", write_params(spec.clos.level_link[2])}};
  };
  switch (spec.kind) {
    case TopologyKind::kFatTree:
      j["hosts"] = spec.fat_tree.hosts;
      clos(j);
      break;
    case TopologyKind::kRailOptimized:
      j["nodes"] = spec.rail.nodes;
      j["gpus_per_node"] = spec.rail.gpus_per_node;
      j["rails"] = spec.rail.rails;
      j["nvlink"] = {{"bandwidth", exact_rate(spec.rail.nvlink.bandwidth_bps)},
                     {"links", spec.rail.nvlink.links},
                     {"latency", exact_time(spec.rail.nvlink.latency)},
                     {"switches", spec.rail.nvlink.switches}};
      clos(j);
      break;
    case TopologyKind::kDragonfly:
      j["groups"] = spec.dragonfly.groups;
      j["routers_per_group"] = spec.dragonfly.routers_per_group;
      j["hosts_per_router"] = spec.dragonfly.hosts_per_router;
      j["global_links_per_router"] = spec.dragonfly.global_links_per_router;
      j["tier_links"] = {{"host", write_params(spec.dragonfly.level_link[0])},
                         {"local", write_params(spec.dragonfly.level_link[1])},
                         {"global", write_params(spec.dragonfly.level_link[2])}};
      break;
    case TopologyKind::kTorus:
      j["dims"] = spec.torus.dims;
      j["hosts_per_router"] = spec.torus.hosts_per_router;
      j["wrap"] = spec.torus.wrap;
      j["tier_links"] = {{"host", write_params(spec.torus.level_link[0])},
                         {"torus", write_params(spec.torus.level_link[1])}};
      break;
    case TopologyKind::kExplicit: {
      const auto& e = spec.explicit_spec;
      const auto name_of = [&](std::uint32_t node) {
        return node < e.switches.size() ? e.switches[node].name : e.hosts[node - e.switches.size()];
      };
      j["switches"] = Json::array();
      for (const auto& s : e.switches)
        j["switches"].push_back({{"name", s.name}, {"tier", s.tier}});
      j["hosts"] = Json::array();
      for (const auto& h : e.hosts)
        j["hosts"].push_back({{"name", h}});
      j["links"] = Json::array();
      for (const auto& l : e.links) {
        Json lj = write_params(l.params);
        lj["a"] = name_of(l.a);
        lj["b"] = name_of(l.b);
        j["links"].push_back(std::move(lj));
      }
      break;
    }
  }
  j["link"] = write_params(spec.link);
  j["switch"] = write_params(spec.switch_params);
  j["nic"] = write_params(spec.nic);
  j["gpu"] = spec.gpu;
  return j;
}

}  // namespace fabricsim::topologies
