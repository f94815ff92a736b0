// A fault timeline made concrete (pure data, built before the run from a scenario's `faults`
// section): what happens to which link at which instant (the signal lost, each end's
// detection, the link back, a rate or loss change) and when routing converges. Every instant
// follows from the timeline and the reaction delays alone, never from traffic, so the plan is
// the same for every partitioning of a run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/fabric.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

// One end of a link: local port `port` of a switch or a NIC, as the topology numbers them (a
// NIC behind a PCIe stage is wired through the stage: Fabric::network_port).
struct LinkEnd {
  NodeRef node = NodeRef::sw(0);
  std::uint16_t port = 0;
};
struct LinkRef {
  LinkEnd a;
  LinkEnd b;
};

enum class FaultActionKind : std::uint8_t {
  kFail,      // the link loses its signal (both directions): what is sent is lost
  kDetect,    // an end notices: its port flushes and refuses packets, its switch repairs ECMP
  kRestore,   // the link works again (both ends)
  kSetRate,   // a degraded (or restored) rate, both directions
  kSetLoss,   // a corruption loss rate, both directions (0 = none)
  kConverge,  // routing converges: every switch gets the routes of convergence step `step`
};
const char* fault_action_name(FaultActionKind kind);

struct FaultAction {
  sim::Time at;
  FaultActionKind kind = FaultActionKind::kFail;
  std::uint32_t link = 0;   // index into FaultPlan::links (not for kConverge)
  std::uint8_t ends = 3;    // kDetect: bit 0 = end a, bit 1 = end b
  std::uint32_t step = 0;   // kConverge: the convergence step (FaultPlan::down_links)
  std::uint32_t fault = 0;  // the fault (FaultPlan::faults) it belongs to
  std::uint64_t rate_bps = 0;
  double loss_rate = 0.0;
};

// One fault of the timeline as the results report it, with the reaction instants the plan
// gives it (Time::max() where there is none: a link never restored, nothing to converge).
struct FaultRecord {
  std::string kind;    // link_down, flap, switch_reboot, nic_down, degrade
  std::string target;  // e.g. "switch 3 port 5 - switch 17 port 0"
  sim::Time at;
  sim::Time detected = sim::Time::max();
  sim::Time converged = sim::Time::max();  // routes without it installed
  sim::Time restored = sim::Time::max();   // back up (or its rate/loss restored)
  sim::Time reconverged = sim::Time::max();
  std::uint32_t links = 0;  // links it takes down or degrades
};

struct FaultPlan {
  std::vector<LinkRef> links;        // every link an action touches
  std::vector<FaultAction> actions;  // by time, then in the order they were planned
  std::vector<FaultRecord> faults;
  // Convergence steps, in the order the kConverge actions run them: step k routes around the
  // links in down_links[k] (indexes into `links`). Step 0 is the fault-free start.
  std::vector<std::vector<std::uint32_t>> down_links;
  sim::Time detection;  // the reaction delays the plan was made with (for results)
  sim::Time convergence;

  bool empty() const { return actions.empty(); }
};

// Gives a switch the routes of a convergence step (the topology layer computes them: the
// models know nothing of route computation). Every switch a process runs is asked once per
// step, in step order; from partition threads in parallel runs: implementations must be
// thread-safe and give every caller the same routes.
class RouteSource {
 public:
  virtual ~RouteSource() = default;
  virtual void install(Fabric& fabric, std::uint32_t switch_index, std::uint32_t step) = 0;
};

}  // namespace fabricsim::models
