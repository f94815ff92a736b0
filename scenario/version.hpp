// The fabricsim version reported by --version and in results.json.
#pragma once

namespace fabricsim::scenario {
inline constexpr const char* kVersion = "0.1.0";
}
