// Runs one rank's program of a Schedule over a Transport: a completion-driven state machine.
// It posts every op whose dependencies are done, advances on completions and never blocks.
// Sends (and receives) to the same peer on the same channel are posted in program order, so
// tags arrive in sequence and a FIFO transport (an RC queue pair) needs no tag search.
// The receive of a recv_reduce / recv_reduce_send lands in private scratch, so it is posted
// at its turn without waiting for the op's dependencies; those gate only the reduction (and
// the send after it). Every other op waits for its dependencies as a whole.
// Every op's start and end time is taken from the injected Clock for traces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/clock.hpp"
#include "workloads/schedule.hpp"
#include "workloads/transport.hpp"

namespace fabricsim::workloads {

// The rank's memory. Any pointer may be null for a transport that carries no payload; else
// each must hold the RankProgram's input/output/scratch element counts. Not owned: the
// caller keeps them alive until the Executor is done.
struct Buffers {
  std::byte* input = nullptr;
  std::byte* output = nullptr;
  std::byte* scratch = nullptr;
};

class Executor;

class ExecutorObserver {
 public:
  virtual void on_executor_done(Executor& executor) = 0;

 protected:
  ~ExecutorObserver() = default;
};

class Executor final : public CompletionListener {
 public:
  struct OpTiming {
    std::int64_t start_ps = -1;  // when the op's first part was posted
    std::int64_t end_ps = -1;    // when its last part completed
  };

  // The schedule, transport and clock must outlive the Executor (not owned). Without
  // `record_timings`, timings() stays empty (16 bytes per op saved: only traces read them).
  Executor(std::int32_t rank, const Schedule& schedule, Transport& transport, Buffers buffers,
           const Clock& clock, bool record_timings = true);
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void set_observer(ExecutorObserver* observer) { observer_ = observer; }
  // Tags this Executor posts carry `space` (see with_tag_space): give concurrent collectives
  // over the same transports different spaces, the same one on every rank. Before start().
  void set_tag_space(std::uint16_t space) { tag_space_ = space; }
  // Posts every op without dependencies. An empty program is done at once.
  void start();
  // Back to the constructed state (no allocation), so that start() runs the program again:
  // the next iteration of a repeated collective. Only when done() or never started.
  void reset();
  void on_complete(std::uint64_t cookie) override;

  std::int32_t rank() const { return rank_; }
  bool started() const { return started_; }
  bool done() const { return started_ && done_ops_ == ops_.size(); }
  std::size_t ops_total() const { return ops_.size(); }
  std::size_t ops_done() const { return done_ops_; }
  std::int64_t start_ps() const { return start_ps_; }
  std::int64_t end_ps() const { return end_ps_; }
  // Per op, when recorded (else empty).
  const std::vector<OpTiming>& timings() const { return timings_; }
  // Bytes this Executor holds (its per-op and per-queue state; the Schedule not included).
  std::size_t footprint_bytes() const;
  // Human-readable list of unfinished ops and what each waits for (deadlock reports).
  std::string describe_pending(std::size_t max_ops) const;

 private:
  enum class State : std::uint8_t {
    kWaiting,    // dependencies not done
    kRecvReady,  // receive part waits for its turn in the (channel, peer) order
    kRecvPosted,
    kRecvArrived,   // staged receive done early; the reduction waits for dependencies
    kReducePosted,  // local reduction of a received chunk
    kSendReady,     // send part waits for its turn in the (channel, peer) order
    kSendPosted,
    kLocalPosted,  // copy / reduce
    kGroupPosted,  // group all-reduce, until every member has posted and it is done
    kDone,
  };
  struct Queue {
    std::uint32_t begin = 0;  // into queue_ops_
    std::uint32_t size = 0;
    std::uint32_t cursor = 0;  // next to post
  };

  void make_ready(std::uint32_t op);
  void pump_sends(std::uint32_t queue);
  void pump_recvs(std::uint32_t queue);
  void post_reduce(std::uint32_t op, const Loc& a, const Loc& b);
  void finish(std::uint32_t op);
  MemRegion region(const Loc& loc, std::uint64_t count) const;

  std::int32_t rank_;
  const RankProgram* program_;
  const std::vector<Op>& ops_;
  const std::vector<std::vector<std::int32_t>>* groups_;
  DataType dtype_;
  ReduceOp reduce_op_;
  std::uint64_t element_bytes_;
  Transport* transport_;
  Buffers buffers_;
  const Clock* clock_;
  ExecutorObserver* observer_ = nullptr;
  std::uint16_t tag_space_ = 0;

  std::vector<State> state_;
  std::vector<std::uint32_t> remaining_deps_;
  std::vector<std::uint32_t> dependents_begin_;  // CSR of reverse dependencies
  std::vector<std::uint32_t> dependents_;
  std::vector<std::uint32_t> send_queue_;  // per op, or kNone
  std::vector<std::uint32_t> recv_queue_;
  std::vector<Queue> queues_;
  std::vector<std::uint32_t> queue_ops_;
  std::vector<OpTiming> timings_;
  std::size_t done_ops_ = 0;
  bool started_ = false;
  std::int64_t start_ps_ = -1;
  std::int64_t end_ps_ = -1;
};

}  // namespace fabricsim::workloads
