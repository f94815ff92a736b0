// The runner's verbs seam (factory.hpp) when the verbs backend is built: maps the runner's
// TransportOptions onto VerbsOptions. Replaces verbs_missing.cpp (workloads/CMakeLists.txt).
#include <limits>

#include "workloads/transports/hw/factory.hpp"
#include "workloads/transports/hw/verbs_transport.hpp"

namespace fabricsim::workloads::hw {

std::unique_ptr<HwTransport> make_verbs_backend(const TransportOptions& options,
                                                Bootstrap& bootstrap) {
  if (options.port < 1 || options.port > std::numeric_limits<std::uint8_t>::max()) {
    throw TransportError("verbs: port " + std::to_string(options.port) + " out of range");
  }
  VerbsOptions verbs;
  verbs.device = options.device;
  verbs.port = static_cast<std::uint8_t>(options.port);
  verbs.gid_index = options.gid_index;
  verbs.timeout = options.timeout;
  return make_verbs_transport(verbs, bootstrap);
}

bool verbs_backend_built() {
  return true;
}

}  // namespace fabricsim::workloads::hw
