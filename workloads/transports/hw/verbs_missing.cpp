// The verbs entry point of a build without the verbs backend: a clear error instead of a
// missing symbol. Replaced in workloads/CMakeLists.txt by the verbs backend's definition.
#include "workloads/transports/hw/factory.hpp"

namespace fabricsim::workloads::hw {

std::unique_ptr<HwTransport> make_verbs_backend(const TransportOptions& /*options*/,
                                                Bootstrap& /*bootstrap*/) {
  throw TransportError(
      "the verbs backend is not built into this binary (use --transport tcp, or build with "
      "libibverbs-dev installed and the verbs backend present)");
}

bool verbs_backend_built() {
  return false;
}

}  // namespace fabricsim::workloads::hw
