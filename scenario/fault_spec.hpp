// The scenario's `faults` section, parsed and checked on its own (what needs the built
// topology, such as a switch that must exist, is checked when the timeline is planned:
// fault_timeline.hpp): scripted events (link down, switch reboot, NIC loss, degraded links),
// random link flaps per link class, the fabric's reaction delays, and straggler GPUs.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/straggler.hpp"
#include "sim/time.hpp"
#include "topologies/config_error.hpp"

namespace fabricsim::scenario {

// Links by where they sit: a NIC's link to its switch, leaf (tier 0) to spine (tier 1),
// spine to core (tier 2), any switch-to-switch link, or any link.
enum class LinkClass : std::uint8_t { kNic, kLeafSpine, kSpineCore, kSwitch, kAny };
const char* link_class_name(LinkClass c);

// One link, named by an end (a switch port, or a GPU's NIC), or drawn at random from a class.
struct LinkSelector {
  enum class By : std::uint8_t { kSwitchPort, kGpu, kRandom };
  By by = By::kRandom;
  std::uint32_t switch_index = 0;
  std::uint32_t port = 0;
  std::uint32_t gpu = 0;
  LinkClass link_class = LinkClass::kAny;
};

enum class FaultKind : std::uint8_t { kLinkDown, kSwitchReboot, kNicDown, kDegrade };
const char* fault_kind_name(FaultKind kind);

struct FaultEventSpec {
  FaultKind kind = FaultKind::kLinkDown;
  sim::Time at;
  sim::Time duration = sim::Time::max();  // "for": until the link is back; max() = never
  LinkSelector link;                      // link_down, degrade
  std::uint32_t switch_index = 0;         // switch_reboot
  std::uint32_t gpu = 0;                  // nic_down
  std::uint64_t rate_bps = 0;             // degrade: the new rate (0: rate_factor or unchanged)
  double rate_factor = 0.0;               // degrade: rate x factor (0 = not given)
  double loss_rate = 0.0;                 // degrade: per-packet corruption loss
  topologies::JsonLocation where;         // for errors found when planning
};

// How long a flapping link stays down.
struct DownTime {
  enum class Law : std::uint8_t { kFixed, kExponential, kUniform };
  Law law = Law::kFixed;
  sim::Time a;  // fixed value, exponential mean, or uniform lower bound
  sim::Time b;  // uniform upper bound
};

// Random flaps on a link class: a Poisson process of mean interval `every` over the whole
// class; each flap takes one link of the class, drawn uniformly, down for a DownTime.
struct FlapSpec {
  LinkClass link_class = LinkClass::kSwitch;
  sim::Time every;
  DownTime down;
  sim::Time from;
  sim::Time until = sim::Time::max();  // max(): until the scenario's stop_at
  topologies::JsonLocation where;
};

struct FaultSpec {
  bool configured = false;  // the scenario has a `faults` section with anything in it
  std::uint64_t seed = 0;   // draws of random links and flaps; 0: the scenario's seed
  // Reaction delays. Order-of-magnitude defaults (set them for the fabric at hand): a link's
  // loss of signal is noticed by the hardware in about a millisecond, routing protocols then
  // take tens to hundreds of milliseconds to move every switch's routes (detection and
  // convergence as two stages: ipspace.net, "How Fast Can We Detect a Network Failure?", 2020).
  sim::Time detection = sim::Time::ms(1);
  sim::Time convergence = sim::Time::ms(50);
  bool converge = true;  // false ("convergence": "never"): local ECMP repair only
  std::vector<FaultEventSpec> events;
  std::vector<FlapSpec> flaps;
  std::vector<Straggler> stragglers;  // GPUs slower than the rest (scenario/straggler.hpp)
};

// Parses `faults` (an object); `gpu_count` bounds the stragglers' GPU ids.
FaultSpec parse_faults(const nlohmann::json& faults, const topologies::JsonLocation& at,
                       std::uint32_t gpu_count);

// The resolved section for config.json (every default filled in).
nlohmann::json faults_to_json(const FaultSpec& spec);

}  // namespace fabricsim::scenario
