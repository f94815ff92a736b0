// NetworkGraph: the built fabric as compact pure data (CSR arrays, no per-node objects), the
// single input of routing, stats, DOT output and build_fabric. Numbering (see README.md):
// nodes 0..S-1 are switches, nodes S..S+E-1 are endpoints (NICs); NIC e serves GPU e, so GPU
// and NIC ids coincide; a node's ports are the global ids [port_begin[n], port_begin[n+1]).
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "models/params.hpp"
#include "topologies/spec.hpp"

namespace fabricsim::topologies {

// Where a NIC port plugs into the fabric.
struct Attachment {
  std::uint32_t switch_id;   // node id of the edge switch
  std::uint16_t local_port;  // port index on that switch
};

struct NvlinkDomain {
  std::uint32_t gpus_per_domain = 1;  // GPUs g with the same g / gpus_per_domain share a domain
  std::uint64_t bandwidth_bps = 0;    // per GPU; 0 = no NVLink domain
  std::uint32_t links = 0;
  sim::Time latency;
  std::uint32_t switches = 0;  // NVSwitch chips per domain; 0 = not simulated
};

class NetworkGraph {
 public:
  static constexpr std::uint32_t kNoPort = std::numeric_limits<std::uint32_t>::max();

  std::string name;
  TopologyKind kind = TopologyKind::kExplicit;

  // --- nodes ---
  std::uint32_t switch_count = 0;
  std::uint32_t endpoint_count = 0;          // NICs (= GPUs)
  std::uint32_t host_count = 0;              // servers / nodes
  std::vector<std::uint8_t> switch_tier;     // per switch: 0 = edge/leaf, 1 = spine, 2 = core
  std::vector<std::uint32_t> endpoint_host;  // per NIC: host (server) index
  std::vector<std::uint16_t> endpoint_rail;  // per NIC: rail (0 where rails do not apply)
  std::vector<std::uint32_t> switch_group;   // per switch: pod/group/x-coordinate (for stats)
  // Per switch: its plane (NIC port q leads into plane q); empty when the fabric has one plane.
  std::vector<std::uint8_t> switch_plane;

  // --- ports (CSR) ---
  std::vector<std::uint32_t> port_begin;       // node_count() + 1 entries
  std::vector<std::uint32_t> port_node;        // per port: owning node
  std::vector<std::uint32_t> peer_port;        // per port: the port at the other end of its link
  std::vector<std::uint16_t> port_link_class;  // per port: index into link_classes

  std::vector<models::LinkParams> link_classes;  // deduplicated link parameters
  models::SwitchParams switch_params;
  models::NicParams nic_params;
  models::GpuParams gpu_params;
  NvlinkDomain nvlink;

  std::uint32_t node_count() const { return switch_count + endpoint_count; }
  std::uint32_t port_count() const { return static_cast<std::uint32_t>(peer_port.size()); }
  std::uint32_t link_count() const { return port_count() / 2; }
  bool is_switch(std::uint32_t node) const { return node < switch_count; }
  std::uint32_t endpoint_node(std::uint32_t nic) const { return switch_count + nic; }
  std::uint32_t degree(std::uint32_t node) const { return port_begin[node + 1] - port_begin[node]; }
  // The node at the other end of local port p of node n.
  std::uint32_t neighbor(std::uint32_t node, std::uint32_t local_port) const {
    return port_node[peer_port[port_begin[node] + local_port]];
  }
  std::uint16_t local_port(std::uint32_t global_port) const {
    return static_cast<std::uint16_t>(global_port - port_begin[port_node[global_port]]);
  }
  const models::LinkParams& link_of_port(std::uint32_t global_port) const {
    return link_classes[port_link_class[global_port]];
  }
  // NIC nic's port `plane` (0 unless the fabric has several planes) and where it is attached.
  std::uint32_t nic_port_count(std::uint32_t nic) const { return degree(endpoint_node(nic)); }
  Attachment attachment(std::uint32_t nic, std::uint32_t plane = 0) const {
    const std::uint32_t peer = peer_port[port_begin[endpoint_node(nic)] + plane];
    return {port_node[peer], local_port(peer)};
  }

  // Heap bytes held by the arrays (for the scale benchmark).
  std::size_t memory_bytes() const;
};

// Collects links and then lays them out as CSR. Link insertion order fixes port order: a
// node's ports are numbered in the order its links were added.
class GraphBuilder {
 public:
  GraphBuilder(std::uint32_t switches, std::uint32_t endpoints);

  std::uint16_t link_class(const models::LinkParams& params);  // dedup by value
  void add_link(std::uint32_t a, std::uint32_t b, std::uint16_t link_class);
  std::uint32_t endpoint_node(std::uint32_t nic) const { return switches_ + nic; }

  // Moves the links into g (which keeps its names, tiers and endpoint tables).
  void finish(NetworkGraph& g);

 private:
  std::uint32_t switches_;
  std::uint32_t endpoints_;
  std::vector<std::uint32_t> link_a_;
  std::vector<std::uint32_t> link_b_;
  std::vector<std::uint16_t> link_class_;
  std::vector<models::LinkParams> classes_;
};

// The builders, one per kind (topologies/build_*.cpp). Throws ConfigError only for limits
// the spec parser could not see (e.g. more than 65,535 ports on a switch), and first refuses
// what estimate_build says would not fit the graph's indexes or sim::memory_limit_bytes().
NetworkGraph build_graph(const TopologySpec& spec);

// The connected part of the network each NIC belongs to (parts numbered from 0 in the order
// of their lowest NIC): NICs in different parts have no path between them.
std::vector<std::uint32_t> endpoint_components(const NetworkGraph& g);
NetworkGraph build_clos(const TopologySpec& spec);  // fat_tree and rail_optimized
NetworkGraph build_dragonfly(const TopologySpec& spec);
NetworkGraph build_torus(const TopologySpec& spec);
NetworkGraph build_explicit(const TopologySpec& spec);

}  // namespace fabricsim::topologies
