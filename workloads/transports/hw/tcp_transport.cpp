// The tcp HwTransport: connection set-up through the Bootstrap, then non-blocking framed
// messages driven by poll() in progress() (see tcp_transport.hpp).
#include "workloads/transports/hw/tcp_transport.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "workloads/transports/local/check.hpp"

namespace fabricsim::workloads::hw {

namespace {

constexpr std::uint32_t kHelloMagic = 0x46535444;  // "FSTD"
constexpr std::uint64_t kHeaderBytes = 16;
// The tag of a failure notice: its payload is the text of the error that stops the sender.
// (Schedule tags never reach it: it would take channel and tag space 65535 and sequence 2^32-1.)
constexpr std::uint64_t kNoticeTag = ~std::uint64_t{0};
constexpr std::uint64_t kMaxNoticeBytes = 4096;
constexpr int kMaxIov = 64;

struct Hello {
  std::uint32_t magic = kHelloMagic;
  std::int32_t rank = 0;
};

}  // namespace

TcpTransport::TcpTransport(Bootstrap& bootstrap, const SocketAddress& bind_address,
                           const TcpTransportOptions& options)
    : rank_(bootstrap.rank()),
      nranks_(bootstrap.nranks()),
      options_(options),
      peers_(static_cast<std::size_t>(bootstrap.nranks())) {
  if (options.timeout.count() <= 0) throw std::invalid_argument("the timeout must be positive");
  connect_peers(bootstrap, bind_address);
  last_activity_ = SteadyClock::now();
}

TcpTransport::~TcpTransport() = default;

std::string TcpTransport::peer_text(std::int32_t rank) const {
  return "rank " + std::to_string(rank);
}

void TcpTransport::connect_peers(Bootstrap& bootstrap, const SocketAddress& bind_address) {
  const std::string me = "rank " + std::to_string(rank_);
  SocketAddress where = bind_address;
  where.set_port(0);
  Fd listener = make_tcp_socket(where.storage.ss_family);
  if (::bind(listener.get(), where.get(), where.length) < 0) {
    throw TransportError(me + ": bind() to " + where.text() + ": " + errno_text(errno));
  }
  if (::listen(listener.get(), nranks_) < 0) {
    throw TransportError(me + ": listen(): " + errno_text(errno));
  }
  const SocketAddress mine = local_address(listener.get());
  const auto* raw = reinterpret_cast<const std::byte*>(&mine);
  const std::vector<std::byte> all = bootstrap.allgather({raw, sizeof mine});
  std::vector<SocketAddress> addresses(peers_.size());
  for (std::size_t r = 0; r < peers_.size(); ++r) {
    std::memcpy(&addresses[r], all.data() + r * sizeof(SocketAddress), sizeof(SocketAddress));
  }

  // The higher rank of each pair connects; the listen backlog holds connections that arrive
  // before the lower rank accepts, so every rank can connect first and accept afterwards.
  const auto deadline = SteadyClock::now() + options_.timeout;
  for (std::int32_t q = 0; q < rank_; ++q) {
    const SocketAddress& to = addresses[static_cast<std::size_t>(q)];
    Fd fd = make_tcp_socket(to.storage.ss_family);
    int error = 0;
    if (::connect(fd.get(), to.get(), to.length) < 0) {
      error = errno;
      if (error == EINPROGRESS) {
        pollfd p{fd.get(), POLLOUT, 0};
        error = ::poll(&p, 1, ms_until(deadline)) > 0 ? 0 : ETIMEDOUT;
        socklen_t length = sizeof error;
        if (error == 0) ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
      }
    }
    const Hello hello{kHelloMagic, rank_};
    if (error == 0 && send_all(fd.get(), &hello, sizeof hello, deadline, error) != IoStatus::kOk &&
        error == 0) {
      error = ECONNRESET;
    }
    if (error != 0) {
      throw TransportError(me + " could not connect to rank " + std::to_string(q) + " at " +
                           to.text() + ": " + errno_text(error));
    }
    peers_[static_cast<std::size_t>(q)].fd = std::move(fd);
  }
  for (std::int32_t accepted = 0; accepted < nranks_ - 1 - rank_;) {
    pollfd p{listener.get(), POLLIN, 0};
    const int rc = ::poll(&p, 1, ms_until(deadline));
    if (rc <= 0 && SteadyClock::now() >= deadline) {
      std::string missing;
      for (std::int32_t q = rank_ + 1; q < nranks_; ++q) {
        if (!peers_[static_cast<std::size_t>(q)].fd.valid()) {
          missing += (missing.empty() ? "" : ", ") + std::to_string(q);
        }
      }
      throw TransportError("rank(s) " + missing + " did not connect to " + me + " at " +
                           mine.text() + " within " + duration_text(options_.timeout));
    }
    if (rc <= 0) continue;
    Fd fd(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) continue;
    Hello hello;
    int error = 0;
    if (recv_all(fd.get(), &hello, sizeof hello, deadline, error) != IoStatus::kOk ||
        hello.magic != kHelloMagic) {
      continue;  // not one of this job's ranks
    }
    if (hello.rank <= rank_ || hello.rank >= nranks_ ||
        peers_[static_cast<std::size_t>(hello.rank)].fd.valid()) {
      throw TransportError(me + ": unexpected data connection from rank " +
                           std::to_string(hello.rank));
    }
    peers_[static_cast<std::size_t>(hello.rank)].fd = std::move(fd);
    ++accepted;
  }
  for (std::int32_t q = 0; q < nranks_; ++q) {
    if (q != rank_) set_nodelay(peers_[static_cast<std::size_t>(q)].fd.get());
  }
}

TcpTransport::Peer& TcpTransport::peer_for(std::int32_t peer, const char* call) {
  if (peer < 0 || peer >= nranks_ || peer == rank_) {
    throw std::invalid_argument(std::string(call) + ": rank " + std::to_string(rank_) +
                                " cannot address peer " + std::to_string(peer));
  }
  Peer& p = peers_[static_cast<std::size_t>(peer)];
  if (p.closed) {
    const TransportError error(peer_text(peer) + " closed the connection; rank " +
                               std::to_string(rank_) + " still has data to exchange with it (" +
                               call + ")");
    tell_peers(error.what());
    throw error;
  }
  return p;
}

void TcpTransport::post_send(std::int32_t peer, MemRegion src, std::uint64_t tag,
                             CompletionListener& listener, std::uint64_t cookie) {
  Peer& p = peer_for(peer, "post_send");
  Send send;
  send.header[0] = tag;
  send.header[1] = src.bytes;
  send.src = src;
  send.done = {&listener, cookie};
  p.sends.push_back(send);
  ++outstanding_;
}

void TcpTransport::post_recv(std::int32_t peer, MemRegion dst, std::uint64_t tag,
                             CompletionListener& listener, std::uint64_t cookie) {
  Peer& p = peer_for(peer, "post_recv");
  ++outstanding_;
  const Recv recv{tag, dst, {&listener, cookie}};
  // The oldest message with this tag that arrived before any receive took it.
  for (std::size_t i = 0; i < p.unexpected.size(); ++i) {
    Unexpected& u = pool_[p.unexpected[i]];
    if (u.claimed || u.tag != tag) continue;
    if (u.bytes != dst.bytes) {
      throw TransportError(peer_text(peer) + " sent " + std::to_string(u.bytes) +
                           " bytes with tag " + std::to_string(tag) + ", rank " +
                           std::to_string(rank_) + " posted a receive of " +
                           std::to_string(dst.bytes));
    }
    if (!u.complete) {
      u.claimed = true;
      u.recv = recv;
      return;
    }
    std::memcpy(dst.data, u.data.data(), u.bytes);
    free_unexpected_.push_back(p.unexpected[i]);
    p.unexpected.erase(p.unexpected.begin() + static_cast<std::ptrdiff_t>(i));
    --outstanding_;
    completions_.push_back(recv.done);
    return;
  }
  p.recvs.push_back(recv);
}

void TcpTransport::post_reduce(MemRegion dst, MemRegion a, MemRegion b, std::uint64_t count,
                               DataType dtype, ReduceOp op, CompletionListener& listener,
                               std::uint64_t cookie) {
  LocalOp local;
  local.reduce = true;
  local.dst = dst;
  local.a = a;
  local.b = b;
  local.count = count;
  local.dtype = dtype;
  local.op = op;
  local.done = {&listener, cookie};
  local_ops_.push_back(local);
}

void TcpTransport::post_copy(MemRegion dst, MemRegion src, CompletionListener& listener,
                             std::uint64_t cookie) {
  LocalOp local;
  local.dst = dst;
  local.a = src;
  local.done = {&listener, cookie};
  local_ops_.push_back(local);
}

void TcpTransport::register_memory(std::byte* /*data*/, std::uint64_t /*bytes*/) {}

void TcpTransport::run_local_ops() {
  if (local_ops_.empty()) return;
  running_ops_.clear();
  std::swap(running_ops_, local_ops_);
  for (const LocalOp& op : running_ops_) {
    if (op.reduce) {
      local::reduce_elements(op.dst.data, op.a.data, op.b.data, op.count, op.dtype, op.op);
    } else if (op.dst.bytes > 0) {
      std::memcpy(op.dst.data, op.a.data, op.dst.bytes);
    }
    completions_.push_back(op.done);
  }
  last_activity_ = SteadyClock::now();
}

std::size_t TcpTransport::progress() {
  try {
    return progress_once();
  } catch (const TransportError& e) {
    // A notice is passed on too (its root cause, not this rank's wording): a rank that leaves
    // because of it closes its connections, and a peer must read the cause before that close.
    tell_peers(failed_by_notice_ ? notice_cause_ : std::string(e.what()));
    throw;
  }
}

std::size_t TcpTransport::progress_once() {
  run_local_ops();
  pollfds_.clear();
  poll_ranks_.clear();
  for (std::int32_t q = 0; q < nranks_; ++q) {
    const Peer& p = peers_[static_cast<std::size_t>(q)];
    if (q == rank_ || p.closed) continue;
    const bool sending = p.send_head < p.sends.size();
    pollfds_.push_back({p.fd.get(), static_cast<short>(POLLIN | (sending ? POLLOUT : 0)), 0});
    poll_ranks_.push_back(q);
  }
  int wait_ms = 0;
  if (completions_.empty() && local_ops_.empty() && outstanding_ > 0) {
    const auto stall_deadline = last_activity_ + options_.timeout;
    wait_ms = std::min(ms_until(stall_deadline), static_cast<int>(options_.idle_wait.count()));
  }
  if (!pollfds_.empty()) {
    const int rc = ::poll(pollfds_.data(), pollfds_.size(), wait_ms);
    if (rc < 0 && errno != EINTR) {
      throw TransportError("rank " + std::to_string(rank_) + ": poll(): " + errno_text(errno));
    }
    // A peer's failure notice names the root cause; a connection closed in the same round may
    // be a consequence of it (its sender already gone), so a notice is reported first.
    std::optional<TransportError> closed;
    for (std::size_t i = 0; rc > 0 && i < pollfds_.size(); ++i) {
      const short revents = pollfds_[i].revents;
      try {
        if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) read_from(poll_ranks_[i]);
        if ((revents & POLLOUT) != 0 && !peers_[static_cast<std::size_t>(poll_ranks_[i])].closed) {
          write_to(poll_ranks_[i]);
        }
      } catch (const TransportError& e) {
        if (failed_by_notice_) throw;
        if (!closed) closed = e;
      }
    }
    if (closed) throw *closed;
  }
  check_stall();
  delivering_.clear();
  std::swap(delivering_, completions_);
  for (const Completion& done : delivering_)
    done.listener->on_complete(done.cookie);
  return delivering_.size();
}

