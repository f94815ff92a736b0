// Straggler GPUs: JSON parsing and their slowdowns on the sim transport (see straggler.hpp).
#include "scenario/straggler.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "topologies/params_json.hpp"
#include "workloads/transports/sim/sim_transport.hpp"

namespace fabricsim::scenario {

using topologies::JsonLocation;
using topologies::throw_config_error;
using Json = nlohmann::json;

namespace {

constexpr double kMaxFactor = 1e6;

const Json* find(const Json& obj, const char* key) {
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

double read_factor(const Json& v, const JsonLocation& at) {
  if (!v.is_number()) {
    throw_config_error(at, v, "expected a slowdown factor, a number from 1 to 1e6 (1: not slower)");
  }
  const double factor = v.get<double>();
  if (!std::isfinite(factor) || factor < 1.0 || factor > kMaxFactor) {
    throw_config_error(at, v, "expected a slowdown factor from 1 to 1e6 (1: not slower)");
  }
  return factor;
}

sim::Time read_instant(const Json& v, const JsonLocation& at) {
  const sim::Time t = topologies::read_time(v, at);
  if (t < sim::Time::zero()) throw_config_error(at, v, "expected a time of at least 0");
  return t;
}

Straggler parse_one(const Json& s, const JsonLocation& at, std::uint32_t gpu_count) {
  topologies::require_object(s, at);
  topologies::check_known_keys(s, at,
                               {"gpu", "compute", "launch", "reduce", "stall", "from", "until"});
  Straggler out;
  const Json* gpu = find(s, "gpu");
  if (gpu == nullptr) {
    throw_config_error(at.child("gpu"),
                       fmt::format("missing; expected a GPU id below {}", gpu_count));
  }
  const std::uint64_t id = topologies::read_count(*gpu, at.child("gpu"), ~std::uint32_t{0});
  if (id >= gpu_count) {
    throw_config_error(at.child("gpu"), *gpu,
                       fmt::format("expected a GPU id below {} (the topology's GPUs)", gpu_count));
  }
  out.gpu = static_cast<std::uint32_t>(id);
  if (const Json* v = find(s, "compute")) out.compute_factor = read_factor(*v, at.child("compute"));
  if (const Json* v = find(s, "launch")) out.launch_factor = read_factor(*v, at.child("launch"));
  if (const Json* v = find(s, "reduce")) out.reduce_factor = read_factor(*v, at.child("reduce"));
  if (const Json* stall = find(s, "stall")) {
    const JsonLocation sa = at.child("stall");
    topologies::require_object(*stall, sa);
    topologies::check_known_keys(*stall, sa, {"at", "for"});
    const Json* when = find(*stall, "at");
    const Json* length = find(*stall, "for");
    if (when == nullptr) throw_config_error(sa.child("at"), "missing; expected a time (\"100us\")");
    if (length == nullptr) {
      throw_config_error(sa.child("for"), "missing; expected a duration (\"50us\")");
    }
    out.stall_at = read_instant(*when, sa.child("at"));
    out.stall_for = read_instant(*length, sa.child("for"));
    if (out.stall_for > sim::Time::max() - out.stall_at) {
      throw_config_error(sa.child("for"), *length, "expected a stall that ends within 106 days");
    }
  }
  if (const Json* v = find(s, "from")) out.from = read_instant(*v, at.child("from"));
  if (const Json* v = find(s, "until")) {
    out.until = read_instant(*v, at.child("until"));
    if (out.until <= out.from) {
      throw_config_error(
          at.child("until"), *v,
          fmt::format("expected a time after \"from\" ({})", topologies::exact_time(out.from)));
    }
  }
  return out;
}

}  // namespace

std::vector<Straggler> parse_stragglers(const Json& list, const JsonLocation& at,
                                        std::uint32_t gpu_count) {
  if (!list.is_array()) {
    throw_config_error(at, list, "expected a list of stragglers ({\"gpu\": N, ...})");
  }
  std::vector<Straggler> out;
  std::vector<std::size_t> entry_of(gpu_count, list.size());  // the entry naming each GPU
  for (std::size_t i = 0; i < list.size(); ++i) {
    out.push_back(parse_one(list[i], at.index(i), gpu_count));
    std::size_t& first = entry_of[out.back().gpu];
    if (first != list.size()) {
      throw_config_error(
          at.index(i).child("gpu"), list[i]["gpu"],
          fmt::format("expected each GPU once (it is also {})", at.index(first).path));
    }
    first = i;
  }
  return out;
}

Json stragglers_json(const std::vector<Straggler>& stragglers) {
  Json list = Json::array();
  for (const Straggler& s : stragglers) {
    Json entry = {{"gpu", s.gpu},
                  {"compute", s.compute_factor},
                  {"launch", s.launch_factor},
                  {"reduce", s.reduce_factor},
                  {"from", topologies::exact_time(s.from)}};
    if (s.until != sim::Time::max()) entry["until"] = topologies::exact_time(s.until);
    if (s.stall_for > sim::Time::zero()) {
      entry["stall"] = {{"at", topologies::exact_time(s.stall_at)},
                        {"for", topologies::exact_time(s.stall_for)}};
    }
    list.push_back(std::move(entry));
  }
  return list;
}

void apply_stragglers(workloads::SimNetwork& network, const std::vector<Straggler>& stragglers) {
  for (const Straggler& s : stragglers) {
    workloads::GpuSlowdown slow;
    slow.compute_factor = s.compute_factor;
    slow.launch_factor = s.launch_factor;
    slow.reduce_factor = s.reduce_factor;
    slow.stall_at = s.stall_at;
    slow.stall_for = s.stall_for;
    slow.from = s.from;
    slow.until = s.until;
    network.set_slowdown(s.gpu, slow);
  }
}

}  // namespace fabricsim::scenario
