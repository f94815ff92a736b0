// The data plane of the verbs transport: clear-to-send matching, RDMA writes with immediate,
// CQ polling, CPU reductions and copies (protocol in workloads/README.md).
#include "workloads/transports/hw/verbs_transport.hpp"

#include <endian.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "workloads/transports/hw/verbs_setup.hpp"
#include "workloads/transports/local/check.hpp"

namespace fabricsim::workloads::hw {
namespace {

using namespace verbs;
using SteadyClock = std::chrono::steady_clock;

// A clear-to-send: the receiver's grant for one message. It travels as a SEND into one of
// the sender's pre-posted receive buffers.
struct Cts {
  std::uint64_t tag = 0;
  std::uint64_t addr = 0;
  std::uint64_t bytes = 0;
  std::uint32_t rkey = 0;
  std::uint32_t slot = 0;  // the receiver's receive slot; comes back as the immediate
};
static_assert(sizeof(Cts) == 32);

// Work-request ids: kind (2 bits) | peer (30 bits) | index (32 bits).
enum class WrKind : std::uint64_t { kRecvBuffer = 0, kCtsSend = 1, kWrite = 2 };
std::uint64_t wr_id(WrKind kind, std::int32_t peer, std::uint32_t index) {
  return (static_cast<std::uint64_t>(kind) << 62) |
         (static_cast<std::uint64_t>(static_cast<std::uint32_t>(peer)) << 32) | index;
}
WrKind wr_kind(std::uint64_t id) {
  return static_cast<WrKind>(id >> 62);
}
std::int32_t wr_peer(std::uint64_t id) {
  return static_cast<std::int32_t>((id >> 32) & 0x3fffffffu);
}
std::uint32_t wr_index(std::uint64_t id) {
  return static_cast<std::uint32_t>(id);
}

// A FIFO of indices on a growing ring (no allocation once it has reached its peak).
class IndexFifo {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::uint32_t front() const { return ring_[head_]; }
  std::uint32_t at(std::size_t i) const { return ring_[(head_ + i) & (ring_.size() - 1)]; }
  void pop() {
    head_ = (head_ + 1) & (ring_.size() - 1);
    --size_;
  }
  void push(std::uint32_t value) {
    if (size_ == ring_.size()) grow();
    ring_[(head_ + size_) & (ring_.size() - 1)] = value;
    ++size_;
  }

 private:
  void grow() {
    std::vector<std::uint32_t> bigger(std::max<std::size_t>(16, ring_.size() * 2));
    for (std::size_t i = 0; i < size_; ++i)
      bigger[i] = at(i);
    ring_.swap(bigger);
    head_ = 0;
  }
  std::vector<std::uint32_t> ring_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

// Slots reused through a free list; indices stay valid while the slot is live.
template <typename T>
class SlotPool {
 public:
  std::uint32_t acquire() {
    if (free_.empty()) {
      items_.emplace_back();
      ++live_;
      return static_cast<std::uint32_t>(items_.size() - 1);
    }
    const std::uint32_t index = free_.back();
    free_.pop_back();
    ++live_;
    return index;
  }
  void release(std::uint32_t index) {
    items_[index] = T{};
    free_.push_back(index);
    --live_;
  }
  T& operator[](std::uint32_t index) { return items_[index]; }
  std::size_t live() const { return live_; }
  std::size_t capacity() const { return items_.size(); }
  bool is_live(std::uint32_t index) const {
    return index < items_.size() && items_[index].listener != nullptr;
  }

