// Tests sim/trace.hpp: the output parses as Chrome trace JSON with the events written.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sim/trace.hpp"

using namespace fabricsim::sim;
using namespace fabricsim::sim::literals;

TEST_CASE("TraceWriter writes valid trace-event JSON", "[trace]") {
  const auto path = std::filesystem::temp_directory_path() / "fabricsim_test_trace.json";
  {
    TraceWriter w(path.string());
    w.process_name(1, "rank \"0\"");
    w.thread_name(1, 2, "channel 0");
    w.complete("send step 1", "collective", 1, 2, 1500_ns, 2_us);
    w.instant("drop", "fabric", 1, 2, 3_us);
    w.counter("queue_bytes", 1, 4_us, 4096);
    CHECK(w.events_written() == 5);
  }
  std::ifstream in(path);
  const auto doc = nlohmann::json::parse(in);
  const auto& events = doc.at("traceEvents");
  REQUIRE(events.size() == 5);
  CHECK(events[0]["args"]["name"] == "rank \"0\"");
  CHECK(events[2]["ph"] == "X");
  CHECK(events[2]["ts"].get<double>() == Approx(1.5));
  CHECK(events[2]["dur"].get<double>() == Approx(2.0));
  CHECK(events[4]["args"]["value"].get<double>() == Approx(4096));
  std::filesystem::remove(path);
}

TEST_CASE("TraceWriter names the path it cannot open", "[trace]") {
  CHECK_THROWS_WITH(TraceWriter("/nonexistent-dir/x/trace.json"),
                    Catch::Contains("/nonexistent-dir/x/trace.json"));
}
