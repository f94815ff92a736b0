// Fabric construction and counter aggregation.
#include "models/fabric.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace fabricsim::models {

namespace {
// Delivers a packet header sent from another partition into this partition's pool.
class PoolAdopter final : public sim::PayloadAdopter {
 public:
  explicit PoolAdopter(PacketPool& pool) : pool_(&pool) {}
  std::uint64_t adopt(
      const std::array<std::byte, sim::RemoteEvent::kPayloadBytes>& bytes) override {
    Packet* p = pool_->alloc();
    std::memcpy(static_cast<void*>(p), bytes.data(), sizeof(Packet));
    p->next = nullptr;
    return reinterpret_cast<std::uint64_t>(p);
  }

 private:
  PacketPool* pool_;
};
}  // namespace

Fabric::Fabric(sim::Simulator& sim) : sim_(&sim) {
  pools_.push_back(std::make_unique<PacketPool>());
}

void Fabric::set_partitions(sim::ParallelEngine& engine,
                            std::vector<std::uint32_t> switch_partition,
                            std::vector<std::uint32_t> nic_partition) {
  if (!switches_.empty() || !nics_.empty()) {
    throw std::logic_error("Fabric::set_partitions: call it before adding nodes");
  }
  const auto parts = static_cast<std::uint32_t>(engine.size());
  for (const auto* v : {&switch_partition, &nic_partition}) {
    for (const std::uint32_t p : *v) {
      if (p >= parts) {
        throw std::invalid_argument(
            fmt::format("Fabric::set_partitions: partition {} of {}", p, parts));
      }
    }
  }
  engine_ = &engine;
  sim_ = &engine.simulator(0);
  switch_part_ = std::move(switch_partition);
  nic_part_ = std::move(nic_partition);
  pools_.clear();
  adopters_.clear();
  part_flows_.assign(parts, {});
  for (std::uint32_t p = 0; p < parts; ++p) {
    pools_.push_back(std::make_unique<PacketPool>());
    adopters_.push_back(std::make_unique<PoolAdopter>(*pools_.back()));
    engine.partition(p).adopter = adopters_.back().get();
  }
}

sim::Simulator& Fabric::sim_of_switch(std::uint32_t s) const {
  if (engine_ == nullptr) return *sim_;
  if (s >= switch_part_.size()) {
    throw std::out_of_range(fmt::format("switch {} has no partition", s));
  }
  return engine_->simulator(switch_part_[s]);
}

sim::Simulator& Fabric::sim_of_nic(EndpointId e) const {
  if (engine_ == nullptr) return *sim_;
  if (e >= nic_part_.size()) throw std::out_of_range(fmt::format("NIC {} has no partition", e));
  return engine_->simulator(nic_part_[e]);
}

void Fabric::run_only_partition(std::uint32_t p) {
  if (p >= partition_count()) {
    throw std::invalid_argument(fmt::format("Fabric::run_only_partition: no partition {}", p));
  }
  only_partition_ = p;
  for (EndpointId e = 0; e < nic_count(); ++e) {
    if (nic_partition(e) != p) nics_[e]->keep_qp_numbers_only();
  }
}

void Fabric::merge_flow_logs() {
  if (engine_ == nullptr) return;
  flows_.clear();
  for (const auto& log : part_flows_)
    flows_.insert(flows_.end(), log.begin(), log.end());
  // Ties never repeat across partitions (a tie key names its component); within one event the
  // records keep the order they were logged in.
  std::stable_sort(flows_.begin(), flows_.end(), [](const FlowRecord& a, const FlowRecord& b) {
    return a.end != b.end ? a.end < b.end : a.tie < b.tie;
  });
}

Fabric::~Fabric() = default;

