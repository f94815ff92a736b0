// The GPU-side collective model wired to a scenario (see gpu_model.hpp).
#include "scenario/gpu_model.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "scenario/collective_workload.hpp"

namespace fabricsim::scenario {

namespace nccl = workloads::nccl;

namespace {

sim::Time microseconds(double us) {
  return sim::Time::ps(static_cast<std::int64_t>(us * 1e6 + 0.5));
}

// NCCL's view of one NVLink's bandwidth by architecture (src/graph/topo.h:17-35), GB/s: the
// tuner decides with NCCL's numbers, not the simulator's.
double nccl_nvlink_GBps(std::uint32_t arch) {
  return arch >= 100 ? 40.1 : arch >= 90 ? 20.6 : 20.0;
}

// The library algorithm whose NCCL counterpart the tuner scores when the user fixed one.
const char* tuner_name_of(const std::string& algorithm) {
  if (algorithm == "hierarchical") return "ring";
  if (algorithm == "pairwise" || algorithm == "bruck") return "direct";
  return algorithm.c_str();
}

}  // namespace

nccl::TunerInput tuner_input(const CollectiveSpec& spec, std::int32_t nranks,
                             const topologies::TopologySpec& topology) {
  nccl::TunerInput in;
  in.op = workloads::parse_collective_op(spec.op);
  in.nranks = nranks;
  in.ranks_per_node = ranks_per_node(topology, spec, nranks);
  const models::NcclParams& gpu = topology.gpu_params.nccl;
  in.arch = gpu.arch;
  in.max_channels = gpu.max_channels;
  const bool rail = topology.kind == topologies::TopologyKind::kRailOptimized;
  if (rail && topology.rail.gpus_per_node > 1 && topology.rail.nvlink.bandwidth_bps > 0) {
    in.nvlink_GBps = topology.rail.nvlink.links * nccl_nvlink_GBps(gpu.arch);
    in.nvls = gpu.nvls;
  }
  // NCCL sees a NIC's speed (Mb/s / 8000, topo.cc:416-418); each GPU has its own.
  in.net_GBps = static_cast<double>(topology.link.rate_bps) / 8e9;
  return in;
}

GpuModel resolve_gpu_model(const CollectiveSpec& spec, std::int32_t nranks,
                           const topologies::TopologySpec& topology,
                           const topologies::JsonLocation& at) {
  GpuModel m;
  m.spec = spec;
  const models::NcclParams& gpu = topology.gpu_params.nccl;
  std::string protocol = spec.protocol;
  if (protocol == "default")
    protocol = gpu.protocol == models::DefaultProtocol::kAuto ? "auto" : "ideal";
  std::optional<nccl::Protocol> fixed;
  if (protocol != "auto") fixed = nccl::parse_protocol(protocol);
  const bool ideal = fixed == nccl::Protocol::kIdeal;
  if (ideal) {
    if (spec.algorithm == "auto") {
      topologies::throw_config_error(
          at.child("algorithm"), spec.algorithm,
          "a library algorithm: \"auto\" needs NCCL's tuner, which the ideal protocol has not "
          "(set \"protocol\": \"auto\" or name the algorithm)");
    }
    m.protocol = nccl::Protocol::kIdeal;
    if (m.spec.channels == 0) m.spec.channels = 1;
    return m;
  }
  const nccl::TunerInput in = tuner_input(spec, nranks, topology);
  const bool auto_algorithm = spec.algorithm == "auto";
  nccl::TunerChoice choice;
  try {
    choice =
        nccl::tune(in, spec.bytes, auto_algorithm ? "auto" : tuner_name_of(spec.algorithm), fixed);
  } catch (const std::invalid_argument& e) {
    if (auto_algorithm)
      topologies::throw_config_error(at.child("algorithm"), spec.algorithm, e.what());
    const nccl::NcclAlgorithm a = nccl::nccl_algorithm_of(in.op, spec.algorithm);
    if (fixed && (a == nccl::NcclAlgorithm::kNvls || a == nccl::NcclAlgorithm::kNvlsTree)) {
      topologies::throw_config_error(
          at.child("protocol"), protocol,
          "Simple or auto: NCCL runs NVLS with the Simple protocol only");
    }
    // A library algorithm NCCL has no counterpart of: its sends cost what a ring's do.
    choice.protocol = fixed.value_or(nccl::Protocol::kSimple);
    choice.nccl_algorithm = nccl::nccl_algorithm_of(in.op, spec.algorithm);
    choice.algorithm = spec.algorithm;
    choice.channels = 1;
  }
  m.protocol = choice.protocol;
  m.tuner_algorithm = choice.nccl_algorithm;
  // The sends pay the costs of the algorithm that runs (an NVLS tree runs as rail rings).
  m.nccl_algorithm =
      nccl::nccl_algorithm_of(in.op, auto_algorithm ? choice.algorithm : spec.algorithm);
  m.tuned = auto_algorithm;
  m.predicted_us = choice.time_us;
  if (auto_algorithm) m.spec.algorithm = choice.algorithm;
  if (m.spec.channels == 0) m.spec.channels = choice.channels;
  if (!spec.slice_given) m.spec.slice_bytes = nccl::step_payload_bytes(m.protocol);
  return m;
}

workloads::SendCosts send_costs(const GpuModel& model, const models::NcclParams& gpu) {
  workloads::SendCosts c;
  if (model.protocol == nccl::Protocol::kIdeal) return c;
  const double factor = nccl::bandwidth_factor(model.protocol);
  c.nvlink_factor = factor / gpu.nvlink_efficiency;
  c.net_factor = factor / gpu.net_efficiency;
  // NVLS runs over the same NVLink: its efficiency comes on top of the link's (as in NCCL's
  // model, where nvlsEfficiency scales the NVLink bandwidth of its search).
  c.nvls_factor = 1.0 / (gpu.nvls_efficiency * gpu.nvlink_efficiency);
  // NVLS algorithms pay their in-switch latency once (base_latency); their NVLink sends are
  // ring steps.
  const bool nvls = model.nccl_algorithm == nccl::NcclAlgorithm::kNvls ||
                    model.nccl_algorithm == nccl::NcclAlgorithm::kNvlsTree;
  const nccl::NcclAlgorithm hop_algorithm =
      nvls ? nccl::NcclAlgorithm::kRing : model.nccl_algorithm;
  c.nvlink_latency =
      microseconds(nccl::hop_latency_us(nccl::HopKind::kNvlink, hop_algorithm, model.protocol));
  c.net_latency =
      microseconds(nccl::hop_latency_us(nccl::HopKind::kNet, model.nccl_algorithm, model.protocol));
  return c;
}

sim::Time base_latency(const GpuModel& model) {
  double us = nccl::base_latency_us(model.nccl_algorithm, model.protocol);
  if (model.nccl_algorithm == nccl::NcclAlgorithm::kNvls ||
      model.nccl_algorithm == nccl::NcclAlgorithm::kNvlsTree) {
    us += nccl::hop_latency_us(nccl::HopKind::kNvlink, model.nccl_algorithm, model.protocol);
  }
  return microseconds(us);
}

void apply_gpu_model(CollectiveRun& run, const GpuModel& model, const models::NcclParams& gpu) {
  run.set_gpu_model(send_costs(model, gpu), base_latency(model), nccl::to_string(model.protocol),
                    model.protocol == nccl::Protocol::kIdeal
                        ? std::string()
                        : std::string(nccl::to_string(model.tuner_algorithm)));
}

}  // namespace fabricsim::scenario
