// Tests sim/event_queue.hpp: ordering by time then tie, against a sorted reference.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "sim/event_queue.hpp"
#include "sim/rng.hpp"

using namespace fabricsim::sim;

TEST_CASE("EventQueue pops in (time, tie) order", "[event_queue]") {
  EventQueue q;
  CHECK(q.empty());
  q.push(Event{Time::ns(5), 2, nullptr, 52});
  q.push(Event{Time::ns(1), 9, nullptr, 19});
  q.push(Event{Time::ns(5), 1, nullptr, 51});
  q.push(Event{Time::ns(3), 0, nullptr, 30});
  REQUIRE(q.size() == 4);
  CHECK(q.top_time() == Time::ns(1));
  std::vector<std::uint64_t> args;
  while (!q.empty())
    args.push_back(q.pop().arg);
  CHECK(args == std::vector<std::uint64_t>{19, 30, 51, 52});
}

TEST_CASE("EventQueue agrees with a sorted reference under random pushes and pops",
          "[event_queue]") {
  Rng rng(7);
  EventQueue q;
  std::vector<std::pair<std::int64_t, std::uint64_t>> reference;
  std::uint64_t tie = 0;
  for (int round = 0; round < 20000; ++round) {
    if (reference.empty() || rng.below(3) != 0) {
      // Few distinct times, so ties matter.
      const auto t = static_cast<std::int64_t>(rng.below(50));
      const std::uint64_t k = rng.next_u64() >> 8 ^ ++tie;
      q.push(Event{Time::ps(t), k, nullptr, 0});
      reference.emplace_back(t, k);
    } else {
      auto it = std::min_element(reference.begin(), reference.end());
      const Event e = q.pop();
      REQUIRE(e.at.picoseconds() == it->first);
      REQUIRE(e.tie == it->second);
      reference.erase(it);
    }
    REQUIRE(q.size() == reference.size());
  }
}

TEST_CASE("EventQueue gives back the room of drained buckets", "[event_queue]") {
  // A hold model, as a fabric runs: each popped event schedules one 0.1-1 us later. As time
  // advances, nearly every bucket in turn holds most of the pending events; drained buckets
  // must not all keep room for them.
  EventQueue q;
  Rng rng(7);
  constexpr std::size_t kPending = 100'000;
  for (std::size_t i = 0; i < kPending; ++i)
    q.push(Event{Time::ps(static_cast<std::int64_t>(rng.below(1'000'000))), i, nullptr, 0});
  std::size_t peak = 0;
  for (std::size_t i = 0; i < 20 * kPending; ++i) {
    const Event e = q.pop();
    const auto delay = 100'000 + static_cast<std::int64_t>(rng.below(900'000));
    q.push(Event{e.at + Time::ps(delay), i + kPending, nullptr, 0});
    peak = std::max(peak, q.capacity());
  }
  CHECK(q.size() == kPending);
  // Live events plus slack of at most 2x in the buckets being filled, plus what drained
  // buckets may keep; without giving room back this reaches several times kPending.
  CHECK(peak <= 2 * kPending + 65 * EventQueue::kKeptCapacity);
  while (!q.empty())
    q.pop();
  CHECK(q.capacity() <= 65 * EventQueue::kKeptCapacity + 2 * kPending);
}

TEST_CASE("TieKey packs component id above the sequence number", "[event_queue]") {
  const auto a = TieKey::make(1, 999);
  const auto b = TieKey::make(2, 0);
  CHECK(a < b);
  CHECK(TieKey::component(a) == 1);
  CHECK(TieKey::component(TieKey::make(12345, 7)) == 12345);
}
