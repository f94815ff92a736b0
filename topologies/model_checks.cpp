// Semantic checks of a topology's model blocks, with the JSON path of each problem.
#include "topologies/model_checks.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "models/cc/factory.hpp"
#include "sim/units.hpp"
#include "topologies/params_json.hpp"

namespace fabricsim::topologies {

namespace {
// A packet's payload: 64 KiB covers every wire MTU (RoCE and IB 4 KiB, Ethernet jumbo 9 KiB)
// and the larger transfer units of NVLink/PCIe models.
constexpr std::uint32_t kMaxMtuBytes = 65536;
}  // namespace

// What the link model needs of a link block (the default "link", a tier's, an explicit link's).
void check_link(const models::LinkParams& l, const JsonLocation& at) {
  if (l.rate_bps == 0) throw_config_error(at.child("rate"), Json(0), "expected a positive rate");
  if (l.mtu_bytes < 64 || l.mtu_bytes > kMaxMtuBytes) {
    throw_config_error(at.child("mtu"), Json(l.mtu_bytes),
                       fmt::format("expected an MTU of 64 to {} bytes", kMaxMtuBytes));
  }
  if (l.loss_rate > 1.0) {
    throw_config_error(at.child("loss_rate"), Json(l.loss_rate),
                       "expected a probability in [0, 1]");
  }
}

// Semantic checks of the model defaults that the generic reader cannot know.
void check_models(const TopologySpec& spec, const JsonLocation& root) {
  check_link(spec.link, root.child("link"));
  const auto& ecn = spec.switch_params.ecn;
  const JsonLocation ecn_at = root.child("switch").child("ecn");
  if (ecn.pmax > 1.0)
    throw_config_error(ecn_at.child("pmax"), Json(ecn.pmax), "expected a probability in [0, 1]");
  if (ecn.kmin_bytes > ecn.kmax_bytes) {
    throw_config_error(ecn_at.child("kmin"), Json(ecn.kmin_bytes),
                       fmt::format("expected kmin <= kmax ({} bytes)", ecn.kmax_bytes));
  }
  if (spec.switch_params.priorities == 0 || spec.switch_params.priorities > 4) {
    throw_config_error(root.child("switch").child("priorities"),
                       Json(spec.switch_params.priorities),
                       "expected 1 to 4 priorities (the switch model's limit)");
  }
  if (spec.switch_params.buffer_bytes == 0) {
    throw_config_error(root.child("switch").child("buffer"), Json(0),
                       "expected a positive buffer size");
  }
  if (spec.nic.ack_every == 0) {
    throw_config_error(root.child("nic").child("ack_every"), Json(0), "expected a count >= 1");
  }
  if (spec.nic.ack_timeout > 31) {
    throw_config_error(root.child("nic").child("ack_timeout"), Json(spec.nic.ack_timeout),
                       "expected an exponent 0..31 (4.096 us x 2^value; 0 = infinite)");
  }
  if (spec.nic.retry_count > 7) {
    throw_config_error(root.child("nic").child("retry_count"), Json(spec.nic.retry_count),
                       "expected 0..7 retries (the 3-bit retry_cnt of a QP)");
  }
  const models::MrcParams& mrc = spec.nic.mrc;
  const JsonLocation mrc_at = root.child("nic").child("mrc");
  if (mrc.evs == 0 || mrc.evs > 4096) {
    throw_config_error(mrc_at.child("evs"), Json(mrc.evs), "expected a count in [1, 4096]");
  }
  if (mrc.max_outstanding == 0 || mrc.max_outstanding > (1U << 20)) {
    throw_config_error(mrc_at.child("max_outstanding"), Json(mrc.max_outstanding),
                       "expected a count in [1, 1048576]");
  }
  if (mrc.rto <= sim::Time::zero()) {
    throw_config_error(mrc_at.child("rto"), Json(sim::format_time(mrc.rto)),
                       "expected a positive time");
  }
  if (mrc.probe_after <= sim::Time::zero()) {
    throw_config_error(mrc_at.child("probe_after"), Json(sim::format_time(mrc.probe_after)),
                       "expected a positive time");
  }
  const models::TrimParams& trim = spec.switch_params.trim;
  const JsonLocation trim_at = root.child("switch").child("trim");
  if (trim.header_bytes == 0 || trim.header_bytes > spec.link.mtu_bytes) {
    throw_config_error(trim_at.child("header_bytes"), Json(trim.header_bytes),
                       fmt::format("expected 1 to the MTU ({} bytes)", spec.link.mtu_bytes));
  }
  if (trim.priority >= spec.switch_params.priorities) {
    throw_config_error(trim_at.child("priority"), Json(trim.priority),
                       fmt::format("expected a traffic class below switch.priorities ({})",
                                   spec.switch_params.priorities));
  }
  // The congestion control's own checks (cc/*.hpp constructors), here rather than when the
  // first QP sends, so that the message names the file and the block.
  models::CcParams cc = spec.nic.cc;
  if (cc.hpcc.base_rtt == sim::Time::zero()) cc.hpcc.base_rtt = sim::Time::us(1);  // auto
  if (cc.nscc.base_rtt == sim::Time::zero()) cc.nscc.base_rtt = sim::Time::us(1);  // auto
  const std::uint64_t rate = spec.link.rate_bps != 0 ? spec.link.rate_bps : 1;
  try {
    (void)models::make_congestion_control(cc, rate,
                                          std::max<std::uint32_t>(spec.link.mtu_bytes, 1));
  } catch (const std::invalid_argument& e) {
    const char* block = cc.algorithm == models::CcAlgorithm::kSwift  ? "swift"
                        : cc.algorithm == models::CcAlgorithm::kHpcc ? "hpcc"
                        : cc.algorithm == models::CcAlgorithm::kNscc ? "nscc"
                        : cc.algorithm == models::CcAlgorithm::kIb   ? "ib"
                                                                     : "dcqcn";
    throw_config_error(root.child("nic").child("cc").child(block),
                       fmt::format("expected valid parameters ({})", e.what()));
  }
}

void check_models_with_shape(const TopologySpec& spec, const JsonLocation& root) {
  const bool clos =
      spec.kind == TopologyKind::kFatTree || spec.kind == TopologyKind::kRailOptimized;
  if (clos && spec.nic.transport == models::NicTransport::kMrc &&
      spec.nic.mrc.evs < spec.clos.planes) {
    throw_config_error(
        root.child("nic").child("mrc").child("evs"), Json(spec.nic.mrc.evs),
        fmt::format("expected at least one EV per plane ({} planes)", spec.clos.planes));
  }
}

}  // namespace fabricsim::topologies
