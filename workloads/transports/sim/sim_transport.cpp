// The `sim` transport (see sim_transport.hpp).
#include "workloads/transports/sim/sim_transport.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "workloads/schedule.hpp"

namespace fabricsim::workloads {
namespace {

// NIC message cookies of this transport carry this bit, so that traffic started by others on
// the same fabric passes through the observer untouched.
constexpr std::uint64_t kOwnCookie = std::uint64_t{1} << 63;
// Event argument: kind in the high half, slab index in the low half.
constexpr std::uint64_t kCompletionEvent = 0;
constexpr std::uint64_t kStartEvent = 1;
constexpr std::uint64_t kNvlinkArrivalEvent = 2;
constexpr std::uint64_t kGroupPostEvent = 3;   // a member's NVLS part after its step latency
constexpr std::uint64_t kFluidGroupEvent = 4;  // a fluid group reduce whose members are ready
std::uint64_t event_arg(std::uint64_t kind, std::uint32_t index) {
  return kind << 32 | index;
}

sim::Time transfer_time(std::uint64_t bytes, std::uint64_t rate_bps) {
  if (rate_bps == 0) return sim::Time::zero();
  return sim::serialization_time(bytes, rate_bps);
}

// Message cookies: kOwnCookie | the tag's channel and tag space | the sender's slab index.
constexpr std::uint64_t kSequenceMask = (std::uint64_t{1} << kTagSequenceBits) - 1;
std::uint64_t tag_high(std::uint64_t tag) {
  return tag & ~kSequenceMask;
}

}  // namespace

class SimNetwork::GpuAgent final : public sim::Component {
 public:
  GpuAgent(sim::Simulator& sim, SimNetwork& network, models::EndpointId gpu)
      : Component(sim), network_(&network), gpu_(gpu) {}
  models::EndpointId gpu() const { return gpu_; }
  void at(sim::Time t, std::uint64_t arg) { schedule_at(t, *this, arg); }
  void on_event(std::uint64_t arg) override { network_->on_gpu_event(*this, arg); }

