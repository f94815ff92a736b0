// Parsing of the scenario's `faults` section (see fault_spec.hpp).
#include "scenario/fault_spec.hpp"

#include <fmt/format.h>

#include <cmath>

#include "topologies/params_json.hpp"

namespace fabricsim::scenario {

using topologies::JsonLocation;
using topologies::throw_config_error;
using Json = nlohmann::json;

namespace {

constexpr std::uint64_t kMaxId = 0xFFFFFFFEULL;
constexpr std::size_t kMaxEvents = 1'000'000;  // scripted events; flaps are bounded when planned

const Json* find(const Json& obj, const char* key) {
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const Json& need(const Json& obj, const char* key, const JsonLocation& at, const char* what) {
  const Json* v = find(obj, key);
  if (v == nullptr) throw_config_error(at.child(key), fmt::format("missing; expected {}", what));
  return *v;
}

std::uint32_t read_id(const Json& v, const JsonLocation& at) {
  return static_cast<std::uint32_t>(topologies::read_count(v, at, kMaxId));
}

LinkClass read_link_class(const Json& v, const JsonLocation& at) {
  static const sim::Choices<LinkClass> kClasses{{{"nic", LinkClass::kNic},
                                                 {"leaf-spine", LinkClass::kLeafSpine},
                                                 {"spine-core", LinkClass::kSpineCore},
                                                 {"switch", LinkClass::kSwitch},
                                                 {"any", LinkClass::kAny}}};
  return topologies::read_choice(v, at, kClasses);
}

// {"switch": S, "port": P}, {"gpu": G}, or a link class name (a random link of that class).
LinkSelector read_link(const Json& v, const JsonLocation& at) {
  LinkSelector l;
  if (v.is_string()) {
    l.by = LinkSelector::By::kRandom;
    l.link_class = read_link_class(v, at);
    return l;
  }
  if (!v.is_object()) {
    throw_config_error(at, v,
                       "a link: {\"switch\": S, \"port\": P}, {\"gpu\": G} or a link class (nic, "
                       "leaf-spine, spine-core, switch, any) for a random one");
  }
  topologies::check_known_keys(v, at, {"switch", "port", "gpu"});
  if (const Json* g = find(v, "gpu")) {
    if (find(v, "switch") != nullptr || find(v, "port") != nullptr) {
      throw_config_error(at, v, "either {\"gpu\": G} or {\"switch\": S, \"port\": P}, not both");
    }
    l.by = LinkSelector::By::kGpu;
    l.gpu = read_id(*g, at.child("gpu"));
    return l;
  }
  l.by = LinkSelector::By::kSwitchPort;
  l.switch_index = read_id(need(v, "switch", at, "a switch id"), at.child("switch"));
  l.port = read_id(need(v, "port", at, "a port number of that switch"), at.child("port"));
  return l;
}

sim::Time read_duration(const Json& v, const JsonLocation& at) {
  if (v.is_string() && (v.get<std::string>() == "forever" || v.get<std::string>() == "never")) {
    return sim::Time::max();
  }
  const sim::Time t = topologies::read_time(v, at);
  if (t <= sim::Time::zero()) throw_config_error(at, v, "a duration above zero, or \"forever\"");
  return t;
}

double read_fraction(const Json& v, const JsonLocation& at, bool zero_ok, const char* what) {
  const double x = topologies::read_real(v, at);
  if (!std::isfinite(x) || x < 0.0 || x > 1.0 || (!zero_ok && x == 0.0)) {
    throw_config_error(at, v, what);
  }
  return x;
}

DownTime read_down_time(const Json& v, const JsonLocation& at) {
  DownTime d;
  const char* expected =
      "a time (\"200us\"), {\"exponential\": MEAN} or {\"uniform\": [LOW, HIGH]}, above zero";
  if (!v.is_object()) {
    if (!v.is_string()) throw_config_error(at, v, expected);
    d.a = topologies::read_time(v, at);
    if (d.a <= sim::Time::zero()) throw_config_error(at, v, expected);
    return d;
  }
  topologies::check_known_keys(v, at, {"exponential", "uniform"});
  if (v.size() != 1) throw_config_error(at, v, expected);
  if (const Json* e = find(v, "exponential")) {
    d.law = DownTime::Law::kExponential;
    d.a = topologies::read_time(*e, at.child("exponential"));
    if (d.a <= sim::Time::zero()) throw_config_error(at.child("exponential"), *e, expected);
    return d;
  }
  const Json& u = *find(v, "uniform");
  const JsonLocation ua = at.child("uniform");
  if (!u.is_array() || u.size() != 2) throw_config_error(ua, u, expected);
  d.law = DownTime::Law::kUniform;
  d.a = topologies::read_time(u[0], ua.index(0));
  d.b = topologies::read_time(u[1], ua.index(1));
  if (d.a <= sim::Time::zero() || d.b < d.a) {
    throw_config_error(ua, u, "[LOW, HIGH] with 0 < LOW <= HIGH");
  }
  return d;
}

FaultEventSpec read_event(const Json& v, const JsonLocation& at) {
  topologies::require_object(v, at);
  FaultEventSpec e;
  e.where = at;
  const Json& kind = need(v, "kind", at, "link_down, switch_reboot, nic_down or degrade");
  static const sim::Choices<FaultKind> kKinds{{{"link_down", FaultKind::kLinkDown},
                                               {"switch_reboot", FaultKind::kSwitchReboot},
                                               {"nic_down", FaultKind::kNicDown},
                                               {"degrade", FaultKind::kDegrade}}};
  e.kind = topologies::read_choice(kind, at.child("kind"), kKinds);
  switch (e.kind) {
    case FaultKind::kLinkDown:
      topologies::check_known_keys(v, at, {"kind", "at", "for", "link"});
      e.link = read_link(need(v, "link", at, "a link"), at.child("link"));
      break;
    case FaultKind::kSwitchReboot:
      topologies::check_known_keys(v, at, {"kind", "at", "for", "switch"});
      e.switch_index = read_id(need(v, "switch", at, "a switch id"), at.child("switch"));
      break;
    case FaultKind::kNicDown:
      topologies::check_known_keys(v, at, {"kind", "at", "for", "gpu"});
      e.gpu = read_id(need(v, "gpu", at, "the GPU whose NIC is lost"), at.child("gpu"));
      break;
    case FaultKind::kDegrade: {
      topologies::check_known_keys(
          v, at, {"kind", "at", "for", "link", "rate", "rate_factor", "loss_rate"});
      e.link = read_link(need(v, "link", at, "a link"), at.child("link"));
      const Json* rate = find(v, "rate");
      const Json* factor = find(v, "rate_factor");
      const Json* loss = find(v, "loss_rate");
      if (rate != nullptr && factor != nullptr) {
        throw_config_error(at.child("rate_factor"), *factor,
                           "either rate or rate_factor, not both");
      }
      if (rate == nullptr && factor == nullptr && loss == nullptr) {
        throw_config_error(at, "a degrade needs rate, rate_factor or loss_rate");
      }
      if (rate != nullptr) e.rate_bps = topologies::read_rate(*rate, at.child("rate"));
      if (rate != nullptr && e.rate_bps == 0) {
        throw_config_error(at.child("rate"), *rate, "a rate above zero");
      }
      if (factor != nullptr) {
        e.rate_factor = read_fraction(*factor, at.child("rate_factor"), false,
                                      "a factor in (0, 1]: the fraction of the rate left");
      }
      if (loss != nullptr) {
        e.loss_rate = read_fraction(*loss, at.child("loss_rate"), true,
                                    "a packet loss probability in [0, 1]");
      }
      break;
    }
  }
  e.at = topologies::read_time(need(v, "at", at, "the time it happens (\"1ms\")"), at.child("at"));
  if (const Json* d = find(v, "for")) e.duration = read_duration(*d, at.child("for"));
  return e;
}

FlapSpec read_flap(const Json& v, const JsonLocation& at) {
  topologies::require_object(v, at);
  topologies::check_known_keys(v, at, {"links", "every", "down_for", "from", "until"});
  FlapSpec f;
  f.where = at;
  f.link_class = read_link_class(need(v, "links", at, "a link class"), at.child("links"));
  const Json& every = need(v, "every", at, "the mean time between flaps over the class");
  f.every = topologies::read_time(every, at.child("every"));
  if (f.every <= sim::Time::zero()) {
    throw_config_error(at.child("every"), every, "a mean interval above zero");
  }
  f.down = read_down_time(need(v, "down_for", at, "how long a flapped link stays down"),
                          at.child("down_for"));
  if (const Json* from = find(v, "from")) f.from = topologies::read_time(*from, at.child("from"));
  if (const Json* until = find(v, "until")) {
    f.until = topologies::read_time(*until, at.child("until"));
    if (f.until <= f.from) throw_config_error(at.child("until"), *until, "a time after from");
  }
  return f;
}

}  // namespace

const char* link_class_name(LinkClass c) {
  switch (c) {
    case LinkClass::kNic:
      return "nic";
    case LinkClass::kLeafSpine:
      return "leaf-spine";
    case LinkClass::kSpineCore:
      return "spine-core";
    case LinkClass::kSwitch:
      return "switch";
    case LinkClass::kAny:
      return "any";
  }
  return "?";
}

const char* fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::kLinkDown:
      return "link_down";
    case FaultKind::kSwitchReboot:
      return "switch_reboot";
    case FaultKind::kNicDown:
      return "nic_down";
    case FaultKind::kDegrade:
      return "degrade";
  }
  return "?";
}

