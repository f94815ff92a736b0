// Opening a verbs device, choosing its GID and connecting RC queue pairs (verbs_setup.hpp).
#include "workloads/transports/hw/verbs_setup.hpp"

#include <algorithm>
#include <cstring>
#include <system_error>
#include <vector>

namespace fabricsim::workloads::hw {

namespace {

bool ipv4_mapped(const std::array<std::uint8_t, 16>& gid) {
  for (std::size_t i = 0; i < 10; ++i) {
    if (gid[i] != 0) return false;
  }
  return gid[10] == 0xff && gid[11] == 0xff;
}

}  // namespace

std::uint32_t choose_gid_index(std::span<const GidEntry> table, bool ethernet,
                               const std::string& device) {
  if (!ethernet) return 0;
  const auto first = [&](auto&& predicate) -> const GidEntry* {
    for (const GidEntry& entry : table) {
      if (predicate(entry)) return &entry;
    }
    return nullptr;
  };
  const auto v2 = [](const GidEntry& e) { return e.type == GidEntry::Type::kRoceV2; };
  const GidEntry* chosen = first([&](const GidEntry& e) { return v2(e) && ipv4_mapped(e.gid); });
  if (chosen == nullptr) chosen = first(v2);
  if (chosen == nullptr) {
    chosen = first([](const GidEntry& e) { return e.type == GidEntry::Type::kRoceV1; });
  }
  if (chosen == nullptr) {
    throw TransportError("verbs: device " + device +
                         " is an Ethernet (RoCE) port without a usable GID (no address "
                         "assigned to its network interface?); pass a GID index explicitly");
  }
  return chosen->index;
}

namespace verbs {

void throw_call_error(const char* call, int error, const std::string& what) {
  std::string message =
      std::string("verbs: ") + call + " failed: " + std::system_category().message(error);
  if (!what.empty()) message += " (" + what + ")";
  throw TransportError(message);
}

namespace {

struct DeviceList {
  ibv_device** devices = nullptr;
  int count = 0;
  int error = 0;  // why the list is empty (ENOSYS: the kernel has no RDMA support)
  DeviceList() {
    devices = ibv_get_device_list(&count);
    if (devices == nullptr) {
      error = errno;
      count = 0;
    }
  }
  ~DeviceList() {
    if (devices != nullptr) ibv_free_device_list(devices);
  }
  DeviceList(const DeviceList&) = delete;
  DeviceList& operator=(const DeviceList&) = delete;
};

// Every valid GID of `port`, in one call (one query per index would cost a system call for
// each of the table's often 1,024 mostly empty slots).
std::vector<GidEntry> read_gid_table(const Device& device) {
  const std::size_t capacity = static_cast<std::size_t>(device.attr.phys_port_cnt) *
                               static_cast<std::size_t>(device.port_attr.gid_tbl_len);
  std::vector<ibv_gid_entry> entries(std::max<std::size_t>(capacity, 1));
  const ssize_t found =
      ibv_query_gid_table(device.context.get(), entries.data(), entries.size(), 0);
  if (found < 0) throw_call_error("ibv_query_gid_table", static_cast<int>(-found), device.name);
  std::vector<GidEntry> table;
  for (std::size_t i = 0; i < static_cast<std::size_t>(found); ++i) {
    const ibv_gid_entry& entry = entries[i];
    if (entry.port_num != device.port) continue;
    GidEntry out;
    out.index = entry.gid_index;
    out.type = entry.gid_type == IBV_GID_TYPE_ROCE_V2   ? GidEntry::Type::kRoceV2
               : entry.gid_type == IBV_GID_TYPE_ROCE_V1 ? GidEntry::Type::kRoceV1
                                                        : GidEntry::Type::kIb;
    std::memcpy(out.gid.data(), entry.gid.raw, out.gid.size());
    if (std::all_of(out.gid.begin(), out.gid.end(), [](std::uint8_t b) { return b == 0; })) {
      continue;
    }
    table.push_back(out);
  }
  std::sort(table.begin(), table.end(),
            [](const GidEntry& a, const GidEntry& b) { return a.index < b.index; });
  return table;
}

}  // namespace

Device open_device(const VerbsOptions& options) {
  DeviceList list;
  if (list.count == 0) {
    throw TransportError(
        std::string("verbs: no RDMA device found (ibv_get_device_list: ") +
        (list.error != 0 ? std::system_category().message(list.error) : "an empty list") +
        "; is an RDMA driver or rdma_rxe loaded and ibverbs-providers installed?)");
  }
  ibv_device* chosen = nullptr;
  std::string names;
  for (int i = 0; i < list.count; ++i) {
    const char* name = ibv_get_device_name(list.devices[i]);
    names += (i ? ", " : "") + std::string(name);
    if (chosen == nullptr && (options.device.empty() || options.device == name)) {
      chosen = list.devices[i];
    }
  }
  if (chosen == nullptr) {
    throw TransportError("verbs: no RDMA device named '" + options.device + "' (found: " + names +
                         ")");
  }
  Device device;
  device.name = ibv_get_device_name(chosen);
  device.port = options.port;
  device.context.reset(ibv_open_device(chosen));
  if (!device.context) throw_call_error("ibv_open_device", errno, device.name);
  if (const int rc = ibv_query_device(device.context.get(), &device.attr); rc != 0) {
    throw_call_error("ibv_query_device", rc, device.name);
  }
  if (options.port < 1 || options.port > device.attr.phys_port_cnt) {
    throw TransportError("verbs: device " + device.name + " has no port " +
                         std::to_string(options.port) + " (ports 1.." +
                         std::to_string(device.attr.phys_port_cnt) + ")");
  }
  if (const int rc = ibv_query_port(device.context.get(), options.port, &device.port_attr);
      rc != 0) {
    throw_call_error("ibv_query_port", rc, device.name);
  }
  if (device.port_attr.state != IBV_PORT_ACTIVE) {
    throw TransportError("verbs: port " + std::to_string(options.port) + " of " + device.name +
                         " is not active (state " + ibv_port_state_str(device.port_attr.state) +
                         ")");
  }
  device.ethernet = device.port_attr.link_layer == IBV_LINK_LAYER_ETHERNET;
  if (options.gid_index >= 0) {
    if (options.gid_index >= device.port_attr.gid_tbl_len) {
      throw TransportError("verbs: GID index " + std::to_string(options.gid_index) +
                           " out of range for " + device.name + " port " +
                           std::to_string(options.port) + " (table length " +
                           std::to_string(device.port_attr.gid_tbl_len) + ")");
    }
    device.gid_index = static_cast<std::uint32_t>(options.gid_index);
  } else {
    const auto table = read_gid_table(device);
    device.gid_index = choose_gid_index(table, device.ethernet, device.name);
  }
  if (const int rc = ibv_query_gid(device.context.get(), options.port,
                                   static_cast<int>(device.gid_index), &device.gid);
      rc != 0) {
    throw_call_error("ibv_query_gid", rc,
                     device.name + " GID index " + std::to_string(device.gid_index));
  }
  return device;
}

void init_qp(ibv_qp* qp, const Device& device) {
  ibv_qp_attr attr{};
  attr.qp_state = IBV_QPS_INIT;
  attr.pkey_index = 0;
  attr.port_num = device.port;
  attr.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE;
  const int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS;
  if (const int rc = ibv_modify_qp(qp, &attr, mask); rc != 0) {
    throw_call_error("ibv_modify_qp", rc, "RESET -> INIT");
  }
}

void connect_qp(ibv_qp* qp, const Device& device, const QpAddress& local, const QpAddress& remote,
                std::int32_t peer) {
  const std::string to_peer = " towards rank " + std::to_string(peer);
  ibv_qp_attr rtr{};
  rtr.qp_state = IBV_QPS_RTR;
  rtr.path_mtu = static_cast<ibv_mtu>(std::min(local.mtu, remote.mtu));
  rtr.dest_qp_num = remote.qpn;
  rtr.rq_psn = remote.psn;
  rtr.max_dest_rd_atomic = 1;
  rtr.min_rnr_timer = 12;
  rtr.ah_attr.port_num = device.port;
  rtr.ah_attr.dlid = remote.lid;
  if (device.ethernet) {
    rtr.ah_attr.is_global = 1;
    std::memcpy(rtr.ah_attr.grh.dgid.raw, remote.gid, sizeof(remote.gid));
    rtr.ah_attr.grh.sgid_index = static_cast<std::uint8_t>(device.gid_index);
    rtr.ah_attr.grh.hop_limit = 64;
  }
  const int rtr_mask = IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
                       IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
  if (const int rc = ibv_modify_qp(qp, &rtr, rtr_mask); rc != 0) {
    throw_call_error("ibv_modify_qp", rc, "INIT -> RTR" + to_peer);
  }
  ibv_qp_attr rts{};
  rts.qp_state = IBV_QPS_RTS;
  rts.sq_psn = local.psn;
  rts.timeout = 14;  // 4.096 us x 2^14 = 67 ms per try
  rts.retry_cnt = 7;
  // The CTS protocol never lets a message find the receive queue empty, so a receiver-not-
  // ready NAK is a bug: fail at once (IBV_WC_RNR_RETRY_EXC_ERR) instead of retrying it away.
  rts.rnr_retry = 0;
  rts.max_rd_atomic = 1;
  const int rts_mask = IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
                       IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC;
  if (const int rc = ibv_modify_qp(qp, &rts, rts_mask); rc != 0) {
    throw_call_error("ibv_modify_qp", rc, "RTR -> RTS" + to_peer);
  }
}

}  // namespace verbs
}  // namespace fabricsim::workloads::hw
