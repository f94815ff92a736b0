// The one way model parameters are declared: a plain struct whose members carry defaults,
// plus a visit_params() that names each member with its unit and a one-line doc. The JSON
// reader, the resolved config.json writer, `--help`-style docs and the Python bindings are
// all visitors over that single declaration, so a parameter is never described twice.
//
//   struct LinkParams {
//     std::uint64_t rate_bps = 100'000'000'000;
//     sim::Time delay = sim::Time::us(1);
//     template <class V> void visit_params(V& v) {
//       v("rate", rate_bps, ParamUnit::kRate, "line rate of each direction");
//       v("delay", delay, ParamUnit::kTime, "propagation delay");
//     }
//   };
//
// A visitor is any callable object with these overloads (unit tells how text is parsed):
//   void operator()(const char* name, sim::Time& field, ParamUnit, const char* doc);
//   void operator()(const char* name, std::uint64_t& field, ParamUnit, const char* doc);
//   void operator()(const char* name, std::uint32_t& field, ParamUnit, const char* doc);
//   void operator()(const char* name, double& field, ParamUnit, const char* doc);
//   void operator()(const char* name, bool& field, ParamUnit, const char* doc);
//   template <class E> void operator()(const char* name, E& field, const Choices<E>&, const char*
//   doc); template <class S> void nested(const char* name, S& sub, const char* doc);  // S has
//   visit_params
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/time.hpp"

namespace fabricsim::sim {

enum class ParamUnit {
  kTime,   // sim::Time, JSON "1.5us"
  kBytes,  // std::uint64_t/uint32_t bytes, JSON "64MiB" or a plain number
  kRate,   // std::uint64_t bits/s, JSON "400Gbps" / "900GBps"
  kCount,  // integer, JSON number
  kReal,   // double, JSON number
  kFlag,   // bool, JSON true/false
};

// The allowed spellings of an enum parameter, e.g. {{"ecmp", Routing::kEcmp}, ...}.
template <class E>
struct Choices {
  std::vector<std::pair<std::string_view, E>> options;
  Choices(std::initializer_list<std::pair<std::string_view, E>> list) : options(list) {}
  const std::string_view* name_of(E value) const {
    for (const auto& [name, v] : options) {
      if (v == value) return &name;
    }
    return nullptr;
  }
};

}  // namespace fabricsim::sim
