// Makes the HwTransport the runner asks for by name ("tcp", "verbs"). The one place that knows
// every backend, so apps/ never includes a backend's header.
//
// The verbs seam: make_verbs_backend() below is defined by exactly one source file chosen in
// workloads/CMakeLists.txt: verbs_missing.cpp (throws "not built") until the verbs backend
// exists; the verbs backend replaces it with a definition that maps TransportOptions onto its
// own options and builds its transport (e.g. make_verbs_transport(VerbsOptions, Bootstrap&)).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "workloads/transports/hw/hw_transport.hpp"
#include "workloads/transports/hw/socket.hpp"

namespace fabricsim::workloads::hw {

struct TransportOptions {
  std::string backend = "tcp";  // "tcp" | "verbs"
  // Set-up steps and stalls fail with a TransportError after this long.
  std::chrono::milliseconds timeout{30'000};
  // tcp: the address this rank listens on for its peers (port ignored), normally
  // TcpBootstrap::reachable_address().
  SocketAddress bind_address;
  // verbs: device name ("" = the first device), port number, GID index (-1 = the backend's
  // default).
  std::string device;
  int port = 1;
  int gid_index = -1;
};

// The backend names this binary was built with, in a stable order ("tcp" always).
std::vector<std::string> available_backends();

// Builds the transport (a collective call: every rank at the same point, it uses the
// bootstrap to exchange addresses). Throws std::invalid_argument for an unknown backend name
// and TransportError when the backend cannot start (not built, no device, a peer missing).
std::unique_ptr<HwTransport> make_transport(const TransportOptions& options, Bootstrap& bootstrap);

// The verbs backend's entry point (see the header comment). Throws TransportError when the
// verbs backend is not built into this binary.
std::unique_ptr<HwTransport> make_verbs_backend(const TransportOptions& options,
                                                Bootstrap& bootstrap);
// Whether make_verbs_backend() is the real one.
bool verbs_backend_built();

}  // namespace fabricsim::workloads::hw
