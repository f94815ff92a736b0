// Tests sim/stats.hpp: exact percentiles and the periodic sampler.
#include <catch2/catch.hpp>

#include <sstream>

#include "sim/stats.hpp"

using namespace fabricsim::sim;
using namespace fabricsim::sim::literals;

TEST_CASE("Histogram percentiles are exact nearest-rank values", "[stats]") {
  Histogram h;
  CHECK(h.percentile(50) == 0);
  for (int v = 100; v >= 1; --v)
    h.add(v);  // 1..100, added out of order
  CHECK(h.count() == 100);
  CHECK(h.percentile(50) == 50);
  CHECK(h.percentile(99) == 99);
  CHECK(h.percentile(99.5) == 100);
  CHECK(h.min() == 1);
  CHECK(h.max() == 100);
  CHECK(h.mean() == Approx(50.5));
  h.add(1000);
  CHECK(h.max() == 1000);
  Histogram three;
  three.add(10);
  three.add(20);
  three.add(30);
  CHECK(three.percentile(50) == 20);
  CHECK(three.percentile(34) == 20);
  CHECK(three.percentile(33) == 10);
}

TEST_CASE("Sampler samples probes at the interval while the run goes on", "[stats]") {
  Simulator sim;
  struct Idle : EventHandler {
    void on_event(std::uint64_t) override {}
  } idle;
  sim.schedule(95_ns, idle, 0);  // the "real" work ends at 95 ns
  double value = 0;
  Sampler sampler(sim, 10_ns);
  sampler.add_probe("now_ns", [&] { return sim.now().nanoseconds(); });
  sampler.add_probe("constant", [&] { return value; });
  sampler.start();
  sim.run();
  // Samples at 0, 10, ..., 90 and one more at 100 (the sample after the last event).
  REQUIRE(sampler.times().size() == 11);
  CHECK(sampler.series()[0].values[3] == Approx(30.0));
  std::ostringstream csv;
  sampler.write_csv(csv);
  CHECK(csv.str().rfind("time_ps,now_ns,constant\n0,0,0\n10000,10,0\n", 0) == 0);
}
