// Splits a NetworkGraph into P partitions for a parallel run: every host's NICs (and NVLink
// domain) with its edge switches in one partition, pods / rail groups kept together, switches
// placed with the majority of their neighbours.
#pragma once

#include <cstdint>
#include <vector>

#include "topologies/network_graph.hpp"

namespace fabricsim::topologies {

struct Partitioning {
  std::uint32_t parts = 1;
  std::vector<std::uint32_t> switch_part;  // per switch
  std::vector<std::uint32_t> nic_part;     // per NIC (endpoint)
};

// Units are the connected groups of NICs that share a host, an NVLink domain or an edge
// switch (a fat-tree edge switch with its hosts, a rail group of a rail-optimized fabric); they
// go to partitions in endpoint order, in contiguous blocks of about equal NIC counts, so a pod
// (numbered contiguously by the builders) stays whole when the counts allow. Switches follow in
// tier order (edge first), each to the partition most of its already placed neighbours are in,
// ties to the partition with the fewest switches. Host links are therefore never cut; only
// links between switches are. Deterministic; `parts` >= 1.
Partitioning partition_graph(const NetworkGraph& g, std::uint32_t parts);

}  // namespace fabricsim::topologies
