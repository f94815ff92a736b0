// The `sim` transport (see sim_transport.hpp).
#include "workloads/transports/sim/sim_transport.hpp"

#include <fmt/format.h>

#include <algorithm>
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

}  // namespace

std::size_t SimNetwork::StreamKeyHash::operator()(const StreamKey& k) const noexcept {
  std::uint64_t h = (static_cast<std::uint64_t>(k.src) << 32 | k.dst) * 0x9E3779B97F4A7C15ULL;
  h ^= (k.tag_high >> kTagSpaceShift) * 0xC2B2AE3D27D4EB4FULL;
  return static_cast<std::size_t>(h ^ (h >> 29));
}

SimNetwork::Stream& SimNetwork::stream(models::EndpointId src, models::EndpointId dst,
                                       std::uint64_t tag) {
  const StreamKey key{src, dst, tag & ~((std::uint64_t{1} << kTagSequenceBits) - 1)};
  const auto [it, inserted] =
      stream_of_.try_emplace(key, static_cast<std::uint32_t>(streams_.size()));
  if (inserted) streams_.emplace_back();
  return streams_[it->second];
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
    : Component(fabric.simulator()),
      fabric_(&fabric),
      gpu_(gpu),
      engine_free_at_(fabric.nic_count(), sim::Time::zero()) {
  fabric.set_observer(this);
  fabric.set_nvls_observer(this);
}

SimNetwork::~SimNetwork() {
  fabric_->set_observer(nullptr);
  fabric_->set_nvls_observer(nullptr);
}

std::size_t SimNetwork::GroupKeyHash::operator()(const GroupKey& k) const noexcept {
  std::uint64_t h = (static_cast<std::uint64_t>(k.first) << 32 | k.group) * 0x9E3779B97F4A7C15ULL;
  h ^= k.tag * 0xC2B2AE3D27D4EB4FULL;
  return static_cast<std::size_t>(h ^ (h >> 29));
}

std::string SimNetwork::group_reduce_problem(std::span<const models::EndpointId> gpus) const {
  if (gpus.size() < 2) return "a group reduce needs at least two GPUs";
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
                                   std::uint32_t group, std::uint64_t bytes, std::uint64_t tag,
                                   CompletionListener& listener, std::uint64_t cookie) {
  const auto [it, inserted] = open_groups_.try_emplace(GroupKey{gpus[0], group, tag}, 0);
  if (inserted) {
    std::string problem = group_reduce_problem(gpus);
    if (!problem.empty()) {
      open_groups_.erase(it);
      throw std::invalid_argument("sim transport: group reduce: " + problem);
    }
    if (free_group_ops_.empty()) {
      it->second = static_cast<std::uint32_t>(group_ops_.size());
      group_ops_.emplace_back();
    } else {
      it->second = free_group_ops_.back();
      free_group_ops_.pop_back();
    }
    GroupOp& g = group_ops_[it->second];
    g.bytes = bytes;
    g.posted = 0;
    g.done = 0;
    g.in_switch = fabric_->nvlink_domain_count() > 0;
    g.ready = now();
    g.gpus.assign(gpus.begin(), gpus.end());
    g.waiting.assign(g.in_switch ? fabric_->nvlink_domain(fabric_->nvlink_domain_of(gpus[0])).size()
                                 : gpus.size(),
                     Completion{});
  }
  const std::uint32_t slot = it->second;
  GroupOp& g = group_ops_[slot];
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
  if (last) open_groups_.erase(it);
  if (g.in_switch) {
    // Each member pushes its part into the switches when its step latency has passed.
    if (gpu_.step_latency > sim::Time::zero()) {
      schedule_in(gpu_.step_latency, *this,
                  event_arg(kGroupPostEvent, group_posts_.add(GroupPost{gpu, slot})));
    } else {
      fabric_->post_nvls_allreduce(gpu, bytes, kOwnCookie | slot);
    }
    return;
  }
  g.ready = std::max(g.ready, now() + gpu_.step_latency);
  if (!last) return;
  if (g.ready > now()) {
    schedule_at(g.ready, *this, event_arg(kFluidGroupEvent, slot));
  } else {
    start_fluid_group(slot);
  }
}

void SimNetwork::start_group_post(std::uint32_t index) {
  const GroupPost post = group_posts_.take(index);
  fabric_->post_nvls_allreduce(post.gpu, group_ops_[post.op].bytes, kOwnCookie | post.op);
}

// Every member is ready: the in-switch all-reduce holds every member's NVLink egress (its S
// bytes to the switch) and ingress (the S-byte sum back) for S / B, then lands after the
// latency: T = S/B + a, as in the simulated domain (models/nvlink/domain.hpp).
void SimNetwork::start_fluid_group(std::uint32_t slot) {
  GroupOp& g = group_ops_[slot];
  sim::Time start = now();
  for (const models::EndpointId gpu : g.gpus)
    start = std::max({start, nvlink_tx_free_at_[gpu], nvlink_rx_free_at_[gpu]});
  const sim::Time drained = start + transfer_time(g.bytes, nvlink_.rate_bps);
  for (const models::EndpointId gpu : g.gpus) {
    nvlink_tx_free_at_[gpu] = drained;
    nvlink_rx_free_at_[gpu] = drained;
  }
  ++counters_.group_reductions;
  counters_.group_bytes += g.bytes;
  for (const Completion& c : g.waiting)
    complete_at(drained + nvlink_.latency, *c.listener, c.cookie);
  free_group_ops_.push_back(slot);
}

void SimNetwork::on_nvls_allreduce_done(models::EndpointId gpu, std::uint64_t cookie, sim::Time) {
  if ((cookie & kOwnCookie) == 0) return;
  const auto slot = static_cast<std::uint32_t>(cookie & ~kOwnCookie);
  GroupOp& g = group_ops_[slot];
  const Completion c = g.waiting[fabric_->nvlink_local_index(gpu)];
  if (++g.done == g.waiting.size()) {
    ++counters_.group_reductions;
    counters_.group_bytes += g.bytes;
    free_group_ops_.push_back(slot);
  }
  c.listener->on_complete(c.cookie);  // may post more group reduces (and reuse the slot)
}

void SimNetwork::complete_at(sim::Time at, CompletionListener& listener, std::uint64_t cookie) {
  schedule_at(at, *this, event_arg(kCompletionEvent, completions_.add({&listener, cookie})));
}

void SimNetwork::post_send(models::EndpointId src, models::EndpointId dst, std::uint64_t bytes,
                           std::uint64_t tag, CompletionListener& listener, std::uint64_t cookie) {
  if (src == dst) {
    throw std::logic_error(
        fmt::format("sim transport: GPU {} sends to itself (tag {:#x})", src, tag));
  }
  const std::uint32_t index =
      messages_.add(Message{src, dst, tag, bytes, &listener, cookie, false, false});
  if (gpu_.step_latency > sim::Time::zero()) {
    schedule_in(gpu_.step_latency, *this, event_arg(kStartEvent, index));
  } else {
    start_message(index);
  }
}

void SimNetwork::set_nvlink(const NvlinkModel& nvlink) {
  if (nvlink.gpus_per_domain == 0) throw std::invalid_argument("NVLink domains of 0 GPUs");
  nvlink_ = nvlink;
  nvlink_tx_free_at_.assign(engine_free_at_.size(), sim::Time::zero());
  nvlink_rx_free_at_.assign(engine_free_at_.size(), sim::Time::zero());
}

void SimNetwork::start_message(std::uint32_t index) {
  const Message& m = messages_[index];
  ++counters_.messages;
  counters_.bytes_sent += m.bytes;
  if (nvlink_.gpus_per_domain > 1 &&
      m.src / nvlink_.gpus_per_domain == m.dst / nvlink_.gpus_per_domain) {
    start_nvlink(index);
    return;
  }
  // NVLink (a simulated domain) or PCIe + NIC + network, as the fabric routes GPU traffic.
  fabric_->send_gpu_message(m.src, m.dst, m.bytes, tag_channel(m.tag), kOwnCookie | index);
}

void SimNetwork::start_nvlink(std::uint32_t index) {
  const Message& m = messages_[index];
  ++counters_.nvlink_messages;
  counters_.nvlink_bytes += m.bytes;
  const sim::Time start = std::max({now(), nvlink_tx_free_at_[m.src], nvlink_rx_free_at_[m.dst]});
  const sim::Time drained = start + transfer_time(m.bytes, nvlink_.rate_bps);
  nvlink_tx_free_at_[m.src] = drained;
  nvlink_rx_free_at_[m.dst] = drained;
  schedule_at(drained + nvlink_.latency, *this, event_arg(kNvlinkArrivalEvent, index));
}

void SimNetwork::post_recv(models::EndpointId dst, models::EndpointId src, std::uint64_t tag,
                           CompletionListener& listener, std::uint64_t cookie) {
  Stream& st = stream(src, dst, tag);
  const std::uint64_t sequence = tag_sequence(tag);
  if (st.arrived_head < st.arrived.size()) {
    if (st.arrived[st.arrived_head] != sequence) {
      throw std::logic_error(fmt::format(
          "sim transport: GPU {} posted the receive of message {} from GPU {} (tag {:#x}) "
          "while message {} waits: receives out of sequence order",
          dst, sequence, src, tag, st.arrived[st.arrived_head]));
    }
    ++st.arrived_head;
    compact(st.arrived, st.arrived_head);
    --unmatched_;
    complete_at(now(), listener, cookie);  // it arrived before the receive was posted
    return;
  }
  st.posted.push_back(PostedRecv{sequence, &listener, cookie});
  ++unmatched_;
}

void SimNetwork::post_compute(models::EndpointId gpu, std::uint64_t bytes, bool reduce,
                              CompletionListener& listener, std::uint64_t cookie) {
  const sim::Time start = std::max(now() + gpu_.step_latency, engine_free_at_[gpu]);
  const sim::Time end =
      start + transfer_time(bytes, reduce ? gpu_.reduce_bandwidth_bps : gpu_.copy_bandwidth_bps);
  engine_free_at_[gpu] = end;
  if (reduce) {
    ++counters_.reductions;
    counters_.bytes_reduced += bytes;
  } else {
    ++counters_.copies;
  }
  complete_at(end, listener, cookie);
}

void SimNetwork::on_message_sent(models::EndpointId /*src*/, std::uint64_t cookie, sim::Time) {
  if ((cookie & kOwnCookie) == 0) return;
  const auto index = static_cast<std::uint32_t>(cookie & ~kOwnCookie);
  Message& m = messages_[index];
  CompletionListener* listener = m.listener;
  const std::uint64_t sender_cookie = m.cookie;
  m.sent = true;
  if (m.received) messages_.release(index);
  listener->on_complete(sender_cookie);  // may post more messages (and grow the slab)
}

void SimNetwork::on_message_received(models::EndpointId /*dst*/, models::EndpointId /*src*/,
                                     std::uint64_t cookie, std::uint64_t /*bytes*/, sim::Time) {
  if ((cookie & kOwnCookie) == 0) return;
  arrive(static_cast<std::uint32_t>(cookie & ~kOwnCookie));
}

// The message has fully arrived: complete its receive, or remember it until one is posted.
void SimNetwork::arrive(std::uint32_t index) {
  Message& m = messages_[index];
  Stream& st = stream(m.src, m.dst, m.tag);
  const std::uint64_t sequence = tag_sequence(m.tag);
  m.received = true;
  if (m.sent) messages_.release(index);
  if (st.posted_head == st.posted.size()) {
    ++counters_.unexpected_arrivals;
    ++unmatched_;
    st.arrived.push_back(sequence);
    return;
  }
  const PostedRecv recv = st.posted[st.posted_head];
  if (recv.sequence != sequence) {
    throw std::logic_error(fmt::format(
        "sim transport: message {} arrived while the receive of message {} was waiting: "
        "messages out of sequence order",
        sequence, recv.sequence));
  }
  ++st.posted_head;
  compact(st.posted, st.posted_head);
  --unmatched_;
  recv.listener->on_complete(recv.cookie);
}

void SimNetwork::on_event(std::uint64_t arg) {
  const auto index = static_cast<std::uint32_t>(arg);
  switch (arg >> 32) {
    case kStartEvent:
      start_message(index);
      return;
    case kGroupPostEvent:
      start_group_post(index);
      return;
    case kFluidGroupEvent:
      start_fluid_group(index);
      return;
    case kNvlinkArrivalEvent: {
      // NVLink writes are done when they land: the sender hears it with the receiver.
      const std::uint64_t own_cookie = kOwnCookie | index;
      arrive(index);
      on_message_sent(messages_[index].src, own_cookie, now());
      return;
    }
    default:
      break;
  }
  const Completion c = completions_.take(index);
  c.listener->on_complete(c.cookie);
}

// One rank's Transport: translates group ranks to GPUs and element counts to bytes.
class SimGroup::RankTransport final : public Transport {
 public:
  RankTransport(SimGroup& group, std::int32_t rank) : group_(&group), rank_(rank) {}

  std::int32_t rank() const override { return rank_; }
  void post_send(std::int32_t peer, MemRegion src, std::uint64_t tag, CompletionListener& listener,
                 std::uint64_t cookie) override {
    group_->network_->post_send(self(), group_->endpoint(peer), src.bytes, tag, listener, cookie);
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
    group_->network_->post_group_reduce(self(), group_->gpus_of(group.members), group.id, dst.bytes,
                                        tag, listener, cookie);
  }

 private:
  models::EndpointId self() const { return group_->endpoint(rank_); }
  SimGroup* group_;
  std::int32_t rank_;
};

SimGroup::SimGroup(SimNetwork& network, std::vector<models::EndpointId> endpoints)
    : network_(&network), endpoints_(std::move(endpoints)) {
  transports_.reserve(endpoints_.size());
  for (std::size_t r = 0; r < endpoints_.size(); ++r) {
    transports_.push_back(std::make_unique<RankTransport>(*this, static_cast<std::int32_t>(r)));
  }
}

SimGroup::~SimGroup() = default;

std::span<const models::EndpointId> SimGroup::gpus_of(std::span<const std::int32_t> ranks) {
  member_gpus_.clear();
  for (const std::int32_t r : ranks)
    member_gpus_.push_back(endpoint(r));
  return member_gpus_;
}

std::string SimGroup::group_reduce_problem(const Schedule& schedule) {
  for (std::size_t g = 0; g < schedule.groups.size(); ++g) {
    const std::vector<std::int32_t>& ranks = schedule.groups[g];
    std::string problem = network_->group_reduce_problem(gpus_of(ranks));
    if (problem.empty()) continue;
    return fmt::format(
        "{} all-reduce needs in-switch reduction over the GPUs of ranks {}..{} "
        "(GPUs {}..{}): {}",
        schedule.algorithm, ranks.front(), ranks.back(), member_gpus_.front(), member_gpus_.back(),
        problem);
  }
  return {};
}

Transport& SimGroup::transport(std::int32_t rank) {
  return *transports_[static_cast<std::size_t>(rank)];
}

}  // namespace fabricsim::workloads
