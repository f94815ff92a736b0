// The completion-driven Executor.
#include "workloads/executor.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace fabricsim::workloads {

namespace {
constexpr std::uint32_t kNone = 0xffffffffu;
// Receives into private scratch, posted without waiting for the op's dependencies.
bool staged(OpKind kind) {
  return kind == OpKind::kRecvReduce || kind == OpKind::kRecvReduceSend;
}
}  // namespace

Executor::Executor(std::int32_t rank, const Schedule& schedule, Transport& transport,
                   Buffers buffers, const Clock& clock, bool record_timings)
    : rank_(rank),
      program_(&schedule.ranks.at(static_cast<std::size_t>(rank))),
      ops_(program_->ops),
      groups_(&schedule.groups),
      dtype_(schedule.dtype),
      reduce_op_(schedule.reduce_op),
      element_bytes_(schedule.element_size()),
      transport_(&transport),
      buffers_(buffers),
      clock_(&clock) {
  const std::size_t n = ops_.size();
  state_.assign(n, State::kWaiting);
  if (record_timings) timings_.assign(n, OpTiming{});
  remaining_deps_.assign(n, 0);
  dependents_begin_.assign(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const Op& op = ops_[i];
    remaining_deps_[i] = op.deps_count;
    for (std::uint32_t d = 0; d < op.deps_count; ++d) {
      const std::uint32_t dep = program_->deps[op.deps_begin + d];
      if (dep >= i) throw std::invalid_argument("schedule dependency does not point backwards");
      ++dependents_begin_[dep + 1];
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    dependents_begin_[i + 1] += dependents_begin_[i];
  dependents_.assign(dependents_begin_[n], 0);
  std::vector<std::uint32_t> fill(dependents_begin_.begin(), dependents_begin_.end() - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const Op& op = ops_[i];
    for (std::uint32_t d = 0; d < op.deps_count; ++d) {
      const std::uint32_t dep = program_->deps[op.deps_begin + d];
      dependents_[fill[dep]++] = static_cast<std::uint32_t>(i);
    }
  }
  // One in-order queue per (direction, channel, peer), numbered at construction.
  std::map<std::tuple<int, std::uint16_t, std::int32_t>, std::uint32_t> ids;
  std::vector<std::vector<std::uint32_t>> members;
  auto queue_of = [&](int direction, std::uint16_t channel, std::int32_t peer) {
    auto [it, inserted] =
        ids.try_emplace({direction, channel, peer}, static_cast<std::uint32_t>(members.size()));
    if (inserted) members.emplace_back();
    return it->second;
  };
  send_queue_.assign(n, kNone);
  recv_queue_.assign(n, kNone);
  for (std::size_t i = 0; i < n; ++i) {
    const Op& op = ops_[i];
    if (has_recv(op.kind)) {
      recv_queue_[i] = queue_of(0, op.channel, op.peer);
      members[recv_queue_[i]].push_back(static_cast<std::uint32_t>(i));
    }
    if (has_send(op.kind)) {
      send_queue_[i] = queue_of(1, op.channel, send_target(op));
      members[send_queue_[i]].push_back(static_cast<std::uint32_t>(i));
    }
  }
  for (const auto& m : members) {
    queues_.push_back(Queue{static_cast<std::uint32_t>(queue_ops_.size()),
                            static_cast<std::uint32_t>(m.size()), 0});
    queue_ops_.insert(queue_ops_.end(), m.begin(), m.end());
  }
}

MemRegion Executor::region(const Loc& loc, std::uint64_t count) const {
  std::byte* base = nullptr;
  switch (loc.buffer) {
    case BufferId::kInput:
      base = buffers_.input;
      break;
    case BufferId::kOutput:
      base = buffers_.output;
      break;
    case BufferId::kScratch:
      base = buffers_.scratch;
      break;
  }
  return MemRegion{base ? base + loc.offset * element_bytes_ : nullptr, count * element_bytes_};
}

void Executor::reset() {
  if (started_ && !done()) throw std::logic_error("Executor::reset while ops are in flight");
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    state_[i] = State::kWaiting;
    remaining_deps_[i] = ops_[i].deps_count;
  }
  std::fill(timings_.begin(), timings_.end(), OpTiming{});
  for (Queue& q : queues_)
    q.cursor = 0;
  done_ops_ = 0;
  started_ = false;
  start_ps_ = -1;
  end_ps_ = -1;
}

void Executor::start() {
  if (started_) throw std::logic_error("Executor::start called twice");
  started_ = true;
  start_ps_ = clock_->now_ps();
  if (ops_.empty()) {
    end_ps_ = start_ps_;
    if (observer_ != nullptr) observer_->on_executor_done(*this);
    return;
  }
  // Staged receives are posted at once (in queue order); see the class comment.
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    if (staged(ops_[i].kind)) {
      state_[i] = State::kRecvReady;
      if (!timings_.empty()) timings_[i].start_ps = start_ps_;
    }
  }
  for (std::size_t q = 0; q < queues_.size(); ++q) {
    const std::uint32_t first = queue_ops_[queues_[q].begin];
    if (has_recv(ops_[first].kind) && recv_queue_[first] == q) {
      pump_recvs(static_cast<std::uint32_t>(q));
    }
  }
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    if (remaining_deps_[i] == 0) make_ready(static_cast<std::uint32_t>(i));
  }
}

