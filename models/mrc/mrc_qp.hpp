// The MRC state of one queue pair (nic.transport mrc), held by its QueuePair: the EVs it sprays
// over, the sender's scoreboard and the receiver's placement window of its PSNs.
#pragma once

#include "models/mrc/ev_set.hpp"
#include "models/mrc/scoreboard.hpp"
#include "sim/time.hpp"

namespace fabricsim::models {

struct MrcQp {
  EvSet evs;  // empty until the QP first sends
  std::uint64_t ev_seed = 0;
  SendScoreboard send;
  PlacementWindow recv;
  sim::Time last_cnp = sim::Time::ps(-(1LL << 62));      // a CE echo reached the CC (DCQCN) then
  sim::Time last_timeout = sim::Time::ps(-(1LL << 62));  // the last counted timer period
  bool timer_armed = false;                              // a retransmit-timer event is pending
};

}  // namespace fabricsim::models
