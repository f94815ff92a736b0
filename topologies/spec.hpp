// TopologySpec: a topology JSON parsed and validated (kind, structural parameters, default
// model parameters). Every rejection is a ConfigError naming the file, the JSON path, the value
// and what was expected. The builders (topologies/build_*.cpp) turn a spec into a NetworkGraph.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/params.hpp"
#include "sim/time.hpp"
#include "topologies/config_error.hpp"

namespace fabricsim::topologies {

enum class TopologyKind { kFatTree, kRailOptimized, kDragonfly, kTorus, kExplicit };
const char* kind_name(TopologyKind kind);

// The scale-out technology, which sets the defaults of the link/switch/nic blocks (explicit
// fields still win): ethernet = RoCEv2 over PFC-lossless Ethernet with DCQCN (the built-in
// defaults); infiniband = credit-based links, no PFC, no ECN, IB transport without congestion
// control, IB headers.
enum class FabricTechnology { kEthernet, kInfiniband };
const char* fabric_name(FabricTechnology technology);
// Applies the defaults of `technology` to the model blocks.
void apply_fabric_defaults(FabricTechnology technology, models::LinkParams& link,
                           models::SwitchParams& sw, models::NicParams& nic);

// A multi-tier folded Clos (fat-tree or rail-optimized scale-out). Tier 0 = leaf (edge),
// 1 = spine (aggregation), 2 = core. Link class per level: 0 host-leaf, 1 leaf-spine,
// 2 spine-core.
struct ClosSpec {
  std::uint32_t tiers = 3;       // 2 or 3
  std::uint32_t radix = 0;       // ports per switch
  std::uint32_t leaf_down = 0;   // host (NIC) ports per leaf
  std::uint32_t leaf_up = 0;     // uplinks per leaf
  std::uint32_t spine_down = 0;  // 3 tiers: leaf ports per spine (= leaves per pod)
  std::uint32_t spine_up = 0;    // 3 tiers: core uplinks per spine
  // Identical, disjoint planes of this Clos; every NIC has one port into each (a multi-plane
  // NIC: an 800G NIC as 8 x 100G ports, MRC). 1..16.
  std::uint32_t planes = 1;
  std::array<models::LinkParams, 3> level_link{};
};

struct FatTreeSpec {
  std::uint64_t hosts = 0;  // resolved (the full size when the JSON leaves it out)
};

struct NvlinkSpec {
  std::uint64_t bandwidth_bps = 7'200'000'000'000ULL;  // per GPU, both directions summed: 900 GB/s
  std::uint32_t links = 18;                            // NVLink links per GPU
  sim::Time latency = sim::Time::ns(150);
  // NVSwitch chips per domain; 0 = the domain is recorded (stats) but not simulated.
  std::uint32_t switches = 0;
};

struct RailOptimizedSpec {
  std::uint32_t nodes = 0;
  std::uint32_t gpus_per_node = 8;
  std::uint32_t rails = 8;  // rail leaves per group; GPU g of a node uses rail g % rails
  NvlinkSpec nvlink;
};

struct DragonflySpec {
  std::uint32_t groups = 0;
  std::uint32_t routers_per_group = 0;
  std::uint32_t hosts_per_router = 0;
  std::uint32_t global_links_per_router = 0;
  std::array<models::LinkParams, 3> level_link{};  // host, local (intra-group), global
};

struct TorusSpec {
  std::vector<std::uint32_t> dims;  // 2 or 3 sizes
  std::uint32_t hosts_per_router = 1;
  bool wrap = true;
  std::array<models::LinkParams, 2> level_link{};  // host, torus
};

struct ExplicitSpec {
  struct Switch {
    std::string name;
    std::uint32_t tier = 0;
  };
  struct Link {
    std::uint32_t a = 0;  // node index: switches first, then hosts
    std::uint32_t b = 0;
    models::LinkParams params;
  };
  std::vector<Switch> switches;
  std::vector<std::string> hosts;
  std::vector<Link> links;
};

struct TopologySpec {
  std::string source;  // file path or label used in messages
  std::string name;
  std::string description;
  TopologyKind kind = TopologyKind::kFatTree;
  FabricTechnology fabric = FabricTechnology::kEthernet;

  models::LinkParams link;
  models::SwitchParams switch_params;
  models::NicParams nic;
  nlohmann::json gpu = nlohmann::json::object();  // raw "gpu" block (as given)
  models::GpuParams gpu_params;                   // the same block, read (models/gpu)

  ClosSpec clos;  // fat_tree and rail_optimized
  FatTreeSpec fat_tree;
  RailOptimizedSpec rail;
  DragonflySpec dragonfly;
  TorusSpec torus;
  ExplicitSpec explicit_spec;

  // Expected counts from the structural parameters (the builder must agree).
  std::uint64_t gpu_count() const;
};

// Parses and validates; source names the document in messages. Throws ConfigError.
TopologySpec parse_topology(const nlohmann::json& doc, const std::string& source);
// Reads the file (ConfigError if unreadable or not JSON) and parses it.
TopologySpec load_topology(const std::string& path);

// The resolved topology (every default filled in) for config.json.
nlohmann::json topology_to_json(const TopologySpec& spec);

}  // namespace fabricsim::topologies