void Executor::make_ready(std::uint32_t i) {
  const Op& op = ops_[i];
  if (staged(op.kind)) {
    // The receive was posted at start; reduce now if it has arrived.
    if (state_[i] == State::kRecvArrived) {
      state_[i] = State::kReducePosted;
      post_reduce(i, op.src, op.stage);
    }
    return;
  }
  if (!timings_.empty()) timings_[i].start_ps = clock_->now_ps();
  switch (op.kind) {
    case OpKind::kSend:
      state_[i] = State::kSendReady;
      pump_sends(send_queue_[i]);
      break;
    case OpKind::kRecv:
    case OpKind::kRecvReduce:
    case OpKind::kRecvReduceSend:
    case OpKind::kRecvCopySend:
      state_[i] = State::kRecvReady;
      pump_recvs(recv_queue_[i]);
      break;
    case OpKind::kCopy:
      state_[i] = State::kLocalPosted;
      transport_->post_copy(region(op.dst, op.count), region(op.src, op.count), *this, i);
      break;
    case OpKind::kReduce:
      state_[i] = State::kLocalPosted;
      post_reduce(i, op.src, op.stage);
      break;
    case OpKind::kGroupAllReduce: {
      state_[i] = State::kGroupPosted;
      const std::vector<std::int32_t>& members = (*groups_)[group_of(op)];
      transport_->post_group_reduce(RankGroup{group_of(op), members}, region(op.dst, op.count),
                                    region(op.src, op.count), op.count, dtype_, reduce_op_,
                                    with_tag_space(op.send_tag, tag_space_), *this, i);
      break;
    }
  }
}

void Executor::post_reduce(std::uint32_t i, const Loc& a, const Loc& b) {
  const Op& op = ops_[i];
  transport_->post_reduce(region(op.dst, op.count), region(a, op.count), region(b, op.count),
                          op.count, dtype_, reduce_op_, *this, i);
}

void Executor::pump_sends(std::uint32_t q) {
  Queue& queue = queues_[q];
  while (queue.cursor < queue.size) {
    const std::uint32_t i = queue_ops_[queue.begin + queue.cursor];
    if (state_[i] != State::kSendReady) return;
    const Op& op = ops_[i];
    state_[i] = State::kSendPosted;
    ++queue.cursor;
    const Loc& from = op.kind == OpKind::kSend ? op.src : op.dst;
    transport_->post_send(send_target(op), region(from, op.count),
                          with_tag_space(op.send_tag, tag_space_), *this, i);
  }
}

void Executor::pump_recvs(std::uint32_t q) {
  Queue& queue = queues_[q];
  while (queue.cursor < queue.size) {
    const std::uint32_t i = queue_ops_[queue.begin + queue.cursor];
    if (state_[i] != State::kRecvReady) return;
    const Op& op = ops_[i];
    state_[i] = State::kRecvPosted;
    ++queue.cursor;
    transport_->post_recv(op.peer, region(staged(op.kind) ? op.stage : op.dst, op.count),
                          with_tag_space(op.recv_tag, tag_space_), *this, i);
  }
}

