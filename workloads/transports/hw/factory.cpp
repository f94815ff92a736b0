// The backend factory of the hardware runner (see factory.hpp).
#include "workloads/transports/hw/factory.hpp"

#include <stdexcept>

#include "workloads/transports/hw/tcp_transport.hpp"

namespace fabricsim::workloads::hw {

std::vector<std::string> available_backends() {
  std::vector<std::string> names{"tcp"};
  if (verbs_backend_built()) names.emplace_back("verbs");
  return names;
}

std::unique_ptr<HwTransport> make_transport(const TransportOptions& options, Bootstrap& bootstrap) {
  if (options.backend == "tcp") {
    TcpTransportOptions tcp;
    tcp.timeout = options.timeout;
    return std::make_unique<TcpTransport>(bootstrap, options.bind_address, tcp);
  }
  if (options.backend == "verbs") return make_verbs_backend(options, bootstrap);
  throw std::invalid_argument("unknown transport \"" + options.backend +
                              "\"; expected tcp or verbs");
}

}  // namespace fabricsim::workloads::hw
