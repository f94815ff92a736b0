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
std::uint64_t event_arg(std::uint64_t kind, std::uint32_t index) { return kind << 32 | index; }

sim::Time transfer_time(std::uint64_t bytes, std::uint64_t rate_bps) {
  if (rate_bps == 0) return sim::Time::zero();
  return sim::serialization_time(bytes, rate_bps);
}

}  // namespace

std::size_t SimNetwork::MatchKeyHash::operator()(const MatchKey& k) const noexcept {
  std::uint64_t h = (static_cast<std::uint64_t>(k.src) << 32 | k.dst) * 0x9E3779B97F4A7C15ULL;
  h ^= k.tag + 0x632BE59BD9B4E019ULL + (h << 6) + (h >> 2);
  return static_cast<std::size_t>(h ^ (h >> 31));
}

SimNetwork::SimNetwork(models::Fabric& fabric, const models::GpuParams& gpu)
    : Component(fabric.simulator()),
      fabric_(&fabric),
      gpu_(gpu),
      engine_free_at_(fabric.nic_count(), sim::Time::zero()) {
  fabric.set_observer(this);
}

SimNetwork::~SimNetwork() { fabric_->set_observer(nullptr); }

std::uint32_t SimNetwork::new_message() {
  if (!free_messages_.empty()) {
    const std::uint32_t index = free_messages_.back();
    free_messages_.pop_back();
    return index;
  }
  messages_.emplace_back();
  return static_cast<std::uint32_t>(messages_.size() - 1);
}

void SimNetwork::release_message(std::uint32_t index) {
  messages_[index] = Message{};
  free_messages_.push_back(index);
}

void SimNetwork::complete_at(sim::Time at, CompletionListener& listener, std::uint64_t cookie) {
  std::uint32_t index;
  if (!free_completions_.empty()) {
    index = free_completions_.back();
    free_completions_.pop_back();
  } else {
    completions_.emplace_back();
    index = static_cast<std::uint32_t>(completions_.size() - 1);
  }
  completions_[index] = Completion{&listener, cookie};
  schedule_at(at, *this, event_arg(kCompletionEvent, index));
}

void SimNetwork::post_send(models::EndpointId src, models::EndpointId dst, std::uint64_t bytes,
                           std::uint64_t tag, CompletionListener& listener, std::uint64_t cookie) {
  if (src == dst) {
    throw std::logic_error(fmt::format("sim transport: GPU {} sends to itself (tag {:#x})", src, tag));
  }
  const std::uint32_t index = new_message();
  messages_[index] = Message{src, dst, tag, bytes, &listener, cookie, false, false};
  if (gpu_.step_latency > sim::Time::zero()) {
    schedule_in(gpu_.step_latency, *this, event_arg(kStartEvent, index));
  } else {
    start_message(index);
  }
}

void SimNetwork::start_message(std::uint32_t index) {
  const Message& m = messages_[index];
  ++counters_.messages;
  counters_.bytes_sent += m.bytes;
  fabric_->send_message(m.src, m.dst, m.bytes, tag_channel(m.tag), kOwnCookie | index);
}

void SimNetwork::post_recv(models::EndpointId dst, models::EndpointId src, std::uint64_t tag,
                           CompletionListener& listener, std::uint64_t cookie) {
  const MatchKey key{src, dst, tag};
  const auto it = matching_.find(key);
  if (it == matching_.end()) {
    matching_.emplace(key, Match{&listener, cookie});
    return;
  }
  if (it->second.listener != nullptr) {
    throw std::logic_error(fmt::format(
        "sim transport: a second receive for GPU {} <- {} with tag {:#x}", dst, src, tag));
  }
  matching_.erase(it);  // it arrived before the receive was posted: done now
  complete_at(now(), listener, cookie);
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
  if (m.received) release_message(index);
  listener->on_complete(sender_cookie);  // may post more messages (and grow the slab)
}

void SimNetwork::on_message_received(models::EndpointId /*dst*/, models::EndpointId /*src*/,
                                     std::uint64_t cookie, std::uint64_t /*bytes*/, sim::Time) {
  if ((cookie & kOwnCookie) == 0) return;
  const auto index = static_cast<std::uint32_t>(cookie & ~kOwnCookie);
  Message& m = messages_[index];
  const MatchKey key{m.src, m.dst, m.tag};
  m.received = true;
  if (m.sent) release_message(index);
  const auto it = matching_.find(key);
  if (it == matching_.end()) {
    ++counters_.unexpected_arrivals;
    matching_.emplace(key, Match{});
    return;
  }
  const Match match = it->second;
  matching_.erase(it);
  match.listener->on_complete(match.cookie);
}

void SimNetwork::on_event(std::uint64_t arg) {
  const auto index = static_cast<std::uint32_t>(arg);
  if ((arg >> 32) == kStartEvent) {
    start_message(index);
    return;
  }
  const Completion c = completions_[index];
  free_completions_.push_back(index);
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