 private:
  std::vector<T> items_;
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
};

struct SendOp {
  CompletionListener* listener = nullptr;
  std::uint64_t cookie = 0;
  std::int32_t peer = -1;
  std::uint64_t tag = 0;
  std::byte* data = nullptr;
  std::uint64_t bytes = 0;
  std::uint32_t lkey = 0;
  bool matched = false;
  Cts grant{};  // the receiver's CTS, once matched
  std::uint64_t parts = 0;
  std::uint64_t parts_posted = 0;
  std::uint64_t parts_done = 0;
};

struct RecvOp {
  CompletionListener* listener = nullptr;
  std::uint64_t cookie = 0;
  std::int32_t peer = -1;
  std::uint64_t tag = 0;
  std::byte* data = nullptr;
  std::uint64_t bytes = 0;
  std::uint32_t rkey = 0;
  bool granted = false;  // its CTS was sent
};

struct LocalOp {
  CompletionListener* listener = nullptr;
  std::uint64_t cookie = 0;
  std::byte* dst = nullptr;
  const std::byte* a = nullptr;
  const std::byte* b = nullptr;
  bool copy = false;  // dst = a (`bytes`); else dst = a + b (`count` elements)
  std::uint64_t bytes = 0;
  std::uint64_t count = 0;
  DataType dtype = DataType::kFloat32;
  ReduceOp op = ReduceOp::kSum;
};

struct Peer {
  Qp qp;
  std::uint32_t sq_used = 0;                   // send-queue entries posted and not yet completed
  std::uint32_t cts_out = 0;                   // CTSs sent whose data has not arrived
  std::uint32_t cts_ring = 0;                  // next CTS send buffer
  std::vector<std::uint32_t> unmatched_sends;  // in posting order
  std::vector<Cts> unmatched_grants;           // CTSs that arrived before their send
  IndexFifo writes;                            // matched sends with parts left to post
  IndexFifo grants_to_send;                    // receives waiting to send their CTS
};

struct Registration {
  std::byte* base = nullptr;
  std::uint64_t bytes = 0;
  Mr mr;
};

class VerbsTransport final : public HwTransport {
 public:
  VerbsTransport(const VerbsOptions& options, Bootstrap& bootstrap);

  std::int32_t rank() const override { return rank_; }
  std::string name() const override { return "verbs"; }
  void register_memory(std::byte* data, std::uint64_t bytes) override;
  void post_send(std::int32_t peer, MemRegion src, std::uint64_t tag, CompletionListener& listener,
                 std::uint64_t cookie) override;
  void post_recv(std::int32_t peer, MemRegion dst, std::uint64_t tag, CompletionListener& listener,
                 std::uint64_t cookie) override;
  void post_reduce(MemRegion dst, MemRegion a, MemRegion b, std::uint64_t count, DataType dtype,
                   ReduceOp op, CompletionListener& listener, std::uint64_t cookie) override;
  void post_copy(MemRegion dst, MemRegion src, CompletionListener& listener,
                 std::uint64_t cookie) override;
  std::size_t progress() override;

 private:
  Peer& peer_at(std::int32_t peer, const char* call);
  const Registration& registration_of(const MemRegion& region, const char* call) const;
  Cts* recv_buffer(std::int32_t peer, std::uint32_t index);
  Cts* cts_buffer(std::int32_t peer, std::uint32_t index);
  void post_recv_buffer(std::int32_t peer, std::uint32_t index);
  void match(std::int32_t peer, std::uint32_t send, const Cts& grant);
  void pump_writes(std::int32_t peer);
  void pump_grants(std::int32_t peer);
  std::size_t handle(const ibv_wc& wc);
  std::string describe_outstanding() const;
  bool idle() const { return sends_.live() == 0 && recvs_.live() == 0; }