 private:
  SimNetwork* network_;
  models::EndpointId gpu_;
};

std::size_t SimNetwork::StreamKeyHash::operator()(const StreamKey& k) const noexcept {
  std::uint64_t h = (static_cast<std::uint64_t>(k.src) << 32 | k.dst) * 0x9E3779B97F4A7C15ULL;
  h ^= (k.tag_high >> kTagSpaceShift) * 0xC2B2AE3D27D4EB4FULL;
  return static_cast<std::size_t>(h ^ (h >> 29));
}

SimNetwork::Stream& SimNetwork::stream(Shard& shard, models::EndpointId src, models::EndpointId dst,
                                       std::uint64_t high) {
  const auto [it, inserted] = shard.stream_of.try_emplace(
      StreamKey{src, dst, high}, static_cast<std::uint32_t>(shard.streams.size()));
  if (inserted) shard.streams.emplace_back();
  return shard.streams[it->second];
}

namespace {
// Drops the consumed prefix of a FIFO kept in a vector once it is half the vector.
template <class T>
void compact(std::vector<T>& fifo, std::uint32_t& head) {
  if (head == fifo.size()) {
    fifo.clear();
    head = 0;
  } else if (head > 64 && head * 2 > fifo.size()) {
    fifo.erase(fifo.begin(), fifo.begin() + head);
    head = 0;
  }
}
}  // namespace

SimNetwork::SimNetwork(models::Fabric& fabric, const models::GpuParams& gpu)
    : fabric_(&fabric), gpu_(gpu), engine_free_at_(fabric.nic_count(), sim::Time::zero()) {
  for (std::uint32_t p = 0; p < fabric.partition_count(); ++p)
    shards_.push_back(std::make_unique<Shard>(fabric.partition_simulator(p)));
  for (models::EndpointId e = 0; e < fabric.nic_count(); ++e)
    agents_.emplace_back(fabric.partition_simulator(fabric.nic_partition(e)), *this, e);
  fabric.set_observer(this);
  fabric.set_nvls_observer(this);
}

SimNetwork::~SimNetwork() {
  fabric_->set_observer(nullptr);
  fabric_->set_nvls_observer(nullptr);
}

SimTransportCounters SimNetwork::counters() const {
  SimTransportCounters sum;
  for (const auto& shard : shards_)
    sum += shard->counters;
  return sum;
}

std::size_t SimNetwork::unmatched() const {
  std::size_t sum = 0;
  for (const auto& shard : shards_)
    sum += shard->unmatched;
  return sum;
}

std::size_t SimNetwork::GroupKeyHash::operator()(const GroupKey& k) const noexcept {
  std::uint64_t h = (static_cast<std::uint64_t>(k.first) << 32 | k.group) * 0x9E3779B97F4A7C15ULL;
  h ^= k.tag * 0xC2B2AE3D27D4EB4FULL;
  return static_cast<std::size_t>(h ^ (h >> 29));
}

std::string SimNetwork::group_reduce_problem(std::span<const models::EndpointId> gpus) const {
  if (gpus.size() < 2) return "a group reduce needs at least two GPUs";
  if (!gpu_.nccl.nvls) {
    return "these GPUs have no NVLink SHARP (gpu.nccl.nvls is false: their NVSwitches cannot "
           "reduce, as on A100)";
  }
  const models::EndpointId first = gpus[0];
  if (fabric_->nvlink_domain_count() > 0) {
    const std::uint32_t d = fabric_->nvlink_domain_of(first);
    if (d == models::Fabric::kNoDomain) {
      return fmt::format("GPU {} is in no NVLink domain, so it has no in-switch reduction", first);
    }
    for (const models::EndpointId g : gpus) {
      if (fabric_->nvlink_domain_of(g) != d) {
        return fmt::format(
            "GPUs {} and {} are not in one NVLink domain; in-switch reduction works inside one",
            first, g);
      }
    }
    const std::uint32_t size = fabric_->nvlink_domain(d).size();
    if (gpus.size() != size) {
      return fmt::format(
          "the group has {} of the {} GPUs of NVLink domain {}; the simulated in-switch "
          "all-reduce (models/nvlink) takes every GPU of its domain",
          gpus.size(), size, d);
    }
    return {};
  }
  if (nvlink_.gpus_per_domain > 1) {
    for (const models::EndpointId g : gpus) {
      if (g / nvlink_.gpus_per_domain != first / nvlink_.gpus_per_domain) {
        return fmt::format(
            "GPUs {} and {} are not in one NVLink domain (of {} GPUs); in-switch reduction works "
            "inside one",
            first, g, nvlink_.gpus_per_domain);
      }
    }
    return {};
  }
  return "the fabric has no NVLink domain, so there is no in-switch reduction";
}

void SimNetwork::post_group_reduce(models::EndpointId gpu, std::span<const models::EndpointId> gpus,
                                   std::uint32_t group, std::uint64_t payload_bytes,
                                   std::uint64_t tag, CompletionListener& listener,
                                   std::uint64_t cookie, double nvls_factor) {
  const std::uint64_t bytes =
      nvls_factor == 1.0
          ? payload_bytes
          : static_cast<std::uint64_t>(std::ceil(static_cast<double>(payload_bytes) * nvls_factor));
  Shard& shard = shard_of(gpu);
  const auto [it, inserted] = shard.open_groups.try_emplace(GroupKey{gpus[0], group, tag}, 0);
  if (inserted) {
    std::string problem = group_reduce_problem(gpus);
    if (!problem.empty()) {
      shard.open_groups.erase(it);
      throw std::invalid_argument("sim transport: group reduce: " + problem);
    }
    if (shard.free_group_ops.empty()) {
      it->second = static_cast<std::uint32_t>(shard.group_ops.size());
      shard.group_ops.emplace_back();
    } else {
      it->second = shard.free_group_ops.back();
      shard.free_group_ops.pop_back();
    }
    GroupOp& g = shard.group_ops[it->second];
    g.bytes = bytes;
    g.posted = 0;
    g.done = 0;
    g.in_switch = fabric_->nvlink_domain_count() > 0;
    g.ready = shard.sim->now();
    g.gpus.assign(gpus.begin(), gpus.end());
    g.waiting.assign(g.in_switch ? fabric_->nvlink_domain(fabric_->nvlink_domain_of(gpus[0])).size()
                                 : gpus.size(),
                     Completion{});
  }
  const std::uint32_t slot = it->second;
  GroupOp& g = shard.group_ops[slot];
  if (g.bytes != bytes) {
    throw std::invalid_argument(fmt::format(
        "sim transport: group reduce {} (tag {:#x}): GPU {} posted {} bytes, the first member {}",
        group, tag, gpu, bytes, g.bytes));
  }
  std::size_t position = 0;
  if (g.in_switch) {
    position = fabric_->nvlink_local_index(gpu);
  } else {
    position =
        static_cast<std::size_t>(std::find(g.gpus.begin(), g.gpus.end(), gpu) - g.gpus.begin());
  }
  if (position >= g.waiting.size() || g.waiting[position].listener != nullptr) {
    throw std::logic_error(fmt::format(
        "sim transport: group reduce {} (tag {:#x}): GPU {} is no member or posted twice", group,
        tag, gpu));
  }
  g.waiting[position] = Completion{&listener, cookie};
  const bool last = ++g.posted == g.gpus.size();
  if (last) shard.open_groups.erase(it);
  const sim::Time now = shard.sim->now();
  const sim::Time ready =
      slowdowns_.empty() ? now + gpu_.step_latency : slowdowns_[gpu].end_of(now, gpu_.step_latency);
  if (g.in_switch) {
    // Each member pushes its part into the switches when its step latency has passed.
    if (ready > now) {
      agents_[gpu].at(ready,
                      event_arg(kGroupPostEvent, shard.group_posts.add(GroupPost{gpu, slot})));
    } else {
      fabric_->post_nvls_allreduce(gpu, bytes, kOwnCookie | slot);
    }
    return;
  }
  g.ready = std::max(g.ready, ready);
  if (!last) return;
  if (g.ready > now) {
    agents_[gpu].at(g.ready, event_arg(kFluidGroupEvent, slot));
  } else {
    start_fluid_group(shard, slot);
  }
}

void SimNetwork::start_group_post(Shard& shard, std::uint32_t index) {
  const GroupPost post = shard.group_posts.take(index);
  fabric_->post_nvls_allreduce(post.gpu, shard.group_ops[post.op].bytes, kOwnCookie | post.op);
}

// Every member is ready: the in-switch all-reduce holds every member's NVLink egress (its S
// bytes to the switch) and ingress (the S-byte sum back) for S / B, then lands after the
// latency: T = S/B + a, as in the simulated domain (models/nvlink/domain.hpp).
void SimNetwork::start_fluid_group(Shard& shard, std::uint32_t slot) {
  GroupOp& g = shard.group_ops[slot];
  sim::Time start = shard.sim->now();
  for (const models::EndpointId gpu : g.gpus)
    start = std::max({start, nvlink_tx_free_at_[gpu], nvlink_rx_free_at_[gpu]});
  const sim::Time drained = start + transfer_time(g.bytes, nvlink_.rate_bps);
  for (const models::EndpointId gpu : g.gpus) {
    nvlink_tx_free_at_[gpu] = drained;
    nvlink_rx_free_at_[gpu] = drained;
  }
  ++shard.counters.group_reductions;
  shard.counters.group_bytes += g.bytes;
  for (std::size_t i = 0; i < g.gpus.size(); ++i)
    complete_at(g.gpus[i], drained + nvlink_.latency, *g.waiting[i].listener, g.waiting[i].cookie);
  shard.free_group_ops.push_back(slot);
}

void SimNetwork::on_nvls_allreduce_done(models::EndpointId gpu, std::uint64_t cookie, sim::Time) {
  if ((cookie & kOwnCookie) == 0) return;
  Shard& shard = shard_of(gpu);
  const auto slot = static_cast<std::uint32_t>(cookie & ~kOwnCookie);
  GroupOp& g = shard.group_ops[slot];
  const Completion c = g.waiting[fabric_->nvlink_local_index(gpu)];
  if (++g.done == g.waiting.size()) {
    ++shard.counters.group_reductions;
    shard.counters.group_bytes += g.bytes;
    shard.free_group_ops.push_back(slot);
  }
  deliver(shard, gpu, *c.listener, c.cookie);  // may post more group reduces (and reuse the slot)
}

void SimNetwork::complete_at(models::EndpointId gpu, sim::Time at, CompletionListener& listener,
                             std::uint64_t cookie) {
  if (!slowdowns_.empty()) at = slowdowns_[gpu].heard(at);
  agents_[gpu].at(at,
                  event_arg(kCompletionEvent, shard_of(gpu).completions.add({&listener, cookie})));
}

void SimNetwork::deliver(Shard& shard, models::EndpointId gpu, CompletionListener& listener,
                         std::uint64_t cookie) {
  if (!slowdowns_.empty()) {
    const sim::Time now = shard.sim->now();
    if (slowdowns_[gpu].heard(now) != now) {
      complete_at(gpu, now, listener, cookie);  // at the stall's end
      return;
    }
  }
  listener.on_complete(cookie);
}

void SimNetwork::set_slowdown(models::EndpointId gpu, const GpuSlowdown& slowdown) {
  if (gpu >= engine_free_at_.size()) {
    throw std::invalid_argument(
        fmt::format("sim transport: a slowdown for GPU {} of {}", gpu, engine_free_at_.size()));
  }
  if (slowdowns_.empty()) slowdowns_.resize(engine_free_at_.size());
  slowdowns_[gpu] = slowdown;
  const auto at = std::lower_bound(slowed_.begin(), slowed_.end(), gpu);
  if (at == slowed_.end() || *at != gpu) slowed_.insert(at, gpu);
}

void SimNetwork::post_send(models::EndpointId src, models::EndpointId dst, std::uint64_t bytes,
                           std::uint64_t tag, CompletionListener& listener, std::uint64_t cookie,
                           const SendCosts* costs) {
  if (src == dst) {
    throw std::logic_error(
        fmt::format("sim transport: GPU {} sends to itself (tag {:#x})", src, tag));
  }
  if ((tag & kOwnCookie) != 0) {
    throw std::logic_error(fmt::format(
        "sim transport: tag {:#x}: channel {} is beyond the 32768 the message cookie can name", tag,
        tag_channel(tag)));
  }
  Shard& shard = shard_of(src);
  sim::Time delay = gpu_.step_latency;
  std::uint64_t wire_bytes = bytes;
  if (costs != nullptr) {
    const bool nvlink = over_nvlink(src, dst);
    const double factor = nvlink ? costs->nvlink_factor : costs->net_factor;
    wire_bytes = static_cast<std::uint64_t>(std::ceil(static_cast<double>(bytes) * factor));
    delay += nvlink ? costs->nvlink_latency : costs->net_latency;
  }
  if (!slowdowns_.empty()) {
    const sim::Time now = shard.sim->now();
    delay = slowdowns_[src].end_of(now, delay) - now;
  }
  const std::uint32_t index =
      shard.messages.add(Message{src, dst, tag, wire_bytes, &listener, cookie});
  if (delay > sim::Time::zero()) {
    agents_[src].at(shard.sim->now() + delay, event_arg(kStartEvent, index));
  } else {
    start_message(shard, index);
  }
}

void SimNetwork::set_nvlink(const NvlinkModel& nvlink) {
  if (nvlink.gpus_per_domain == 0) throw std::invalid_argument("NVLink domains of 0 GPUs");
  // A fluid transfer lands on the receiver's partition at once: a domain must not be split.
  for (models::EndpointId e = 0; e < engine_free_at_.size(); ++e) {
    const models::EndpointId first = e - e % nvlink.gpus_per_domain;
    if (partition_of(e) != partition_of(first)) {
      throw std::logic_error(fmt::format(
          "sim transport: NVLink domain of GPUs {}..{} is split between partitions {} and {}",
          first, first + nvlink.gpus_per_domain - 1, partition_of(first), partition_of(e)));
    }
  }
  nvlink_ = nvlink;
  nvlink_tx_free_at_.assign(engine_free_at_.size(), sim::Time::zero());
  nvlink_rx_free_at_.assign(engine_free_at_.size(), sim::Time::zero());
}

bool SimNetwork::fluid_nvlink(models::EndpointId src, models::EndpointId dst) const {
  return nvlink_.gpus_per_domain > 1 &&
         src / nvlink_.gpus_per_domain == dst / nvlink_.gpus_per_domain;
}

void SimNetwork::connect(models::EndpointId src, models::EndpointId dst, std::uint32_t channel) {
  if (src == dst || fluid_nvlink(src, dst) || fabric_->nvlink_path(src, dst)) return;
  fabric_->nic(src).connect_qp(dst, channel);
}

void SimNetwork::start_message(Shard& shard, std::uint32_t index) {
  const Message& m = shard.messages[index];
  ++shard.counters.messages;
  shard.counters.bytes_sent += m.bytes;
  if (fluid_nvlink(m.src, m.dst)) {
    start_nvlink(shard, index);
    return;
  }
  // NVLink (a simulated domain) or PCIe + NIC + network, as the fabric routes GPU traffic.
  fabric_->send_gpu_message(m.src, m.dst, m.bytes, tag_channel(m.tag),
                            kOwnCookie | tag_high(m.tag) | index);
}

void SimNetwork::start_nvlink(Shard& shard, std::uint32_t index) {
  const Message& m = shard.messages[index];
  ++shard.counters.nvlink_messages;
  shard.counters.nvlink_bytes += m.bytes;
  // The source's egress and the destination's ingress are two stages the bytes stream through
  // (the NVSwitch between them is non-blocking): the message leaves the egress when the
  // egress has sent everything queued before it, and is in when the ingress has taken it too,
  // no earlier than it left. Holding both ports for one common interval instead would make
  // many-to-many traffic wait for gaps that line up on both ends.
  const sim::Time duration = transfer_time(m.bytes, nvlink_.rate_bps);
  const sim::Time sent_at = std::max(shard.sim->now(), nvlink_tx_free_at_[m.src]) + duration;
  const sim::Time drained = std::max(sent_at, nvlink_rx_free_at_[m.dst] + duration);
  nvlink_tx_free_at_[m.src] = sent_at;
  nvlink_rx_free_at_[m.dst] = drained;
  agents_[m.src].at(drained + nvlink_.latency, event_arg(kNvlinkArrivalEvent, index));
}

void SimNetwork::post_recv(models::EndpointId dst, models::EndpointId src, std::uint64_t tag,
                           CompletionListener& listener, std::uint64_t cookie) {
  Shard& shard = shard_of(dst);
  Stream& st = stream(shard, src, dst, tag_high(tag));
  const std::uint64_t sequence = tag_sequence(tag);
  // Receives of a stream come in sequence order; sequence 0 starts the next iteration.
  if (sequence != st.next_sequence && sequence != 0) {
    throw std::logic_error(fmt::format(
        "sim transport: GPU {} posted the receive of message {} from GPU {} (tag {:#x}) "
        "where message {} is due: receives out of sequence order",
        dst, sequence, src, tag, st.next_sequence));
  }
  st.next_sequence = static_cast<std::uint32_t>(sequence + 1);
  if (st.arrived > 0) {
    --st.arrived;
    --shard.unmatched;
    complete_at(dst, shard.sim->now(), listener, cookie);  // it arrived before the receive
    return;
  }
  st.posted.push_back(PostedRecv{&listener, cookie});
  ++shard.unmatched;
}

void SimNetwork::post_compute(models::EndpointId gpu, std::uint64_t bytes, bool reduce,
                              CompletionListener& listener, std::uint64_t cookie) {
  Shard& shard = shard_of(gpu);
  const sim::Time now = shard.sim->now();
  const sim::Time duration =
      transfer_time(bytes, reduce ? gpu_.reduce_bandwidth_bps : gpu_.copy_bandwidth_bps);
  sim::Time end;
  if (slowdowns_.empty()) {
    end = std::max(now + gpu_.step_latency, engine_free_at_[gpu]) + duration;
  } else {
    // A straggler: its step latency and the work pause for its stall; reductions are slower.
    const GpuSlowdown& slow = slowdowns_[gpu];
    const sim::Time start = std::max(slow.end_of(now, gpu_.step_latency), engine_free_at_[gpu]);
    end = slow.end_of(start, duration, reduce ? slow.reduce_factor : 1.0);
  }
  engine_free_at_[gpu] = end;
  if (reduce) {
    ++shard.counters.reductions;
    shard.counters.bytes_reduced += bytes;
  } else {
    ++shard.counters.copies;
  }
  complete_at(gpu, end, listener, cookie);
}

// The sender's part of a message is over: tell its listener.
void SimNetwork::sent(Shard& shard, std::uint32_t index) {
  const Message m = shard.messages.take(index);
  deliver(shard, m.src, *m.listener, m.cookie);  // may post more messages (and grow the slab)
}

void SimNetwork::on_message_sent(models::EndpointId src, std::uint64_t cookie, sim::Time) {
  if ((cookie & kOwnCookie) == 0) return;
  sent(shard_of(src), static_cast<std::uint32_t>(cookie & kSequenceMask));
}

void SimNetwork::on_message_received(models::EndpointId dst, models::EndpointId src,
                                     std::uint64_t cookie, std::uint64_t /*bytes*/, sim::Time) {
  if ((cookie & kOwnCookie) == 0) return;
  arrive(shard_of(dst), src, dst, tag_high(cookie & ~kOwnCookie));
}

// A message of stream (src, dst, high) has fully arrived: complete the oldest receive posted,
// or count it until one is.
void SimNetwork::arrive(Shard& shard, models::EndpointId src, models::EndpointId dst,
                        std::uint64_t high) {
  Stream& st = stream(shard, src, dst, high);
  if (st.posted_head == st.posted.size()) {
    ++shard.counters.unexpected_arrivals;
    ++shard.unmatched;
    ++st.arrived;
    return;
  }
  const PostedRecv recv = st.posted[st.posted_head];
  ++st.posted_head;
  compact(st.posted, st.posted_head);
  --shard.unmatched;
  deliver(shard, dst, *recv.listener, recv.cookie);
}

void SimNetwork::on_gpu_event(GpuAgent& agent, std::uint64_t arg) {
  Shard& shard = shard_of(agent.gpu());
  const auto index = static_cast<std::uint32_t>(arg);
  switch (arg >> 32) {
    case kStartEvent:
      start_message(shard, index);
      return;
    case kGroupPostEvent:
      start_group_post(shard, index);
      return;
    case kFluidGroupEvent:
      start_fluid_group(shard, index);
      return;
    case kNvlinkArrivalEvent: {
      // NVLink writes are done when they land: the sender hears it with the receiver.
      const Message& m = shard.messages[index];
      arrive(shard_of(m.dst), m.src, m.dst, tag_high(m.tag));
      sent(shard, index);
      return;
    }
    default:
      break;
  }
  const Completion c = shard.completions.take(index);
  c.listener->on_complete(c.cookie);
}

// One rank's Transport: translates group ranks to GPUs and element counts to bytes.
class SimGroup::RankTransport final : public Transport {
 public:
  RankTransport(SimGroup& group, std::int32_t rank) : group_(&group), rank_(rank) {}

