// One switch over CcParams::algorithm; each algorithm stays in its own class.
#include "models/cc/factory.hpp"

#include <stdexcept>

#include "models/cc/dcqcn.hpp"
#include "models/cc/hpcc.hpp"
#include "models/cc/ib_cc.hpp"
#include "models/cc/none.hpp"
#include "models/cc/nscc.hpp"
#include "models/cc/swift.hpp"

namespace fabricsim::models {

std::unique_ptr<CongestionControl> make_congestion_control(const CcParams& params,
                                                           std::uint64_t line_rate_bps,
                                                           std::uint32_t mss_bytes) {
  switch (params.algorithm) {
    case CcAlgorithm::kNone:
      return std::make_unique<None>(line_rate_bps);
    case CcAlgorithm::kDcqcn:
      return std::make_unique<Dcqcn>(params.dcqcn, line_rate_bps);
    case CcAlgorithm::kIb:
      return std::make_unique<IbCc>(params.ib, line_rate_bps);
    case CcAlgorithm::kSwift:
      return std::make_unique<Swift>(params.swift, line_rate_bps, mss_bytes);
    case CcAlgorithm::kHpcc:
      return std::make_unique<Hpcc>(params.hpcc, line_rate_bps, mss_bytes);
    case CcAlgorithm::kNscc:
      return std::make_unique<Nscc>(params.nscc, line_rate_bps, mss_bytes);
  }
  throw std::invalid_argument("unknown congestion-control algorithm");
}

}  // namespace fabricsim::models
