// Fault planning: the scenario's fault spec on a built topology -> models::FaultPlan.
#include "scenario/fault_timeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "sim/rng.hpp"
#include "sim/units.hpp"
#include "topologies/config_error.hpp"

namespace fabricsim::scenario {

using models::FaultAction;
using models::FaultActionKind;
using models::FaultRecord;
using topologies::NetworkGraph;
using topologies::throw_config_error;

namespace {

constexpr sim::Time kNever = sim::Time::max();

sim::Time plus(sim::Time a, sim::Time b) {
  if (a == kNever || b == kNever || a.picoseconds() > kNever.picoseconds() - b.picoseconds()) {
    return kNever;
  }
  return a + b;
}

// A link by the lower of its two global ports.
std::uint32_t link_key(const NetworkGraph& g, std::uint32_t port) {
  return std::min(port, g.peer_port[port]);
}

std::string end_name(const NetworkGraph& g, std::uint32_t port) {
  const std::uint32_t node = g.port_node[port];
  if (g.is_switch(node)) return fmt::format("switch {} port {}", node, g.local_port(port));
  return fmt::format("gpu {}", node - g.switch_count);
}

bool in_class(const NetworkGraph& g, std::uint32_t port, LinkClass c) {
  const std::uint32_t a = g.port_node[port];
  const std::uint32_t b = g.port_node[g.peer_port[port]];
  const bool switches = g.is_switch(a) && g.is_switch(b);
  switch (c) {
    case LinkClass::kAny:
      return true;
    case LinkClass::kNic:
      return !switches;
    case LinkClass::kSwitch:
      return switches;
    case LinkClass::kLeafSpine:
    case LinkClass::kSpineCore: {
      if (!switches) return false;
      const auto lo = std::min(g.switch_tier[a], g.switch_tier[b]);
      const auto hi = std::max(g.switch_tier[a], g.switch_tier[b]);
      return c == LinkClass::kLeafSpine ? lo == 0 && hi == 1 : lo == 1 && hi == 2;
    }
  }
  return false;
}

// One request to keep a link down over [start, end), with each end's detection delay.
struct DownRequest {
  sim::Time start;
  sim::Time end;
  sim::Time detect_a;  // end a = the link's lower port
  sim::Time detect_b;
  std::uint32_t fault;
};

struct DegradeRequest {
  sim::Time start;
  sim::Time end;
  std::uint64_t rate_bps;
  double loss_rate;
  std::uint32_t fault;
};

class Planner {
 public:
  Planner(const FaultSpec& spec, const NetworkGraph& g, std::uint64_t seed, sim::Time stop_at)
      : spec_(spec), g_(g), rng_(spec.seed != 0 ? spec.seed : seed, 0xFA17), stop_at_(stop_at) {}

  FaultSetup run() {
    for (const FaultEventSpec& e : spec_.events)
      add_event(e);
    for (const FlapSpec& f : spec_.flaps)
      add_flaps(f);
    return finish();
  }

 private:
  // The links of class c (global port of the lower end), built on first use.
  const std::vector<std::uint32_t>& links_of(LinkClass c) {
    auto& list = class_links_[static_cast<std::size_t>(c)];
    if (!class_built_[static_cast<std::size_t>(c)]) {
      class_built_[static_cast<std::size_t>(c)] = true;
      for (std::uint32_t p = 0; p < g_.port_count(); ++p) {
        if (p < g_.peer_port[p] && in_class(g_, p, c)) list.push_back(p);
      }
    }
    return list;
  }

  std::uint32_t pick(LinkClass c, const topologies::JsonLocation& at) {
    const auto& list = links_of(c);
    if (list.empty()) {
      throw_config_error(at, nlohmann::json(link_class_name(c)),
                         fmt::format("a link class this topology has ({} has no {} link)", g_.name,
                                     link_class_name(c)));
    }
    return list[rng_.below(list.size())];
  }

  std::uint32_t resolve(const LinkSelector& l, const topologies::JsonLocation& at) {
    switch (l.by) {
      case LinkSelector::By::kRandom:
        return pick(l.link_class, at);
      case LinkSelector::By::kGpu:
        if (l.gpu >= g_.endpoint_count) {
          throw_config_error(at.child("gpu"), nlohmann::json(l.gpu),
                             fmt::format("a GPU id below {}", g_.endpoint_count));
        }
        return link_key(g_, g_.port_begin[g_.endpoint_node(l.gpu)]);
      case LinkSelector::By::kSwitchPort: {
        if (l.switch_index >= g_.switch_count) {
          throw_config_error(at.child("switch"), nlohmann::json(l.switch_index),
                             fmt::format("a switch id below {}", g_.switch_count));
        }
        const std::uint32_t ports = g_.degree(l.switch_index);
        if (l.port >= ports) {
          throw_config_error(at.child("port"), nlohmann::json(l.port),
                             fmt::format("a port of switch {} (it has {})", l.switch_index, ports));
        }
        return link_key(g_, g_.port_begin[l.switch_index] + l.port);
      }
    }
    return 0;
  }

