// The control plane of the verbs transport: owners of verbs objects, opening a device and
// choosing its GID, and bringing one RC queue pair from RESET to RTS towards a peer whose
// address came through the Bootstrap. Private to workloads/transports/hw/.
#pragma once

#include <infiniband/verbs.h>

#include <cstdint>
#include <memory>
#include <string>

#include "workloads/transports/hw/verbs_transport.hpp"

namespace fabricsim::workloads::hw::verbs {

// Throws TransportError "verbs: CALL failed: <errno text>" (plus `what`, when given).
[[noreturn]] void throw_call_error(const char* call, int error, const std::string& what = "");

struct ContextDeleter {
  void operator()(ibv_context* p) const { ibv_close_device(p); }
};
struct PdDeleter {
  void operator()(ibv_pd* p) const { ibv_dealloc_pd(p); }
};
struct CqDeleter {
  void operator()(ibv_cq* p) const { ibv_destroy_cq(p); }
};
struct QpDeleter {
  void operator()(ibv_qp* p) const { ibv_destroy_qp(p); }
};
struct MrDeleter {
  void operator()(ibv_mr* p) const { ibv_dereg_mr(p); }
};
using Context = std::unique_ptr<ibv_context, ContextDeleter>;
using Pd = std::unique_ptr<ibv_pd, PdDeleter>;
using Cq = std::unique_ptr<ibv_cq, CqDeleter>;
using Qp = std::unique_ptr<ibv_qp, QpDeleter>;
using Mr = std::unique_ptr<ibv_mr, MrDeleter>;

// An open device port and the GID this rank uses on it.
struct Device {
  Context context;
  std::string name;
  std::uint8_t port = 1;
  ibv_device_attr attr{};
  ibv_port_attr port_attr{};
  bool ethernet = false;  // RoCE: addressed by GID (is_global); InfiniBand: by LID
  std::uint32_t gid_index = 0;
  ibv_gid gid{};
};

// Opens options.device (or the first device), queries the port and picks the GID
// (options.gid_index, or choose_gid_index()). The port must be ACTIVE.
Device open_device(const VerbsOptions& options);

// What a rank tells a peer about the queue pair it uses towards that peer (fixed layout: it
// travels through Bootstrap::allgather between processes built from the same source).
struct QpAddress {
  std::uint32_t qpn = 0;
  std::uint32_t psn = 0;
  std::uint16_t lid = 0;
  std::uint8_t mtu = 0;  // ibv_mtu of the port
  std::uint8_t ethernet = 0;
  std::uint32_t max_outstanding_recvs = 0;  // must agree: it sizes the peer's receive queue
  std::uint8_t gid[16] = {};
};
static_assert(sizeof(QpAddress) == 32);

// RESET -> INIT (remote write allowed); receives may be posted from then on.
void init_qp(ibv_qp* qp, const Device& device);
// INIT -> RTR -> RTS towards `remote` (rank `peer`, for messages).
void connect_qp(ibv_qp* qp, const Device& device, const QpAddress& local, const QpAddress& remote,
                std::int32_t peer);

}  // namespace fabricsim::workloads::hw::verbs
