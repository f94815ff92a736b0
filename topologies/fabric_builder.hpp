// build_fabric: instantiates a NetworkGraph + Routes as a simulated models::Fabric (every
// switch, NIC, link, endpoint attachment and routing table) through the Fabric builder API.
#pragma once

#include <memory>

#include "models/fabric.hpp"
#include "sim/parallel.hpp"
#include "sim/simulator.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/partition.hpp"
#include "topologies/routing.hpp"

namespace fabricsim::topologies {

// The returned Fabric is owned by the caller and must not outlive sim. Switch ids, NIC
// (endpoint) ids, port numbers and edge indexes of the Fabric equal those of g and routes.
// Throws ConfigError for what the models cannot express (a multi-plane NIC, one port per plane,
// needs nic.transport mrc and no PCIe stage). With g.nvlink.switches > 0 every
// host's GPUs form a simulated NVLink domain (nvlink_params); GPUs reach their NICs over PCIe
// stages when g.gpu_params.pcie_rate is set.
models::NvlinkParams nvlink_params(const NvlinkDomain& nvlink);
// The longest NIC-to-NIC base round trip of g as ns-3 HPCC computes its base RTT: twice the
// propagation plus one MTU packet's serialization per link, over the most links of a shortest
// path (every link taken as a host link). HPCC's auto base_rtt.
sim::Time longest_base_rtt(const NetworkGraph& g, const Routes& routes);

std::unique_ptr<models::Fabric> build_fabric(const NetworkGraph& g, const Routes& routes,
                                             sim::Simulator& sim);
// The same fabric split over the partitions of `engine` (parts.parts == engine.size()), with
// every component id as above; sets the engine's lookahead to the smallest delay of a cut link.
std::unique_ptr<models::Fabric> build_fabric(const NetworkGraph& g, const Routes& routes,
                                             sim::ParallelEngine& engine,
                                             const Partitioning& parts);

}  // namespace fabricsim::topologies