  std::uint32_t record(FaultRecord r) {
    plan_.faults.push_back(std::move(r));
    return static_cast<std::uint32_t>(plan_.faults.size() - 1);
  }

  // A down request for the link whose lower port is `key`; `instant_port` is an end that
  // knows at once (a rebooting switch's, a lost NIC's), or kNoPort.
  void request_down(std::uint32_t key, sim::Time start, sim::Time duration, std::uint32_t fault,
                    std::uint32_t instant_port) {
    const sim::Time d = spec_.detection;
    downs_[key].push_back(
        DownRequest{start, plus(start, duration), instant_port == key ? start : plus(start, d),
                    instant_port == g_.peer_port[key] ? start : plus(start, d), fault});
  }

  void add_event(const FaultEventSpec& e) {
    FaultRecord r;
    r.kind = fault_kind_name(e.kind);
    r.at = e.at;
    r.restored = plus(e.at, e.duration);
    switch (e.kind) {
      case FaultKind::kLinkDown: {
        const std::uint32_t key = resolve(e.link, e.where.child("link"));
        r.target = link_name(g_, key);
        r.links = 1;
        request_down(key, e.at, e.duration, record(r), NetworkGraph::kNoPort);
        return;
      }
      case FaultKind::kSwitchReboot: {
        if (e.switch_index >= g_.switch_count) {
          throw_config_error(e.where.child("switch"), nlohmann::json(e.switch_index),
                             fmt::format("a switch id below {}", g_.switch_count));
        }
        r.target = fmt::format("switch {}", e.switch_index);
        r.links = g_.degree(e.switch_index);
        const std::uint32_t fault = record(r);
        for (std::uint32_t p = g_.port_begin[e.switch_index]; p < g_.port_begin[e.switch_index + 1];
             ++p) {
          request_down(link_key(g_, p), e.at, e.duration, fault, p);
        }
        return;
      }
      case FaultKind::kNicDown: {
        if (e.gpu >= g_.endpoint_count) {
          throw_config_error(e.where.child("gpu"), nlohmann::json(e.gpu),
                             fmt::format("a GPU id below {}", g_.endpoint_count));
        }
        const std::uint32_t node = g_.endpoint_node(e.gpu);
        r.target = fmt::format("gpu {} NIC", e.gpu);
        r.links = g_.degree(node);
        const std::uint32_t fault = record(r);
        for (std::uint32_t p = g_.port_begin[node]; p < g_.port_begin[node + 1]; ++p)
          request_down(link_key(g_, p), e.at, e.duration, fault, p);
        return;
      }
      case FaultKind::kDegrade: {
        const std::uint32_t key = resolve(e.link, e.where.child("link"));
        const models::LinkParams& link = g_.link_of_port(key);
        std::uint64_t rate = link.rate_bps;
        if (e.rate_bps > link.rate_bps) {
          throw_config_error(e.where.child("rate"), nlohmann::json(sim::format_rate(e.rate_bps)),
                             fmt::format("a rate at most the link's own ({}): a degrade lowers it",
                                         sim::format_rate(link.rate_bps)));
        }
        if (e.rate_bps != 0) rate = e.rate_bps;
        if (e.rate_factor > 0.0) {
          rate = std::max<std::uint64_t>(
              1, static_cast<std::uint64_t>(
                     std::llround(e.rate_factor * static_cast<double>(link.rate_bps))));
        }
        r.target = link_name(g_, key);
        r.links = 1;
        auto& list = degrades_[key];
        const sim::Time end = plus(e.at, e.duration);
        for (const DegradeRequest& other : list) {
          if (e.at < other.end && other.start < end) {
            throw_config_error(e.where, fmt::format("this degrade of {} overlaps an earlier one "
                                                    "(from {}): one degrade per link at a time",
                                                    r.target, sim::format_time(other.start)));
          }
        }
        list.push_back(DegradeRequest{e.at, end, rate, e.loss_rate, record(r)});
        return;
      }
    }
  }

