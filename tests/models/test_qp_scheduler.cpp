// The NIC's QP scheduler (models/nic/qp_scheduler.hpp): FIFO ring, paced heap released in time
// order (ties in parking order), ring growth across wrap-around.
#include <catch2/catch.hpp>

#include <vector>

#include "models/nic/qp_scheduler.hpp"

using fabricsim::models::QpScheduler;
using fabricsim::sim::Time;

TEST_CASE("qp scheduler: the ring is first in, first out") {
  QpScheduler s;
  CHECK_FALSE(s.has_ready());
  for (std::uint32_t q : {5U, 1U, 9U})
    s.push_ready(q);
  CHECK(s.ready_count() == 3);
  CHECK(s.pop_ready() == 5);
  s.push_ready(5);
  CHECK(s.pop_ready() == 1);
  CHECK(s.pop_ready() == 9);
  CHECK(s.pop_ready() == 5);
  CHECK_FALSE(s.has_ready());
}

TEST_CASE("qp scheduler: the ring keeps its order when it grows while wrapped") {
  QpScheduler s;
  std::vector<std::uint32_t> expected;
  std::uint32_t next = 0;
  // Push and pop unevenly so the head wanders around the buffer while it doubles.
  for (int round = 0; round < 200; ++round) {
    for (int k = 0; k < 3; ++k) {
      s.push_ready(next);
      expected.push_back(next++);
    }
    REQUIRE(s.pop_ready() == expected.front());
    expected.erase(expected.begin());
  }
  for (const std::uint32_t q : expected)
    REQUIRE(s.pop_ready() == q);
  CHECK_FALSE(s.has_ready());
}

TEST_CASE("qp scheduler: paced QPs are released when due, earliest first, ties in order") {
  QpScheduler s;
  CHECK(s.next_due() == Time::max());
  s.push_paced(1, Time::us(5));
  s.push_paced(2, Time::us(3));
  s.push_paced(3, Time::us(5));
  s.push_paced(4, Time::us(9));
  s.push_ready(7);
  CHECK(s.next_due() == Time::us(3));
  s.release_due(Time::us(2));
  CHECK(s.ready_count() == 1);
  s.release_due(Time::us(5));
  CHECK(s.paced_count() == 1);
  CHECK(s.next_due() == Time::us(9));
  // Behind the QP already in the ring: 2 (due at 3 us), then 1 and 3 (both 5 us, parked so).
  CHECK(s.pop_ready() == 7);
  CHECK(s.pop_ready() == 2);
  CHECK(s.pop_ready() == 1);
  CHECK(s.pop_ready() == 3);
  s.release_due(Time::ms(1));
  CHECK(s.pop_ready() == 4);
  CHECK(s.paced_count() == 0);
  CHECK(s.memory_bytes() > 0);
}