  std::int32_t rank() const override { return rank_; }
  void post_send(std::int32_t peer, MemRegion src, std::uint64_t tag, CompletionListener& listener,
                 std::uint64_t cookie) override {
    group_->network_->post_send(self(), group_->endpoint(peer), src.bytes, tag, listener, cookie,
                                group_->send_costs());
  }
  void post_recv(std::int32_t peer, MemRegion /*dst*/, std::uint64_t tag,
                 CompletionListener& listener, std::uint64_t cookie) override {
    group_->network_->post_recv(self(), group_->endpoint(peer), tag, listener, cookie);
  }
  void post_reduce(MemRegion dst, MemRegion, MemRegion, std::uint64_t, DataType, ReduceOp,
                   CompletionListener& listener, std::uint64_t cookie) override {
    group_->network_->post_compute(self(), dst.bytes, true, listener, cookie);
  }
  void post_copy(MemRegion dst, MemRegion, CompletionListener& listener,
                 std::uint64_t cookie) override {
    group_->network_->post_compute(self(), dst.bytes, false, listener, cookie);
  }
  void post_group_reduce(const RankGroup& group, MemRegion dst, MemRegion, std::uint64_t, DataType,
                         ReduceOp, std::uint64_t tag, CompletionListener& listener,
                         std::uint64_t cookie) override {
    group_->gpus_of(group.members, members_);
    // NCCL's NVLS all-reduce is a multimem load-reduce of each GPU's 1/n share followed by a
    // multicast store of it: every GPU sends S (1 + 1/n) and receives as much, where the
    // ideal in-switch model moves S each way.
    const SendCosts* costs = group_->send_costs();
    double factor = 1.0;
    if (costs != nullptr) {
      const auto n = static_cast<double>(group.members.size());
      factor = costs->nvls_factor * (n + 1.0) / n;
    }
    group_->network_->post_group_reduce(self(), members_, group.id, dst.bytes, tag, listener,
                                        cookie, factor);
  }