  void add_flaps(const FlapSpec& f) {
    const sim::Time until = std::min(f.until, stop_at_);
    if (until == kNever) {
      throw_config_error(f.where.child("until"),
                         "missing; flaps need an end: \"until\" or the scenario's stop_at");
    }
    const auto& links = links_of(f.link_class);
    if (links.empty()) {
      throw_config_error(f.where.child("links"), nlohmann::json(link_class_name(f.link_class)),
                         fmt::format("a link class this topology has ({} has no {} link)", g_.name,
                                     link_class_name(f.link_class)));
    }
    const double expected = (until - f.from).seconds() / f.every.seconds();
    if (expected > static_cast<double>(kMaxPlannedFlaps)) {
      throw_config_error(f.where.child("every"),
                         fmt::format("about {:.0f} flaps between {} and {}, more than the {} "
                                     "planned at most: expected a longer interval",
                                     expected, sim::format_time(f.from), sim::format_time(until),
                                     kMaxPlannedFlaps));
    }
    double t = f.from.seconds();
    for (;;) {
      t += rng_.exponential(f.every.seconds());
      const sim::Time at = sim::Time::ps(static_cast<std::int64_t>(std::llround(t * 1e12)));
      if (at >= until) break;
      const std::uint32_t key = links[rng_.below(links.size())];
      sim::Time down = f.down.a;
      if (f.down.law == DownTime::Law::kExponential) {
        down = sim::Time::ps(
            std::max<std::int64_t>(1, std::llround(rng_.exponential(f.down.a.seconds()) * 1e12)));
      } else if (f.down.law == DownTime::Law::kUniform) {
        const double lo = f.down.a.seconds();
        const double hi = f.down.b.seconds();
        down = sim::Time::ps(std::llround((lo + (hi - lo) * rng_.uniform()) * 1e12));
      }
      FaultRecord r;
      r.kind = "flap";
      r.target = link_name(g_, key);
      r.at = at;
      r.restored = plus(at, down);
      r.links = 1;
      request_down(key, at, down, record(r), NetworkGraph::kNoPort);
    }
  }

  std::uint32_t plan_link(std::uint32_t key) {
    const auto [it, added] = plan_link_of_.emplace(key, plan_.links.size());
    if (added) {
      const auto end = [this](std::uint32_t port) {
        const std::uint32_t node = g_.port_node[port];
        return models::LinkEnd{g_.is_switch(node) ? models::NodeRef::sw(node)
                                                  : models::NodeRef::nic(node - g_.switch_count),
                               g_.local_port(port)};
      };
      plan_.links.push_back(models::LinkRef{end(key), end(g_.peer_port[key])});
      setup_.link_port.push_back(key);
    }
    return static_cast<std::uint32_t>(it->second);
  }

  void action(sim::Time at, FaultActionKind kind, std::uint32_t link, std::uint32_t fault) {
    FaultAction a;
    a.at = at;
    a.kind = kind;
    a.link = link;
    a.fault = fault;
    plan_.actions.push_back(a);
  }

  // A routing-relevant change of a link's state: detected down, or back up.
  struct Change {
    sim::Time at;
    std::uint32_t link;
    bool down;
    std::uint32_t fault;
  };