void Executor::on_complete(std::uint64_t cookie) {
  if (cookie >= ops_.size()) throw std::logic_error("completion for an unknown op");
  const auto i = static_cast<std::uint32_t>(cookie);
  const Op& op = ops_[i];
  switch (state_[i]) {
    case State::kRecvPosted:
      if (staged(op.kind)) {
        if (remaining_deps_[i] == 0) {
          state_[i] = State::kReducePosted;
          post_reduce(i, op.src, op.stage);
        } else {
          state_[i] = State::kRecvArrived;
        }
      } else if (op.kind == OpKind::kRecvCopySend) {
        state_[i] = State::kSendReady;
        pump_sends(send_queue_[i]);
      } else {
        finish(i);
      }
      return;
    case State::kReducePosted:
      if (op.kind == OpKind::kRecvReduceSend) {
        state_[i] = State::kSendReady;
        pump_sends(send_queue_[i]);
      } else {
        finish(i);
      }
      return;
    case State::kSendPosted:
    case State::kLocalPosted:
    case State::kGroupPosted:
      finish(i);
      return;
    default:
      throw std::logic_error("rank " + std::to_string(rank_) + ": unexpected completion of op " +
                             std::to_string(i));
  }
}

void Executor::finish(std::uint32_t i) {
  state_[i] = State::kDone;
  if (!timings_.empty()) timings_[i].end_ps = clock_->now_ps();
  ++done_ops_;
  for (std::uint32_t k = dependents_begin_[i]; k < dependents_begin_[i + 1]; ++k) {
    const std::uint32_t j = dependents_[k];
    if (--remaining_deps_[j] == 0) make_ready(j);
  }
  if (done_ops_ == ops_.size()) {
    end_ps_ = clock_->now_ps();
    if (observer_ != nullptr) observer_->on_executor_done(*this);
  }
}

std::size_t Executor::footprint_bytes() const {
  const auto bytes = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
  return sizeof(*this) + bytes(state_) + bytes(remaining_deps_) + bytes(dependents_begin_) +
         bytes(dependents_) + bytes(send_queue_) + bytes(recv_queue_) + bytes(queues_) +
         bytes(queue_ops_) + bytes(timings_);
}

std::string Executor::describe_pending(std::size_t max_ops) const {
  std::string text;
  std::size_t listed = 0;
  for (std::size_t i = 0; i < ops_.size() && listed < max_ops; ++i) {
    if (state_[i] == State::kDone) continue;
    const Op& op = ops_[i];
    std::string what;
    switch (state_[i]) {
      case State::kWaiting:
        what = "waits for " + std::to_string(remaining_deps_[i]) + " dependencies";
        break;
      case State::kRecvReady:
        what = "receive waits for earlier receives from that peer";
        break;
      case State::kRecvPosted:
        what = "receive from rank " + std::to_string(op.peer) + " (seq " +
               std::to_string(tag_sequence(op.recv_tag)) + ") posted, no matching send";
        break;
      case State::kRecvArrived:
        what =
            "received; reduction waits for " + std::to_string(remaining_deps_[i]) + " dependencies";
        break;
      case State::kReducePosted:
        what = "reduction posted";
        break;
      case State::kSendReady:
        what = "send waits for earlier sends to that peer";
        break;
      case State::kSendPosted:
        what = "send to rank " + std::to_string(send_target(op)) + " (seq " +
               std::to_string(tag_sequence(op.send_tag)) + ") posted, no matching receive";
        break;
      case State::kLocalPosted:
        what = "local op posted";
        break;
      case State::kGroupPosted:
        what = "group reduce (group " + std::to_string(group_of(op)) + ", seq " +
               std::to_string(tag_sequence(op.send_tag)) + ") posted, not done";
        break;
      case State::kDone:
        break;
    }
    text += (listed ? "; " : "") + std::string("op ") + std::to_string(i) + " " +
            std::string(to_string(op.kind)) + " ch" + std::to_string(op.channel) + ": " + what;
    ++listed;
  }
  return text;
}

}  // namespace fabricsim::workloads
