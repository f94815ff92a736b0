// HwTransport over plain TCP sockets, for hosts without RDMA (like NCCL's socket transport).
// One connection per pair of ranks (the lower rank accepts, the higher connects, addresses
// exchanged through the Bootstrap); non-blocking sockets driven by poll() from progress().
// A message is a 16-byte header (tag, bytes) and the payload, written straight from and read
// straight into the caller's regions. Receives match on (peer, tag), oldest first; a message
// that arrives before its receive is posted is kept in a reused buffer until it is. Reductions
// and copies run on the calling thread inside progress(). A rank that fails sends every peer
// a notice with its error before it throws, so all ranks report the root cause.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/transports/hw/hw_transport.hpp"
#include "workloads/transports/hw/socket.hpp"

namespace fabricsim::workloads::hw {

struct TcpTransportOptions {
  // progress() throws when work is outstanding and nothing moved for this long.
  std::chrono::milliseconds timeout{30'000};
  // With nothing to do locally, progress() waits up to this long in poll() for the network
  // (it returns as soon as a socket is ready), so idle ranks do not spin a shared core.
  std::chrono::milliseconds idle_wait{5};
};

class TcpTransport final : public HwTransport {
 public:
  // Listens on `bind_address` (its port is ignored: the kernel picks one), exchanges the
  // listening addresses through `bootstrap` (a collective call) and connects to every other
  // rank. The bootstrap is not used afterwards. Throws TransportError naming a rank that did
  // not connect in time.
  TcpTransport(Bootstrap& bootstrap, const SocketAddress& bind_address,
               const TcpTransportOptions& options);
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  std::int32_t rank() const override { return rank_; }
  void post_send(std::int32_t peer, MemRegion src, std::uint64_t tag, CompletionListener& listener,
                 std::uint64_t cookie) override;
  void post_recv(std::int32_t peer, MemRegion dst, std::uint64_t tag, CompletionListener& listener,
                 std::uint64_t cookie) override;
  void post_reduce(MemRegion dst, MemRegion a, MemRegion b, std::uint64_t count, DataType dtype,
                   ReduceOp op, CompletionListener& listener, std::uint64_t cookie) override;
  void post_copy(MemRegion dst, MemRegion src, CompletionListener& listener,
                 std::uint64_t cookie) override;
  // Sockets need no registration: accepted and ignored.
  void register_memory(std::byte* data, std::uint64_t bytes) override;
  std::size_t progress() override;
  std::string name() const override { return "tcp"; }

  // Posted sends and receives not yet completed (for tests and reports).
  std::size_t outstanding() const { return outstanding_; }
  // Messages that arrived before their receive was posted, over the transport's life.
  std::uint64_t unexpected_messages() const { return unexpected_total_; }

 private:
  struct Completion {
    CompletionListener* listener = nullptr;
    std::uint64_t cookie = 0;
  };
  struct Send {
    std::uint64_t header[2] = {0, 0};  // tag, bytes: written before the payload
    MemRegion src;
    Completion done;
  };
  struct Recv {
    std::uint64_t tag = 0;
    MemRegion dst;
    Completion done;
  };
  // A message that arrived before its receive; its buffer is kept for reuse.
  struct Unexpected {
    std::uint64_t tag = 0;
    std::uint64_t bytes = 0;
    bool complete = false;
    bool claimed = false;  // a receive was posted while it was still arriving
    Recv recv;             // that receive
    std::vector<std::byte> data;
  };
  struct LocalOp {
    bool reduce = false;
    MemRegion dst, a, b;
    std::uint64_t count = 0;
    DataType dtype = DataType::kFloat32;
    ReduceOp op = ReduceOp::kSum;
    Completion done;
  };
  struct Peer {
    Fd fd;
    bool closed = false;
    // Sending: a FIFO of posted sends; `send_head` is the first not fully written, of which
    // `send_offset` bytes (header included) are written.
    std::vector<Send> sends;
    std::size_t send_head = 0;
    std::uint64_t send_offset = 0;
    // Receiving: posted receives in post order; unexpected messages (indices into the pool)
    // in arrival order.
    std::vector<Recv> recvs;
    std::vector<std::uint32_t> unexpected;
    // The message being read: its header, then its payload into `target`.
    std::uint64_t header[2] = {0, 0};
    std::uint64_t header_got = 0;
    std::byte* target = nullptr;
    std::uint64_t payload_left = 0;
    bool into_unexpected = false;
    std::uint32_t unexpected_index = 0;
    Completion target_done;  // the receive completed when the payload is in
  };

  std::size_t progress_once();
  // Sends every connected peer a failure notice with `why` (once; best effort, briefly), so
  // the whole job stops naming the root cause rather than the ranks that left because of it.
  void tell_peers(const std::string& why) noexcept;
  void connect_peers(Bootstrap& bootstrap, const SocketAddress& bind_address);
  Peer& peer_for(std::int32_t peer, const char* call);
  void run_local_ops();
  void read_from(std::int32_t rank);
  void write_to(std::int32_t rank);
  void start_message(std::int32_t rank);
  void finish_message(std::int32_t rank);
  void peer_closed(std::int32_t rank, const std::string& how);
  void check_stall();
  // Posted receives from `p` not yet completed (matched or not).
  std::size_t receives_pending(const Peer& p) const;
  std::string peer_text(std::int32_t rank) const;

  std::int32_t rank_ = 0;
  std::int32_t nranks_ = 1;
  TcpTransportOptions options_;
  std::vector<Peer> peers_;  // by rank; this rank's entry is unused
  std::vector<LocalOp> local_ops_;
  std::vector<LocalOp> running_ops_;
  std::vector<Completion> completions_;
  std::vector<Completion> delivering_;
  std::vector<Unexpected> pool_;
  std::vector<std::uint32_t> free_unexpected_;
  std::vector<pollfd> pollfds_;           // reused by progress()
  std::vector<std::int32_t> poll_ranks_;  // the rank of each pollfds_ entry
  std::size_t outstanding_ = 0;
  std::uint64_t unexpected_total_ = 0;
  SteadyClock::time_point last_activity_;
  bool told_peers_ = false;
  bool failed_by_notice_ = false;  // the error came from a peer's notice
  std::string notice_cause_;       // that notice's text, passed on to the other peers
};

}  // namespace fabricsim::workloads::hw