  FaultSetup finish() {
    std::vector<Change> changes;
    // Links in the order of their lower port: the plan does not depend on hash-map order.
    std::vector<std::uint32_t> keys;
    for (const auto& [key, list] : downs_)
      keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    for (const std::uint32_t key : keys) {
      auto& list = downs_[key];
      std::stable_sort(list.begin(), list.end(), [](const DownRequest& a, const DownRequest& b) {
        return a.start < b.start;
      });
      const std::uint32_t link = plan_link(key);
      for (std::size_t i = 0; i < list.size();) {
        // Requests that overlap (or touch) make one outage.
        DownRequest merged = list[i];
        std::size_t j = i + 1;
        while (j < list.size() && list[j].start <= merged.end) {
          merged.end = std::max(merged.end, list[j].end);
          merged.detect_a = std::min(merged.detect_a, list[j].detect_a);
          merged.detect_b = std::min(merged.detect_b, list[j].detect_b);
          ++j;
        }
        action(merged.start, FaultActionKind::kFail, link, merged.fault);
        const sim::Time detected = std::min(merged.detect_a, merged.detect_b);
        for (std::uint8_t end = 0; end < 2; ++end) {
          const sim::Time at = end == 0 ? merged.detect_a : merged.detect_b;
          if (at >= merged.end || at == kNever) continue;  // back before anyone noticed
          action(at, FaultActionKind::kDetect, link, merged.fault);
          plan_.actions.back().ends = static_cast<std::uint8_t>(1U << end);
        }
        if (detected < merged.end) changes.push_back(Change{detected, link, true, merged.fault});
        for (std::size_t k = i; k < j; ++k) {
          FaultRecord& r = plan_.faults[list[k].fault];
          r.detected = std::min(r.detected, std::min(list[k].detect_a, list[k].detect_b));
        }
        if (merged.end != kNever) {
          action(merged.end, FaultActionKind::kRestore, link, merged.fault);
          if (detected < merged.end)
            changes.push_back(Change{merged.end, link, false, merged.fault});
        }
        i = j;
      }
    }
    std::vector<std::uint32_t> degrade_keys;
    for (const auto& [key, list] : degrades_)
      degrade_keys.push_back(key);
    std::sort(degrade_keys.begin(), degrade_keys.end());
    for (const std::uint32_t key : degrade_keys) {
      const models::LinkParams& base = g_.link_of_port(key);
      const std::uint32_t link = plan_link(key);
      for (const DegradeRequest& d : degrades_[key]) {
        action(d.start, FaultActionKind::kSetRate, link, d.fault);
        plan_.actions.back().rate_bps = d.rate_bps;
        action(d.start, FaultActionKind::kSetLoss, link, d.fault);
        plan_.actions.back().loss_rate = std::max(d.loss_rate, base.loss_rate);
        if (d.end == kNever) continue;
        action(d.end, FaultActionKind::kSetRate, link, d.fault);
        plan_.actions.back().rate_bps = base.rate_bps;
        action(d.end, FaultActionKind::kSetLoss, link, d.fault);
        plan_.actions.back().loss_rate = base.loss_rate;
      }
    }
    plan_convergence(changes);
    std::stable_sort(plan_.actions.begin(), plan_.actions.end(),
                     [](const FaultAction& a, const FaultAction& b) {
                       if (a.at != b.at) return a.at < b.at;
                       return static_cast<int>(a.kind) < static_cast<int>(b.kind);
                     });
    plan_.detection = spec_.detection;
    plan_.convergence = spec_.convergence;
    setup_.plan = std::make_shared<const models::FaultPlan>(std::move(plan_));
    return std::move(setup_);
  }

  // Each change is known to the control plane at its instant; the routes for the link state
  // it then knows are installed everywhere one convergence delay later (a convergence step).
  // Changes that leave the state of the step before need no step.
  void plan_convergence(std::vector<Change>& changes) {
    plan_.down_links.emplace_back();  // step 0: no link down
    if (!spec_.converge) return;
    std::stable_sort(changes.begin(), changes.end(),
                     [](const Change& a, const Change& b) { return a.at < b.at; });
    std::vector<std::uint32_t> down;  // sorted plan links
    for (std::size_t i = 0; i < changes.size();) {
      const sim::Time at = changes[i].at;
      for (; i < changes.size() && changes[i].at == at; ++i) {
        const Change& c = changes[i];
        const auto it = std::lower_bound(down.begin(), down.end(), c.link);
        if (c.down && (it == down.end() || *it != c.link)) down.insert(it, c.link);
        if (!c.down && it != down.end() && *it == c.link) down.erase(it);
        FaultRecord& r = plan_.faults[c.fault];
        const sim::Time when = plus(at, spec_.convergence);
        if (c.down) r.converged = std::min(r.converged, when);
        if (!c.down) r.reconverged = std::min(r.reconverged, when);
      }
      if (down == plan_.down_links.back()) continue;
      const sim::Time when = plus(at, spec_.convergence);
      if (when == kNever || when > stop_at_) break;  // later steps would never run
      FaultAction a;
      a.at = when;
      a.kind = FaultActionKind::kConverge;
      a.step = static_cast<std::uint32_t>(plan_.down_links.size());
      plan_.down_links.push_back(down);
      plan_.actions.push_back(a);
    }
  }

  const FaultSpec& spec_;
  const NetworkGraph& g_;
  sim::Rng rng_;
  sim::Time stop_at_;
  models::FaultPlan plan_;
  FaultSetup setup_;
  std::array<std::vector<std::uint32_t>, 5> class_links_;
  std::array<bool, 5> class_built_{};
  std::unordered_map<std::uint32_t, std::vector<DownRequest>> downs_;
  std::unordered_map<std::uint32_t, std::vector<DegradeRequest>> degrades_;
  std::unordered_map<std::uint32_t, std::size_t> plan_link_of_;
};

}  // namespace

std::string link_name(const NetworkGraph& g, std::uint32_t port) {
  const std::uint32_t peer = g.peer_port[port];
  if (!g.is_switch(g.port_node[peer])) return end_name(g, peer) + " - " + end_name(g, port);
  return end_name(g, port) + " - " + end_name(g, peer);
}

FaultSetup plan_faults(const FaultSpec& spec, const NetworkGraph& g, std::uint64_t scenario_seed,
                       sim::Time stop_at) {
  return Planner(spec, g, scenario_seed, stop_at).run();
}

}  // namespace fabricsim::scenario