void TcpTransport::read_from(std::int32_t rank) {
  Peer& p = peers_[static_cast<std::size_t>(rank)];
  while (!p.closed) {
    ssize_t n = 0;
    if (p.header_got < kHeaderBytes) {
      n = ::recv(p.fd.get(), reinterpret_cast<std::byte*>(p.header) + p.header_got,
                 kHeaderBytes - p.header_got, 0);
    } else {
      n = ::recv(p.fd.get(), p.target, std::min<std::uint64_t>(p.payload_left, 1U << 30), 0);
    }
    if (n > 0) {
      last_activity_ = SteadyClock::now();
      const auto got = static_cast<std::uint64_t>(n);
      if (p.header_got < kHeaderBytes) {
        p.header_got += got;
        if (p.header_got == kHeaderBytes) start_message(rank);
      } else {
        p.target += got;
        p.payload_left -= got;
        if (p.payload_left == 0) finish_message(rank);
      }
      continue;
    }
    if (n == 0) {
      peer_closed(rank, "closed the connection");
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    if (errno == ECONNRESET || errno == EPIPE) {
      peer_closed(rank, "reset the connection");
      return;
    }
    throw TransportError("rank " + std::to_string(rank_) + ": recv() from " + peer_text(rank) +
                         ": " + errno_text(errno));
  }
}

void TcpTransport::start_message(std::int32_t rank) {
  Peer& p = peers_[static_cast<std::size_t>(rank)];
  const std::uint64_t tag = p.header[0];
  const std::uint64_t bytes = p.header[1];
  if (tag == kNoticeTag) {
    std::string text(std::min(bytes, kMaxNoticeBytes), '\0');
    int error = 0;
    recv_all(p.fd.get(), text.data(), text.size(), SteadyClock::now() + std::chrono::seconds(1),
             error);
    failed_by_notice_ = true;
    notice_cause_ = text;
    throw TransportError(text + " (reported by " + peer_text(rank) + ")");
  }
  p.payload_left = bytes;
  const auto match =
      std::find_if(p.recvs.begin(), p.recvs.end(), [tag](const Recv& r) { return r.tag == tag; });
  if (match != p.recvs.end()) {
    if (match->dst.bytes != bytes) {
      throw TransportError(peer_text(rank) + " sent " + std::to_string(bytes) + " bytes with tag " +
                           std::to_string(tag) + ", rank " + std::to_string(rank_) +
                           " posted a receive of " + std::to_string(match->dst.bytes));
    }
    p.into_unexpected = false;
    p.target = match->dst.data;
    p.target_done = match->done;
    p.recvs.erase(match);
  } else {
    std::uint32_t index = 0;
    if (free_unexpected_.empty()) {
      index = static_cast<std::uint32_t>(pool_.size());
      pool_.emplace_back();
    } else {
      index = free_unexpected_.back();
      free_unexpected_.pop_back();
    }
    Unexpected& u = pool_[index];
    u.tag = tag;
    u.bytes = bytes;
    u.complete = false;
    u.claimed = false;
    u.data.resize(bytes);  // keeps the capacity of earlier messages
    p.unexpected.push_back(index);
    p.into_unexpected = true;
    p.unexpected_index = index;
    p.target = u.data.data();
    ++unexpected_total_;
  }
  if (bytes == 0) finish_message(rank);
}

void TcpTransport::finish_message(std::int32_t rank) {
  Peer& p = peers_[static_cast<std::size_t>(rank)];
  p.header_got = 0;
  p.target = nullptr;
  if (!p.into_unexpected) {
    --outstanding_;
    completions_.push_back(p.target_done);
    return;
  }
  Unexpected& u = pool_[p.unexpected_index];
  u.complete = true;
  if (!u.claimed) return;
  // A receive was posted while the message was still arriving.
  if (u.bytes > 0) std::memcpy(u.recv.dst.data, u.data.data(), u.bytes);
  --outstanding_;
  completions_.push_back(u.recv.done);
  const auto at = std::find(p.unexpected.begin(), p.unexpected.end(), p.unexpected_index);
  p.unexpected.erase(at);
  free_unexpected_.push_back(p.unexpected_index);
}

void TcpTransport::write_to(std::int32_t rank) {
  Peer& p = peers_[static_cast<std::size_t>(rank)];
  iovec iov[kMaxIov];
  while (p.send_head < p.sends.size()) {
    int count = 0;
    std::uint64_t skip = p.send_offset;
    for (std::size_t i = p.send_head; i < p.sends.size() && count + 2 <= kMaxIov; ++i) {
      Send& s = p.sends[i];
      if (skip < kHeaderBytes) {
        iov[count++] = {reinterpret_cast<std::byte*>(s.header) + skip, kHeaderBytes - skip};
        skip = 0;
      } else {
        skip -= kHeaderBytes;
      }
      if (s.src.bytes > skip) iov[count++] = {s.src.data + skip, s.src.bytes - skip};
      skip = 0;
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = static_cast<std::size_t>(count);
    const ssize_t n = ::sendmsg(p.fd.get(), &message, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EPIPE || errno == ECONNRESET) {
        peer_closed(rank, "closed the connection");
        return;
      }
      throw TransportError("rank " + std::to_string(rank_) + ": sendmsg() to " + peer_text(rank) +
                           ": " + errno_text(errno));
    }
    last_activity_ = SteadyClock::now();
    auto written = static_cast<std::uint64_t>(n);
    while (written > 0) {
      Send& s = p.sends[p.send_head];
      const std::uint64_t left = kHeaderBytes + s.src.bytes - p.send_offset;
      if (written < left) {
        p.send_offset += written;
        break;
      }
      written -= left;
      p.send_offset = 0;
      ++p.send_head;
      --outstanding_;
      completions_.push_back(s.done);  // the payload is in the kernel: the region is free
    }
    if (p.send_head == p.sends.size()) {
      p.sends.clear();
      p.send_head = 0;
    }
  }
}

std::size_t TcpTransport::receives_pending(const Peer& p) const {
  std::size_t receives = p.recvs.size();
  for (const std::uint32_t index : p.unexpected) {
    if (pool_[index].claimed) ++receives;
  }
  return receives;
}

void TcpTransport::peer_closed(std::int32_t rank, const std::string& how) {
  Peer& p = peers_[static_cast<std::size_t>(rank)];
  p.closed = true;
  p.fd.reset();
  const std::size_t receives = receives_pending(p);
  const std::size_t sends = p.sends.size() - p.send_head;
  const bool partial = p.header_got > 0;
  if (receives == 0 && sends == 0 && !partial) return;  // nothing more was expected from it
  throw TransportError(peer_text(rank) + " " + how + " while rank " + std::to_string(rank_) +
                       " waited for " + std::to_string(receives) + " receive(s) and " +
                       std::to_string(sends) + " send(s) with it" +
                       (partial ? " (in the middle of a message)" : ""));
}

void TcpTransport::tell_peers(const std::string& why) noexcept {
  if (told_peers_) return;
  told_peers_ = true;
  const auto deadline =
      SteadyClock::now() + std::min(options_.timeout, std::chrono::milliseconds(1000));
  const std::string text = why.substr(0, kMaxNoticeBytes);
  for (std::int32_t q = 0; q < nranks_; ++q) {
    Peer& p = peers_[static_cast<std::size_t>(q)];
    if (q == rank_ || p.closed || !p.fd.valid()) continue;
    const int fd = p.fd.get();
    int error = 0;
    bool ok = true;
    if (p.send_offset > 0 && p.send_head < p.sends.size()) {
      // Finish the message in flight, so that the notice starts on a frame boundary.
      const Send& s = p.sends[p.send_head];
      std::uint64_t offset = p.send_offset;
      if (offset < kHeaderBytes) {
        ok = send_all(fd, reinterpret_cast<const std::byte*>(s.header) + offset,
                      kHeaderBytes - offset, deadline, error) == IoStatus::kOk;
        offset = kHeaderBytes;
      }
      const std::uint64_t sent = offset - kHeaderBytes;
      if (ok && s.src.bytes > sent) {
        ok = send_all(fd, s.src.data + sent, s.src.bytes - sent, deadline, error) == IoStatus::kOk;
      }
    }
    const std::uint64_t header[2] = {kNoticeTag, text.size()};
    if (ok && send_all(fd, header, sizeof header, deadline, error) == IoStatus::kOk) {
      send_all(fd, text.data(), text.size(), deadline, error);
    }
  }
}

void TcpTransport::check_stall() {
  const auto now = SteadyClock::now();
  if (outstanding_ == 0) {
    last_activity_ = now;
    return;
  }
  if (now - last_activity_ < options_.timeout) return;
  std::string waiting;
  for (std::int32_t q = 0; q < nranks_; ++q) {
    const Peer& p = peers_[static_cast<std::size_t>(q)];
    if (q == rank_) continue;
    const std::size_t receives = receives_pending(p);
    const std::size_t sends = p.sends.size() - p.send_head;
    if (receives == 0 && sends == 0) continue;
    waiting += (waiting.empty() ? "" : ", ") + peer_text(q) + " (" + std::to_string(receives) +
               " receive(s), " + std::to_string(sends) + " send(s))";
  }
  // The ranks waited for need not be the ones that stopped: they may wait themselves for one
  // that has (and this rank may notice the stall before they do), so the text says so.
  throw TransportError("rank " + std::to_string(rank_) + ": nothing moved for " +
                       duration_text(options_.timeout) + "; waiting for " + waiting +
                       ", which stopped or waits in turn for a rank that did");
}

}  // namespace fabricsim::workloads::hw
