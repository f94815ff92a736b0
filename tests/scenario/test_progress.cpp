// Tests scenario/progress: the text of the progress line.
#include <catch2/catch.hpp>

#include "scenario/progress.hpp"

using namespace fabricsim;
using sim::Time;

TEST_CASE("the progress line shows simulated time, rate, detail and an ETA when bounded",
          "[scenario][progress]") {
  // A quarter of 4 ms simulated in 2 s of wall time: 6 s to go.
  CHECK(scenario::progress_text(Time::ms(1), Time::ms(4), 2.5e6, 2.0, "flows 3/8") ==
        "simulated 1 ms of 4 ms (25%), 2.5e+06 events/s, flows 3/8, ETA 6 s");
  // Without stop_at there is no fraction and no ETA.
  CHECK(scenario::progress_text(Time::us(7), Time::max(), 1e6, 1.0, "") ==
        "simulated 7 us, 1e+06 events/s");
  // Long ETAs in minutes and hours.
  CHECK_THAT(scenario::progress_text(Time::ms(1), Time::ms(100), 1e6, 10.0, ""),
             Catch::EndsWith("ETA 16 min 30 s"));
  CHECK_THAT(scenario::progress_text(Time::us(1), Time::ms(10), 1e6, 10.0, ""),
             Catch::EndsWith("ETA 27 h 46 min"));
}