  std::int32_t rank_;
  std::int32_t nranks_;
  std::chrono::milliseconds timeout_;
  std::uint32_t max_grants_;  // CTSs outstanding per peer
  std::uint32_t rq_depth_;    // receive buffers per peer
  std::uint32_t sq_depth_;    // send-queue entries per peer
  std::uint64_t max_write_;   // bytes per RDMA write
  Device device_;
  Pd pd_;
  Cq cq_;
  std::vector<Cts> control_;  // per peer: rq_depth_ receive buffers, then sq_depth_ CTS buffers
  Mr control_mr_;
  std::vector<Peer> peers_;
  std::vector<Registration> registrations_;
  SlotPool<SendOp> sends_;
  SlotPool<RecvOp> recvs_;
  std::vector<LocalOp> local_;      // posted local ops, done by the next progress()
  std::vector<LocalOp> local_now_;  // the batch progress() is performing
  // The timeout: the clock is read once per kClockPolls empty polls (a clock read can cost
  // more than a poll, e.g. a system call on a VM's HPET); active_ says something moved or was
  // posted since the last reading.
  static constexpr std::uint32_t kClockPolls = 256;
  SteadyClock::time_point last_activity_;
  std::uint32_t empty_polls_ = 0;
  bool active_ = false;
};

VerbsTransport::VerbsTransport(const VerbsOptions& options, Bootstrap& bootstrap)
    : rank_(bootstrap.rank()),
      nranks_(bootstrap.nranks()),
      timeout_(options.timeout),
      device_(open_device(options)) {
  const auto n = static_cast<std::size_t>(nranks_);
  const std::uint32_t remote_peers = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(n - 1));
  // Receive queue 2K, send queue 2K (K = CTSs outstanding per peer); the shared CQ holds every
  // entry of every queue. Shrink K until that fits the device (the same on identical devices;
  // the address exchange checks that the ranks agree).
  const auto max_cqe = static_cast<std::uint32_t>(device_.attr.max_cqe);
  const auto max_wr = static_cast<std::uint32_t>(device_.attr.max_qp_wr);
  max_grants_ = std::max<std::uint32_t>(1, options.max_outstanding_recvs);
  max_grants_ = std::min({max_grants_, max_cqe / (4 * remote_peers), max_wr / 2});
  if (max_grants_ == 0) {
    throw TransportError("verbs: device " + device_.name + " cannot hold queues for " +
                         std::to_string(nranks_) + " ranks (max_cqe " + std::to_string(max_cqe) +
                         ")");
  }
  rq_depth_ = 2 * max_grants_;
  sq_depth_ = 2 * max_grants_;
  max_write_ = device_.port_attr.max_msg_sz;
  if (options.max_message_bytes != 0) max_write_ = std::min(max_write_, options.max_message_bytes);
  if (max_write_ == 0) max_write_ = 1u << 30;

  pd_.reset(ibv_alloc_pd(device_.context.get()));
  if (!pd_) throw_call_error("ibv_alloc_pd", errno, device_.name);
  const std::uint32_t cq_entries = remote_peers * (rq_depth_ + sq_depth_);
  cq_.reset(
      ibv_create_cq(device_.context.get(), static_cast<int>(cq_entries), nullptr, nullptr, 0));
  if (!cq_) throw_call_error("ibv_create_cq", errno, std::to_string(cq_entries) + " entries");
  control_.resize(n * (rq_depth_ + sq_depth_));
  control_mr_.reset(ibv_reg_mr(pd_.get(), control_.data(), control_.size() * sizeof(Cts),
                               IBV_ACCESS_LOCAL_WRITE));
  if (!control_mr_) throw_call_error("ibv_reg_mr", errno, "control buffers");