 private:
  models::EndpointId self() const { return group_->endpoint(rank_); }
  SimGroup* group_;
  std::int32_t rank_;
  std::vector<models::EndpointId> members_;  // this rank's own buffer (partitions run at once)
};

SimGroup::SimGroup(SimNetwork& network, std::vector<models::EndpointId> endpoints)
    : network_(&network), endpoints_(std::move(endpoints)) {
  transports_.reserve(endpoints_.size());
  for (std::size_t r = 0; r < endpoints_.size(); ++r) {
    transports_.push_back(std::make_unique<RankTransport>(*this, static_cast<std::int32_t>(r)));
  }
}

SimGroup::~SimGroup() = default;

void SimGroup::gpus_of(std::span<const std::int32_t> ranks,
                       std::vector<models::EndpointId>& out) const {
  out.clear();
  for (const std::int32_t r : ranks)
    out.push_back(endpoint(r));
}

std::string SimGroup::group_reduce_problem(const Schedule& schedule) const {
  if (schedule.groups.empty() && schedule.reduces_in_switch) {
    // With one rank per node nvls_ring has no in-node group and would run as a plain ring.
    return fmt::format(
        "{} all-reduce reduces inside NVLink switches, but no two of its {} ranks share a node "
        "(ranks per node {}), so there is no in-switch reduction: expected ranks on "
        "NVLink-connected GPUs, or ring",
        schedule.algorithm, schedule.nranks, schedule.ranks_per_node);
  }
  std::vector<models::EndpointId> gpus;
  for (std::size_t g = 0; g < schedule.groups.size(); ++g) {
    const std::vector<std::int32_t>& ranks = schedule.groups[g];
    gpus_of(ranks, gpus);
    std::string problem = network_->group_reduce_problem(gpus);
    if (problem.empty()) continue;
    return fmt::format(
        "{} all-reduce needs in-switch reduction over the GPUs of ranks {}..{} "
        "(GPUs {}..{}): {}",
        schedule.algorithm, ranks.front(), ranks.back(), gpus.front(), gpus.back(), problem);
  }
  return {};
}

void SimGroup::connect(const Schedule& schedule) {
  for (std::int32_t r = 0; r < schedule.nranks; ++r) {
    for (const Op& op : schedule.ranks[static_cast<std::size_t>(r)].ops) {
      if (has_send(op.kind)) network_->connect(endpoint(r), endpoint(send_target(op)), op.channel);
    }
  }
}

Transport& SimGroup::transport(std::int32_t rank) {
  return *transports_[static_cast<std::size_t>(rank)];
}

}  // namespace fabricsim::workloads