std::uint32_t Fabric::add_switch(std::uint16_t ports, const SwitchParams& params, std::uint8_t tier,
                                 std::uint8_t plane) {
  const auto index = static_cast<std::uint32_t>(switches_.size());
  const std::uint32_t part = switch_partition(index);
  while (plane_count() <= plane) {
    plane_attachments_.push_back(std::make_unique<std::vector<Attachment>>(attachments_.size()));
  }
  switches_.push_back(std::make_unique<Switch>(sim_of_switch(index), *pools_[part],
                                               attachments(plane), index, ports, params, tier));
  switch_plane_.push_back(plane);
  port_level_.emplace_back(ports, static_cast<std::uint8_t>(LinkLevel::kCount));
  edge_index_of_switch_.push_back(kNoSwitch);
  return index;
}

EndpointId Fabric::add_nic(const NicParams& params, std::uint16_t ports) {
  const auto id = static_cast<EndpointId>(nics_.size());
  const std::uint32_t part = nic_partition(id);
  nic_storage_.push_back(
      std::make_unique<Nic>(sim_of_nic(id), *pools_[part], id, params, nics_, ports));
  nics_.push_back(nic_storage_.back().get());
  nics_.back()->set_flow_log(engine_ == nullptr ? &flows_ : &part_flows_[part]);
  attachments_.emplace_back();
  for (const auto& plane : plane_attachments_)
    plane->emplace_back();
  return id;
}

Node& Fabric::node(NodeRef ref) {
  if (ref.kind == NodeRef::Kind::kSwitch) {
    if (ref.index >= switches_.size())
      throw std::out_of_range(fmt::format("no switch {}", ref.index));
    return *switches_[ref.index];
  }
  if (ref.index >= nics_.size()) throw std::out_of_range(fmt::format("no NIC {}", ref.index));
  return *nics_[ref.index];
}

Port& Fabric::network_port(NodeRef ref, std::uint16_t port) {
  if (ref.kind == NodeRef::Kind::kNic) {
    if (PcieStage* stage = pcie(ref.index); stage != nullptr) {
      return stage->port(PcieStage::kNetworkSide);
    }
  }
  Node& n = node(ref);
  if (port >= n.port_count()) throw std::out_of_range(fmt::format("no port {}", port));
  return n.port(port);
}

void Fabric::add_pcie(EndpointId nic, const GpuParams& gpu) {
  if (gpu.pcie_rate_bps == 0) return;
  if (nic >= nics_.size()) throw std::out_of_range(fmt::format("add_pcie: no NIC {}", nic));
  if (nics_[nic]->port_count() != 1) {
    throw std::invalid_argument(
        fmt::format("add_pcie: NIC {} has {} ports; a PCIe stage serves a single-port NIC", nic,
                    nics_[nic]->port_count()));
  }
  if (nics_[nic]->port(0).connected() || pcie(nic) != nullptr) {
    throw std::logic_error(fmt::format("add_pcie: NIC {} is already connected", nic));
  }
  if (pcie_.size() <= nic) pcie_.resize(nic + 1);
  pcie_[nic] = std::make_unique<PcieStage>(sim_of_nic(nic), *pools_[nic_partition(nic)],
                                           gpu.pcie_buffer_bytes);
  pcie_[nic]->link.type = LinkType::kPcie;
  pcie_[nic]->link.rate_bps = gpu.pcie_rate_bps;
  pcie_[nic]->link.delay = gpu.pcie_delay;
}

