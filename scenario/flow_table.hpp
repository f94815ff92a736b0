// Per-flow results of a traffic workload: each flow's ideal FCT (alone on one of its shortest
// paths), its slowdown (FCT / ideal), the slowdown percentiles by flow-size bin that go into
// results.json, and flows.csv.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "models/nic/message_observer.hpp"
#include "scenario/results.hpp"
#include "sim/time.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/routing.hpp"

namespace fabricsim::scenario {

// The completion time a message would have with the fabric to itself, as the packet model
// computes it: the NIC sends its packets back to back at line rate, each hop forwards a
// packet when it has arrived whole (the first 64 bytes on a cut-through switch) after the
// switch latency and once the previous packet has left, and the FCT ends when the ACK of the
// last packet is back at the sender (store-and-forward, the same rounding as models::Port).
// The path is the first next hop of each switch's ECMP group, the ACK's the same towards the
// sender; equal-cost paths of the shipped topologies have equal links. A multi-plane NIC (MRC)
// sends packet k on plane k mod planes, each plane's port at its own line rate.
// Holds references to `graph` and `routes`, which must outlive it.
class IdealFct {
 public:
  IdealFct(const topologies::NetworkGraph& graph, const topologies::Routes& routes);
  // Time::max() when dst cannot be reached from src.
  sim::Time of(models::EndpointId src, models::EndpointId dst, std::uint64_t bytes) const;

 private:
  struct Hop {
    std::uint64_t ps_per_byte_fp;  // of the link (models::Port's fixed point)
    sim::Time delay;               // propagation + the latency of the node it leads to
    bool cut_through;              // the node it leads to forwards on the header
  };
  // The links from NIC `from` to NIC `to`, false when there is no path.
  bool path(models::EndpointId from, models::EndpointId to, std::uint32_t plane,
            std::vector<Hop>& hops) const;

  const topologies::NetworkGraph& graph_;
  const topologies::Routes& routes_;
};

// Rows for the completed flows of `log`, in id order.
std::vector<FlowRow> flow_rows(const std::vector<models::FlowRecord>& log, const IdealFct& ideal);

// The decade bins < 10 KB, 10-100 KB, 100 KB-1 MB, 1-10 MB, >= 10 MB (decimal units), then one
// bin of every flow (min 0, max 0) last; empty bins are kept with count 0.
std::vector<SlowdownBin> slowdown_by_size(const std::vector<FlowRow>& rows);

// flows.csv: id,src,dst,size_bytes,start_ps,finish_ps,fct_ps,ideal_fct_ps,slowdown,
// retransmitted_bytes. Throws std::runtime_error naming the path when it cannot be written.
void write_flows_csv(const std::filesystem::path& path, const std::vector<FlowRow>& rows);

}  // namespace fabricsim::scenario