  peers_.resize(n);
  std::vector<QpAddress> mine(n);
  for (std::int32_t p = 0; p < nranks_; ++p) {
    if (p == rank_) continue;
    ibv_qp_init_attr init{};
    init.send_cq = cq_.get();
    init.recv_cq = cq_.get();
    init.qp_type = IBV_QPT_RC;
    init.sq_sig_all = 1;
    init.cap.max_send_wr = sq_depth_;
    init.cap.max_recv_wr = rq_depth_;
    init.cap.max_send_sge = 1;
    init.cap.max_recv_sge = 1;
    Peer& peer = peers_[static_cast<std::size_t>(p)];
    peer.qp.reset(ibv_create_qp(pd_.get(), &init));
    if (!peer.qp) throw_call_error("ibv_create_qp", errno, "towards rank " + std::to_string(p));
    init_qp(peer.qp.get(), device_);
    for (std::uint32_t i = 0; i < rq_depth_; ++i)
      post_recv_buffer(p, i);
    QpAddress& address = mine[static_cast<std::size_t>(p)];
    address.qpn = peer.qp->qp_num;
    address.psn =
        (static_cast<std::uint32_t>(rank_) * 7919u + static_cast<std::uint32_t>(p) * 104729u) &
        0xffffffu;
    address.lid = device_.port_attr.lid;
    address.mtu = static_cast<std::uint8_t>(device_.port_attr.active_mtu);
    address.ethernet = device_.ethernet ? 1 : 0;
    address.max_outstanding_recvs = max_grants_;
    std::memcpy(address.gid, device_.gid.raw, sizeof(address.gid));
  }
  const auto all =
      bootstrap.allgather(std::as_bytes(std::span<const QpAddress>(mine.data(), mine.size())));
  if (all.size() != n * n * sizeof(QpAddress)) {
    throw TransportError("verbs: address exchange returned " + std::to_string(all.size()) +
                         " bytes, expected " + std::to_string(n * n * sizeof(QpAddress)));
  }
  for (std::int32_t p = 0; p < nranks_; ++p) {
    if (p == rank_) continue;
    QpAddress remote;
    std::memcpy(&remote,
                all.data() + (static_cast<std::size_t>(p) * n + static_cast<std::size_t>(rank_)) *
                                 sizeof(QpAddress),
                sizeof(QpAddress));
    if (remote.max_outstanding_recvs != max_grants_ ||
        remote.ethernet != mine[static_cast<std::size_t>(p)].ethernet) {
      throw TransportError("verbs: rank " + std::to_string(p) + " disagrees with rank " +
                           std::to_string(rank_) + " on the link layer or on the outstanding " +
                           "receives per peer (" + std::to_string(remote.max_outstanding_recvs) +
                           " vs " + std::to_string(max_grants_) + ")");
    }
    connect_qp(peers_[static_cast<std::size_t>(p)].qp.get(), device_,
               mine[static_cast<std::size_t>(p)], remote, p);
  }
  // No CTS may reach a queue pair that is not ready to receive.
  bootstrap.barrier();
  last_activity_ = SteadyClock::now();
}

Peer& VerbsTransport::peer_at(std::int32_t peer, const char* call) {
  if (peer < 0 || peer >= nranks_ || peer == rank_) {
    throw std::invalid_argument(std::string("verbs ") + call + ": bad peer " +
                                std::to_string(peer) + " on rank " + std::to_string(rank_));
  }
  return peers_[static_cast<std::size_t>(peer)];
}

const Registration& VerbsTransport::registration_of(const MemRegion& region,
                                                    const char* call) const {
  for (const Registration& r : registrations_) {
    if (region.data >= r.base && region.data + region.bytes <= r.base + r.bytes) return r;
  }
  throw std::invalid_argument(std::string("verbs ") + call + ": region of " +
                              std::to_string(region.bytes) +
                              " bytes lies outside every registered buffer (register_memory)");
}

Cts* VerbsTransport::recv_buffer(std::int32_t peer, std::uint32_t index) {
  return control_.data() + static_cast<std::size_t>(peer) * (rq_depth_ + sq_depth_) + index;
}

Cts* VerbsTransport::cts_buffer(std::int32_t peer, std::uint32_t index) {
  return recv_buffer(peer, rq_depth_ + index);
}

void VerbsTransport::register_memory(std::byte* data, std::uint64_t bytes) {
  if (bytes == 0) return;
  Registration r;
  r.base = data;
  r.bytes = bytes;
  r.mr.reset(ibv_reg_mr(pd_.get(), data, bytes, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE));
  if (!r.mr) throw_call_error("ibv_reg_mr", errno, std::to_string(bytes) + " bytes");
  registrations_.push_back(std::move(r));
}

void VerbsTransport::post_recv_buffer(std::int32_t peer, std::uint32_t index) {
  ibv_sge sge{};
  sge.addr = reinterpret_cast<std::uintptr_t>(recv_buffer(peer, index));
  sge.length = sizeof(Cts);
  sge.lkey = control_mr_->lkey;
  ibv_recv_wr wr{};
  wr.wr_id = wr_id(WrKind::kRecvBuffer, peer, index);
  wr.sg_list = &sge;
  wr.num_sge = 1;
  ibv_recv_wr* bad = nullptr;
  if (const int rc = ibv_post_recv(peers_[static_cast<std::size_t>(peer)].qp.get(), &wr, &bad);
      rc != 0) {
    throw_call_error("ibv_post_recv", rc, "towards rank " + std::to_string(peer));
  }
}

void VerbsTransport::post_send(std::int32_t peer, MemRegion src, std::uint64_t tag,
                               CompletionListener& listener, std::uint64_t cookie) {
  Peer& p = peer_at(peer, "post_send");
  const std::uint32_t lkey = src.bytes == 0 ? 0 : registration_of(src, "post_send").mr->lkey;
  if (idle()) active_ = true;  // the timeout counts from here
  const std::uint32_t slot = sends_.acquire();
  SendOp& op = sends_[slot];
  op.listener = &listener;
  op.cookie = cookie;
  op.peer = peer;
  op.tag = tag;
  op.data = src.data;
  op.bytes = src.bytes;
  op.lkey = lkey;
  op.parts = message_parts(src.bytes, max_write_);
  for (std::size_t i = 0; i < p.unmatched_grants.size(); ++i) {
    if (p.unmatched_grants[i].tag == tag) {
      const Cts grant = p.unmatched_grants[i];
      p.unmatched_grants.erase(p.unmatched_grants.begin() + static_cast<std::ptrdiff_t>(i));
      match(peer, slot, grant);
      return;
    }
  }
  p.unmatched_sends.push_back(slot);
}

void VerbsTransport::post_recv(std::int32_t peer, MemRegion dst, std::uint64_t tag,
                               CompletionListener& listener, std::uint64_t cookie) {
  peer_at(peer, "post_recv");
  const std::uint32_t rkey = dst.bytes == 0 ? 0 : registration_of(dst, "post_recv").mr->rkey;
  if (idle()) active_ = true;
  const std::uint32_t slot = recvs_.acquire();
  RecvOp& op = recvs_[slot];
  op.listener = &listener;
  op.cookie = cookie;
  op.peer = peer;
  op.tag = tag;
  op.data = dst.data;
  op.bytes = dst.bytes;
  op.rkey = rkey;
  peers_[static_cast<std::size_t>(peer)].grants_to_send.push(slot);
  pump_grants(peer);
}

void VerbsTransport::post_reduce(MemRegion dst, MemRegion a, MemRegion b, std::uint64_t count,
                                 DataType dtype, ReduceOp op, CompletionListener& listener,
                                 std::uint64_t cookie) {
  LocalOp local;
  local.listener = &listener;
  local.cookie = cookie;
  local.dst = dst.data;
  local.a = a.data;
  local.b = b.data;
  local.bytes = dst.bytes;
  local.count = count;
  local.dtype = dtype;
  local.op = op;
  local_.push_back(local);
}

void VerbsTransport::post_copy(MemRegion dst, MemRegion src, CompletionListener& listener,
                               std::uint64_t cookie) {
  if (dst.bytes != src.bytes) {
    throw std::invalid_argument("verbs post_copy: regions of " + std::to_string(dst.bytes) +
                                " and " + std::to_string(src.bytes) + " bytes");
  }
  LocalOp local;
  local.listener = &listener;
  local.cookie = cookie;
  local.dst = dst.data;
  local.a = src.data;
  local.copy = true;
  local.bytes = dst.bytes;
  local_.push_back(local);
}

void VerbsTransport::match(std::int32_t peer, std::uint32_t send, const Cts& grant) {
  SendOp& op = sends_[send];
  if (grant.bytes != op.bytes) {
    throw TransportError("verbs: rank " + std::to_string(peer) + " grants " +
                         std::to_string(grant.bytes) + " bytes for tag " +
                         std::to_string(grant.tag) + " but rank " + std::to_string(rank_) +
                         " sends " + std::to_string(op.bytes));
  }
  op.matched = true;
  op.grant = grant;
  peers_[static_cast<std::size_t>(peer)].writes.push(send);
  pump_writes(peer);
}

// Posts write parts of matched sends, in order, while the send queue has room. All parts but
// the last are plain RDMA writes; the last carries the receiver's slot as immediate, and RC
// ordering makes its arrival imply the earlier parts'.
void VerbsTransport::pump_writes(std::int32_t peer) {
  Peer& p = peers_[static_cast<std::size_t>(peer)];
  while (!p.writes.empty() && p.sq_used < sq_depth_) {
    const std::uint32_t slot = p.writes.front();
    SendOp& op = sends_[slot];
    const std::uint64_t offset = op.parts_posted * max_write_;
    const std::uint64_t length = std::min(max_write_, op.bytes - offset);
    const bool last = op.parts_posted + 1 == op.parts;
    ibv_sge sge{};
    sge.addr = reinterpret_cast<std::uintptr_t>(op.data) + offset;
    sge.length = static_cast<std::uint32_t>(length);
    sge.lkey = op.lkey;
    ibv_send_wr wr{};
    wr.wr_id = wr_id(WrKind::kWrite, peer, slot);
    wr.sg_list = length == 0 ? nullptr : &sge;
    wr.num_sge = length == 0 ? 0 : 1;
    wr.opcode = last ? IBV_WR_RDMA_WRITE_WITH_IMM : IBV_WR_RDMA_WRITE;
    wr.send_flags = IBV_SEND_SIGNALED;
    if (last) wr.imm_data = htobe32(op.grant.slot);
    wr.wr.rdma.remote_addr = op.grant.addr + offset;
    wr.wr.rdma.rkey = op.grant.rkey;
    ibv_send_wr* bad = nullptr;
    if (const int rc = ibv_post_send(p.qp.get(), &wr, &bad); rc != 0) {
      throw_call_error("ibv_post_send", rc, "RDMA write to rank " + std::to_string(peer));
    }
    ++p.sq_used;
    if (++op.parts_posted == op.parts) p.writes.pop();
  }
}

// Sends the CTS of waiting receives while fewer than max_grants_ are outstanding towards the
// peer (which bounds the peer's receive-queue use) and the send queue has room.
void VerbsTransport::pump_grants(std::int32_t peer) {
  Peer& p = peers_[static_cast<std::size_t>(peer)];
  while (!p.grants_to_send.empty() && p.cts_out < max_grants_ && p.sq_used < sq_depth_) {
    const std::uint32_t slot = p.grants_to_send.front();
    p.grants_to_send.pop();
    RecvOp& op = recvs_[slot];
    op.granted = true;
    Cts* cts = cts_buffer(peer, p.cts_ring);
    p.cts_ring = (p.cts_ring + 1) % sq_depth_;
    cts->tag = op.tag;
    cts->addr = reinterpret_cast<std::uintptr_t>(op.data);
    cts->bytes = op.bytes;
    cts->rkey = op.rkey;
    cts->slot = slot;
    ibv_sge sge{};
    sge.addr = reinterpret_cast<std::uintptr_t>(cts);
    sge.length = sizeof(Cts);
    sge.lkey = control_mr_->lkey;
    ibv_send_wr wr{};
    wr.wr_id = wr_id(WrKind::kCtsSend, peer, 0);
    wr.sg_list = &sge;
    wr.num_sge = 1;
    wr.opcode = IBV_WR_SEND;
    wr.send_flags = IBV_SEND_SIGNALED;
    ibv_send_wr* bad = nullptr;
    if (const int rc = ibv_post_send(p.qp.get(), &wr, &bad); rc != 0) {
      throw_call_error("ibv_post_send", rc, "clear-to-send to rank " + std::to_string(peer));
    }
    ++p.sq_used;
    ++p.cts_out;
  }
}

std::size_t VerbsTransport::handle(const ibv_wc& wc) {
  const WrKind kind = wr_kind(wc.wr_id);
  const std::int32_t peer = wr_peer(wc.wr_id);
  if (wc.status != IBV_WC_SUCCESS) {
    const char* what = kind == WrKind::kRecvBuffer ? "a receive from"
                       : kind == WrKind::kCtsSend  ? "a clear-to-send to"
                                                   : "an RDMA write to";
    throw TransportError("verbs: rank " + std::to_string(rank_) + ": " + what + " rank " +
                         std::to_string(peer) + " failed: " + ibv_wc_status_str(wc.status) +
                         " (vendor error " + std::to_string(wc.vendor_err) + ")");
  }
  Peer& p = peers_[static_cast<std::size_t>(peer)];
  switch (kind) {
    case WrKind::kCtsSend:
      --p.sq_used;
      pump_writes(peer);
      pump_grants(peer);
      return 0;
    case WrKind::kWrite: {
      --p.sq_used;
      const std::uint32_t slot = wr_index(wc.wr_id);
      SendOp& op = sends_[slot];
      std::size_t delivered = 0;
      if (++op.parts_done == op.parts) {
        CompletionListener* listener = op.listener;
        const std::uint64_t cookie = op.cookie;
        sends_.release(slot);
        listener->on_complete(cookie);
        delivered = 1;
      }
      pump_writes(peer);
      pump_grants(peer);
      return delivered;
    }
    case WrKind::kRecvBuffer: {
      const std::uint32_t index = wr_index(wc.wr_id);
      if (wc.opcode == IBV_WC_RECV) {  // a CTS from the peer
        Cts grant;
        std::memcpy(&grant, recv_buffer(peer, index), sizeof grant);
        post_recv_buffer(peer, index);
        for (std::size_t i = 0; i < p.unmatched_sends.size(); ++i) {
          const std::uint32_t send = p.unmatched_sends[i];
          if (sends_[send].tag == grant.tag) {
            p.unmatched_sends.erase(p.unmatched_sends.begin() + static_cast<std::ptrdiff_t>(i));
            match(peer, send, grant);
            return 0;
          }
        }
        p.unmatched_grants.push_back(grant);
        return 0;
      }
      // Data: the last write of a message, naming the receive slot in the immediate.
      post_recv_buffer(peer, index);
      const std::uint32_t slot = be32toh(wc.imm_data);
      if (!(wc.wc_flags & IBV_WC_WITH_IMM) || !recvs_.is_live(slot) || recvs_[slot].peer != peer ||
          !recvs_[slot].granted) {
        throw TransportError("verbs: rank " + std::to_string(rank_) +
                             ": unexpected write from rank " + std::to_string(peer) +
                             " (immediate " + std::to_string(slot) + ")");
      }
      CompletionListener* listener = recvs_[slot].listener;
      const std::uint64_t cookie = recvs_[slot].cookie;
      recvs_.release(slot);
      --p.cts_out;
      pump_grants(peer);
      listener->on_complete(cookie);
      return 1;
    }
  }
  return 0;
}

std::size_t VerbsTransport::progress() {
  std::size_t delivered = 0;
  bool moved = false;
  ibv_wc wcs[32];
  for (;;) {
    const int n = ibv_poll_cq(cq_.get(), 32, wcs);
    if (n < 0) throw_call_error("ibv_poll_cq", -n);
    if (n == 0) break;
    moved = true;
    for (int i = 0; i < n; ++i)
      delivered += handle(wcs[i]);
  }
  if (!local_.empty()) {
    moved = true;
    local_now_.swap(local_);
    for (const LocalOp& op : local_now_) {
      if (op.copy) {
        if (op.bytes != 0) std::memmove(op.dst, op.a, op.bytes);
      } else {
        local::reduce_elements(op.dst, op.a, op.b, op.count, op.dtype, op.op);
      }
      op.listener->on_complete(op.cookie);
      ++delivered;
    }
    local_now_.clear();
  }
  if (moved) {
    active_ = true;
    empty_polls_ = 0;
  } else if (++empty_polls_ == kClockPolls) {
    empty_polls_ = 0;
    const auto now = SteadyClock::now();
    if (active_ || idle()) {
      last_activity_ = now;
      active_ = false;
    } else if (now - last_activity_ > timeout_) {
      throw TransportError("verbs: rank " + std::to_string(rank_) + ": nothing completed for " +
                           std::to_string(timeout_.count()) +
                           " ms with work outstanding: " + describe_outstanding());
    }
  }
  return delivered;
}

std::string VerbsTransport::describe_outstanding() const {
  std::string out;
  for (std::int32_t peer = 0; peer < nranks_; ++peer) {
    if (peer == rank_) continue;
    const Peer& p = peers_[static_cast<std::size_t>(peer)];
    std::string what;
    const auto add = [&what](std::size_t n, const char* text) {
      if (n == 0) return;
      what += (what.empty() ? "" : ", ") + std::to_string(n) + text;
    };
    add(p.unmatched_sends.size(), " send(s) waiting for its clear-to-send");
    add(p.writes.size(), " matched send(s) queued");
    add(p.sq_used, " work request(s) in the send queue (unacknowledged)");
    add(p.cts_out, " receive(s) granted and waiting for data");
    add(p.grants_to_send.size(), " receive(s) not yet granted");
    if (what.empty()) continue;
    out += (out.empty() ? "" : "; ") + ("rank " + std::to_string(peer) + ": ") + what;
  }
  return out.empty() ? "sends in flight" : out;
}

}  // namespace

std::unique_ptr<HwTransport> make_verbs_transport(const VerbsOptions& options,
                                                  Bootstrap& bootstrap) {
  return std::make_unique<VerbsTransport>(options, bootstrap);
}

}  // namespace fabricsim::workloads::hw