FaultSpec parse_faults(const Json& faults, const JsonLocation& at, std::uint32_t gpu_count) {
  topologies::require_object(faults, at);
  topologies::check_known_keys(
      faults, at, {"seed", "detection", "convergence", "events", "flaps", "stragglers"});
  FaultSpec s;
  if (const Json* v = find(faults, "seed")) {
    s.seed = topologies::read_count(*v, at.child("seed"), ~0ULL);
  }
  if (const Json* v = find(faults, "detection")) {
    s.detection = topologies::read_time(*v, at.child("detection"));
  }
  if (const Json* v = find(faults, "convergence")) {
    if (v->is_string() && v->get<std::string>() == "never") {
      s.converge = false;
    } else {
      s.convergence = topologies::read_time(*v, at.child("convergence"));
    }
  }
  if (const Json* v = find(faults, "events")) {
    const JsonLocation ea = at.child("events");
    if (!v->is_array()) throw_config_error(ea, *v, "a list of fault events");
    if (v->size() > kMaxEvents) {
      throw_config_error(
          ea, fmt::format("{} events, more than the {} accepted", v->size(), kMaxEvents));
    }
    for (std::size_t i = 0; i < v->size(); ++i)
      s.events.push_back(read_event((*v)[i], ea.index(i)));
  }
  if (const Json* v = find(faults, "flaps")) {
    const JsonLocation fa = at.child("flaps");
    if (!v->is_array()) throw_config_error(fa, *v, "a list of flap processes");
    if (v->size() > 64) throw_config_error(fa, "more than 64 flap processes");
    for (std::size_t i = 0; i < v->size(); ++i)
      s.flaps.push_back(read_flap((*v)[i], fa.index(i)));
  }
  if (const Json* v = find(faults, "stragglers")) {
    s.stragglers = parse_stragglers(*v, at.child("stragglers"), gpu_count);
  }
  s.configured = !s.events.empty() || !s.flaps.empty() || !s.stragglers.empty();
  return s;
}

Json faults_to_json(const FaultSpec& spec) {
  Json j;
  j["seed"] = spec.seed;
  j["detection"] = topologies::exact_time(spec.detection);
  j["convergence"] = spec.converge ? Json(topologies::exact_time(spec.convergence)) : Json("never");
  if (!spec.stragglers.empty()) j["stragglers"] = stragglers_json(spec.stragglers);
  return j;
}

}  // namespace fabricsim::scenario
