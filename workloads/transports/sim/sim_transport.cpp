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
}

SimNetwork::~SimNetwork() {
  fabric_->set_observer(nullptr);
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

Transport& SimGroup::transport(std::int32_t rank) {
  return *transports_[static_cast<std::size_t>(rank)];
}

}  // namespace fabricsim::workloads