void Fabric::connect(NodeRef a, std::uint16_t port_a, NodeRef b, std::uint16_t port_b,
                     const LinkParams& link) {
  // A NIC behind a PCIe stage reaches the network through the stage's network side.
  const auto through_pcie = [this, &link](NodeRef r, std::uint16_t& port) -> Node& {
    PcieStage* stage = r.kind == NodeRef::Kind::kNic ? pcie(r.index) : nullptr;
    if (stage == nullptr) return node(r);
    // Wire NIC <-> stage first, with the network's MTU: the NIC segments to its port's MTU.
    if (!stage->port(PcieStage::kNicSide).connected()) {
      stage->link.mtu_bytes = link.mtu_bytes;
      nics_[r.index]->port(0).attach(*stage, PcieStage::kNicSide, stage->link,
                                     0x9C1E'0000U + r.index);
      stage->port(PcieStage::kNicSide)
          .attach(*nics_[r.index], 0, stage->link, 0x9C1F'0000U + r.index);
    }
    port = PcieStage::kNetworkSide;
    return *stage;
  };
  Node& na = through_pcie(a, port_a);
  Node& nb = through_pcie(b, port_b);
  if (port_a >= na.port_count() || port_b >= nb.port_count()) {
    throw std::out_of_range(fmt::format("connect: port {} or {} does not exist", port_a, port_b));
  }
  if (na.port(port_a).connected() || nb.port(port_b).connected()) {
    throw std::logic_error(
        fmt::format("connect: port {} or {} is already connected", port_a, port_b));
  }
  const auto seed = static_cast<std::uint32_t>(links_);
  na.port(port_a).attach(nb, port_b, link, 2 * seed);
  nb.port(port_b).attach(na, port_a, link, 2 * seed + 1);
  const std::uint32_t part_a = partition_of(a);
  const std::uint32_t part_b = partition_of(b);
  if (part_a != part_b) {
    if (link.delay <= sim::Time::zero()) {
      throw std::invalid_argument(
          fmt::format("connect: a link between partitions {} and {} has no delay (no lookahead)",
                      part_a, part_b));
    }
    na.port(port_a).set_remote(&engine_->partition(part_a).outboxes[part_b]);
    nb.port(port_b).set_remote(&engine_->partition(part_b).outboxes[part_a]);
    min_cut_delay_ = std::min(min_cut_delay_, link.delay);
    ++cut_links_;
  }
  if (a.kind == NodeRef::Kind::kSwitch) switches_[a.index]->port_attached(port_a);
  if (b.kind == NodeRef::Kind::kSwitch) switches_[b.index]->port_attached(port_b);
  if (a.kind == NodeRef::Kind::kSwitch && b.kind == NodeRef::Kind::kSwitch) {
    const auto level = [](std::uint8_t from, std::uint8_t to) {
      LinkLevel l = LinkLevel::kLateral;
      if (from == 0 && to == 1) l = LinkLevel::kLeafUp;
      if (from == 1 && to == 0) l = LinkLevel::kSpineDown;
      if (from == 1 && to == 2) l = LinkLevel::kSpineUp;
      if (from == 2 && to == 1) l = LinkLevel::kCoreDown;
      return static_cast<std::uint8_t>(l);
    };
    const std::uint8_t ta = switches_[a.index]->tier();
    const std::uint8_t tb = switches_[b.index]->tier();
    port_level_[a.index][port_a] = level(ta, tb);
    port_level_[b.index][port_b] = level(tb, ta);
  }
  ++links_;
}

void Fabric::set_endpoint_attachment(EndpointId endpoint, std::uint32_t edge_switch,
                                     std::uint16_t port) {
  if (endpoint >= attachments_.size() || edge_switch >= switches_.size()) {
    throw std::out_of_range(
        fmt::format("attachment of endpoint {} to switch {}: no such node", endpoint, edge_switch));
  }
  std::uint32_t& edge = edge_index_of_switch_[edge_switch];
  if (edge == kNoSwitch) {
    edge = static_cast<std::uint32_t>(edge_switches_.size());
    edge_switches_.push_back(edge_switch);
  }
  const std::uint8_t plane = switch_plane_[edge_switch];
  (plane == 0 ? attachments_ : *plane_attachments_[plane - 1U])[endpoint] =
      Attachment{edge_switch, edge, port};
}

std::uint32_t Fabric::edge_index(std::uint32_t switch_index) const {
  return switch_index < edge_index_of_switch_.size() ? edge_index_of_switch_[switch_index]
                                                     : kNoSwitch;
}

void Fabric::set_routes(std::uint32_t switch_index, std::vector<std::uint16_t> group_of_edge,
                        const std::vector<std::vector<std::uint16_t>>& groups) {
  switches_.at(switch_index)->set_routes(std::move(group_of_edge), groups);
}

void Fabric::set_observer(MessageObserver* observer) {
  for (Nic* n : nics_)
    n->set_observer(observer);
  for (const auto& d : domains_)
    d->set_observer(observer);
  observer_ = observer;
}

void Fabric::set_nvls_observer(NvlsObserver* observer) {
  for (const auto& d : domains_)
    d->set_nvls_observer(observer);
  nvls_observer_ = observer;
}

std::uint32_t Fabric::add_nvlink_domain(const NvlinkParams& params, std::vector<EndpointId> gpus) {
  const auto index = static_cast<std::uint32_t>(domains_.size());
  for (std::uint32_t i = 0; i < gpus.size(); ++i) {
    const EndpointId g = gpus[i];
    if (g < domain_of_.size() && domain_of_[g] != kNoDomain) {
      throw std::logic_error(
          fmt::format("GPU {} is already in NVLink domain {}", g, domain_of_[g]));
    }
    if (domain_of_.size() <= g) {
      domain_of_.resize(g + 1, kNoDomain);
      local_of_.resize(g + 1, 0);
    }
    domain_of_[g] = index;
    local_of_[g] = i;
  }
  std::uint32_t part = 0;
  if (engine_ != nullptr && !gpus.empty()) {
    part = nic_partition(gpus.front());
    for (const EndpointId g : gpus) {
      if (nic_partition(g) != part) {
        throw std::logic_error(
            fmt::format("NVLink domain {}: GPUs {} and {} are in different partitions", index,
                        gpus.front(), g));
      }
    }
  }
  sim::Simulator& dsim = engine_ == nullptr ? *sim_ : engine_->simulator(part);
  domains_.push_back(std::make_unique<NvlinkDomain>(dsim, *pools_[part], params, std::move(gpus)));
  domains_.back()->set_observer(observer_);
  domains_.back()->set_nvls_observer(nvls_observer_);
  return index;
}

MessageId Fabric::send_gpu_message(EndpointId src, EndpointId dst, std::uint64_t bytes,
                                   std::uint32_t channel, std::uint64_t cookie) {
  if (nvlink_path(src, dst)) {
    return domains_[nvlink_domain_of(src)]->send_message(local_of_[src], local_of_[dst], bytes,
                                                         cookie);
  }
  if (src >= nics_.size()) {
    throw std::invalid_argument(
        fmt::format("GPU {} has no NIC and GPU {} is not in its NVLink domain: no path", src, dst));
  }
  return nics_[src]->send_message(dst, bytes, channel, cookie);
}

void Fabric::post_nvls_allreduce(EndpointId gpu, std::uint64_t bytes, std::uint64_t cookie) {
  const std::uint32_t d = nvlink_domain_of(gpu);
  if (d == kNoDomain) {
    throw std::invalid_argument(fmt::format("NVLS all-reduce: GPU {} has no NVLink domain", gpu));
  }
  domains_[d]->post_nvls_allreduce(local_of_[gpu], bytes, cookie);
}

const char* link_level_name(LinkLevel level) {
  switch (level) {
    case LinkLevel::kLeafUp:
      return "leaf_up";
    case LinkLevel::kSpineDown:
      return "spine_down";
    case LinkLevel::kSpineUp:
      return "spine_up";
    case LinkLevel::kCoreDown:
      return "core_down";
    case LinkLevel::kLateral:
      return "lateral";
    case LinkLevel::kCount:
      break;
  }
  return "?";
}

FabricCounters Fabric::counters() const {
  FabricCounters c;
  auto add_port = [&c](const Port& p) {
    c.packet_hops += p.tx_packets();
    c.max_queue_bytes = std::max(c.max_queue_bytes, p.max_queue_bytes());
    c.drops_by_reason[static_cast<std::size_t>(DropReason::kLinkLoss)] += p.lost_packets();
    if (const PortFault* f = p.fault(); f != nullptr) [[unlikely]] {
      c.drops_by_reason[static_cast<std::size_t>(DropReason::kBlackHole)] +=
          f->counters.blackholed_packets;
      c.drops_by_reason[static_cast<std::size_t>(DropReason::kLinkDown)] +=
          f->counters.refused_packets;
      c.fault_lost_bytes += f->counters.blackholed_bytes + f->counters.refused_bytes;
      c.link_failures += f->counters.failures;
    }
  };
  for (std::uint32_t k = 0; k < switches_.size(); ++k) {
    // Distributed runs: another process counts the switches of the partitions it runs.
    if (!runs_partition(switch_partition(k))) continue;
    const Switch* sw = switches_[k].get();
    for (std::uint16_t i = 0; i < sw->port_count(); ++i) {
      const Port& p = sw->port(i);
      add_port(p);
      const std::uint8_t level = port_level_[k][i];
      if (level < c.link_load.size()) {
        LinkLoad& l = c.link_load[level];
        l.sum_bytes += p.tx_bytes();
        l.max_bytes = std::max(l.max_bytes, p.tx_bytes());
        ++l.links;
      }
    }
    const SwitchCounters& s = sw->counters();
    c.trims += s.trims;
    c.plane_trims[std::min<std::size_t>(switch_plane_[k], kMaxPlanes - 1)] += s.trims;
    for (std::size_t r = 0; r < s.drops.size(); ++r)
      c.drops_by_reason[r] += s.drops[r];
    c.ecn_marks += s.ecn_marks;
    c.pfc_pause_frames += s.pause_frames;
    c.pfc_resume_frames += s.resume_frames;
  }
  for (const auto& stage : pcie_) {
    if (stage == nullptr) continue;
    add_port(stage->port(PcieStage::kNicSide));
    add_port(stage->port(PcieStage::kNetworkSide));
  }
  for (const Nic* n : nics_) {
    for (std::uint16_t i = 0; i < n->port_count(); ++i) {
      add_port(n->port_at(i));
      c.plane_tx_bytes[std::min<std::size_t>(i, kMaxPlanes - 1)] += n->port_at(i).tx_bytes();
    }
    const NicCounters& k = n->counters();
    c.nacks += k.nacks_received;
    c.packet_timeouts += k.packet_timeouts;
    if (n->params().transport == NicTransport::kMrc) {
      const EvCounters ev = n->ev_counters();
      c.ev_swaps += ev.swaps;
      c.ev_retirements += ev.retirements;
      c.ev_probes += ev.probes;
      c.ev_revivals += ev.revivals;
    }
    c.packets_delivered += k.packets_received;
    c.retransmissions += k.retransmissions;
    c.timeouts += k.timeouts;
    c.cnps += k.cnps_sent;
    c.bytes_delivered += k.bytes_delivered;
    c.messages_completed += k.messages_sent;
    c.qp_errors += k.qp_errors;
  }
  for (const auto& d : domains_) {
    for (std::uint32_t g = 0; g < d->size(); ++g) {
      const NvlinkGpu& gpu = d->gpu(g);
      for (std::uint16_t i = 0; i < gpu.port_count(); ++i)
        add_port(gpu.port(i));
    }
    for (std::uint32_t k = 0; k < d->switch_count(); ++k) {
      const NvSwitch& chip = d->nvswitch(k);
      for (std::uint16_t i = 0; i < chip.port_count(); ++i)
        add_port(chip.port(i));
    }
    c.packets_delivered += d->packets_delivered();
    c.bytes_delivered += d->bytes_delivered();
    c.messages_completed += d->messages_completed();
  }
  for (const std::uint64_t d : c.drops_by_reason)
    c.drops += d;
  return c;
}

std::vector<QpErrorRecord> Fabric::qp_errors() const {
  std::vector<QpErrorRecord> all;
  for (const Nic* n : nics_) {
    if (n != nullptr) all.insert(all.end(), n->qp_errors().begin(), n->qp_errors().end());
  }
  std::sort(all.begin(), all.end(), qp_error_before);
  return all;
}

}  // namespace fabricsim::models
