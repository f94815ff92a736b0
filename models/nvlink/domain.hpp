// An NVLink scale-up domain: G GPUs (NVLink side, nvlink_gpu.hpp) and the NVSwitch chips that
// connect them (nvswitch.hpp), the table of messages in flight between its GPUs and the in-switch
// all-reduce operations (NVLS-like). Messages are memory writes over a lossless fabric: no ACKs,
// no retransmission; a message completes on both sides when its last byte has arrived.
//
// In-switch all-reduce model (what post_nvls_allreduce simulates): every GPU pushes its whole
// buffer of S bytes, chunk k on its link k % links (so to chip (k % links) % switches); the chip
// adds the G contributions of a chunk and multicasts the sum to every GPU on the same link
// index. Each GPU sends S and receives S bytes, against 2 (G-1)/G x S each way for a ring, so
// with per-GPU bandwidth B and latency a, T_nvls = S/B + a and T_ring = 2 (G-1) (S/(G B) + a):
// bandwidth-bound, the in-switch all-reduce is 2 (G-1)/G times faster (1.75 for 8 GPUs).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "models/nic/message_observer.hpp"
#include "models/nvlink/nvlink_gpu.hpp"
#include "models/nvlink/nvls_observer.hpp"
#include "models/nvlink/nvswitch.hpp"
#include "models/packet.hpp"
#include "models/params.hpp"
#include "sim/simulator.hpp"

namespace fabricsim::models {

class NvlinkDomain {
 public:
  // `gpus` are the fabric-wide ids of the domain's GPUs (local index = position).
  NvlinkDomain(sim::Simulator& sim, PacketPool& pool, const NvlinkParams& params,
               std::vector<EndpointId> gpus);
  NvlinkDomain(const NvlinkDomain&) = delete;
  NvlinkDomain& operator=(const NvlinkDomain&) = delete;
  ~NvlinkDomain();

  std::uint32_t size() const { return static_cast<std::uint32_t>(ids_.size()); }
  EndpointId gpu_id(std::uint32_t local) const { return ids_[local]; }
  const NvlinkParams& params() const { return params_; }
  void set_observer(MessageObserver* observer) { observer_ = observer; }
  void set_nvls_observer(NvlsObserver* observer) { nvls_observer_ = observer; }

  // Sends `bytes` from local GPU src to local GPU dst now; the observer hears
  // on_message_received at dst and on_message_sent at src when the last byte arrives.
  MessageId send_message(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                         std::uint64_t cookie);
  // Local GPU `local` joins the in-switch all-reduce `cookie` of `bytes` per GPU (every GPU of
  // the domain must post it, with the same size); it pushes its data at once. The NVLS observer
  // hears on_nvls_allreduce_done for each GPU once it holds every reduced chunk.
  void post_nvls_allreduce(std::uint32_t local, std::uint64_t bytes, std::uint64_t cookie);

  NvlinkGpu& gpu(std::uint32_t local) { return *gpus_[local]; }
  std::uint32_t switch_count() const { return static_cast<std::uint32_t>(switches_.size()); }
  NvSwitch& nvswitch(std::uint32_t chip) { return *switches_[chip]; }
  const NvSwitch& nvswitch(std::uint32_t chip) const { return *switches_[chip]; }
  const NvlinkGpu& gpu(std::uint32_t local) const { return *gpus_[local]; }
  std::uint64_t bytes_delivered() const { return bytes_delivered_; }
  std::uint64_t packets_delivered() const { return packets_delivered_; }
  std::uint64_t messages_completed() const { return messages_completed_; }

  // --- used by the domain's GPUs and switches ---
  struct Message {
    std::uint64_t cookie = 0;
    std::uint64_t bytes = 0;
    std::uint32_t src = 0;
    std::uint32_t dst = 0;
    std::uint32_t packets = 0;      // in total
    std::uint32_t sent = 0;         // packets handed to a port
    std::uint32_t outstanding = 0;  // packets not yet arrived
    std::uint32_t next_free = 0;
  };
  struct NvlsOp {
    std::uint64_t cookie = 0;
    std::uint64_t bytes = 0;
    std::uint32_t chunks = 0;
    std::uint32_t posted = 0;                  // GPUs that joined
    std::uint32_t finished = 0;                // GPUs that hold the result
    std::vector<std::uint16_t> contributions;  // per chunk, GPUs whose part reached the chip
    std::vector<std::uint32_t> received;       // per GPU, reduced chunks arrived
    bool live = false;
  };
  Message& message(std::uint32_t slot) { return messages_[slot]; }
  NvlsOp& nvls(std::uint32_t op) { return ops_[op]; }
  std::uint32_t chunk_payload(const NvlsOp& op, std::uint32_t chunk) const;
  std::uint32_t message_payload(const Message& m, std::uint32_t packet) const;
  // A data packet of message `slot` arrived at its destination.
  void on_data_arrival(std::uint32_t slot, std::uint32_t payload);
  // A GPU's contribution to chunk `chunk` of `op` reached its chip: true when it was the last.
  bool on_contribution(std::uint32_t op, std::uint32_t chunk);
  // A reduced chunk of `op` arrived at local GPU `local`.
  void on_reduced_arrival(std::uint32_t op, std::uint32_t local, std::uint32_t payload);

 private:
  static constexpr std::uint32_t kNone = 0xFFFFFFFF;

  sim::Simulator* sim_;
  NvlinkParams params_;
  std::vector<EndpointId> ids_;
  std::vector<std::unique_ptr<NvlinkGpu>> gpus_;
  std::vector<std::unique_ptr<NvSwitch>> switches_;
  std::vector<Message> messages_;  // slots, reused through a free list
  std::uint32_t free_ = kNone;
  std::vector<NvlsOp> ops_;
  MessageObserver* observer_ = nullptr;
  NvlsObserver* nvls_observer_ = nullptr;
  std::uint64_t next_message_ = 0;
  std::uint64_t bytes_delivered_ = 0;
  std::uint64_t packets_delivered_ = 0;
  std::uint64_t messages_completed_ = 0;
};

}  // namespace fabricsim::models
