// Tests sim/time.hpp and sim/units.hpp: literals, arithmetic, parsing valid and invalid text.
#include <catch2/catch.hpp>

#include "sim/time.hpp"
#include "sim/units.hpp"

using namespace fabricsim::sim;
using namespace fabricsim::sim::literals;

TEST_CASE("Time literals and arithmetic are in picoseconds", "[time]") {
  CHECK((5_ns).picoseconds() == 5'000);
  CHECK((2_us).picoseconds() == 2'000'000);
  CHECK((1_ms + 500_us) == Time::us(1500));
  CHECK((1_s).seconds() == Approx(1.0));
  CHECK((3_us) / (1_us) == 3);
  CHECK((10_ns) * 3 == 30_ns);
  CHECK(1_ns < 2_ns);
}

TEST_CASE("serialization_time rounds up to whole picoseconds", "[time]") {
  CHECK(serialization_time(64, 800'000'000'000ULL) == 640_ps);
  CHECK(serialization_time(4096, 100'000'000'000ULL) == Time::ps(327'680));
  CHECK(serialization_time(1, 3'000'000'000ULL) == Time::ps(2667));  // 2666.67 -> 2667
  CHECK(serialization_time(0, 100) == Time::ps(0));
}

TEST_CASE("parse_time accepts the documented units", "[units]") {
  CHECK(parse_time("500ns") == 500_ns);
  CHECK(parse_time("1.5us") == Time::ns(1500));
  CHECK(parse_time("2ms") == 2_ms);
  CHECK(parse_time("1s") == 1_s);
  CHECK(parse_time("100ps") == 100_ps);
  CHECK(parse_time("0us") == Time::zero());
  CHECK(parse_time("1e3ns") == 1_us);
}

TEST_CASE("parse_bytes distinguishes decimal and binary prefixes", "[units]") {
  CHECK(parse_bytes("2KB") == 2000);
  CHECK(parse_bytes("2KiB") == 2048);
  CHECK(parse_bytes("64MiB") == 64ULL << 20);
  CHECK(parse_bytes("1GB") == 1'000'000'000ULL);
  CHECK(parse_bytes("1.5KiB") == 1536);
  CHECK(parse_bytes("4096") == 4096);
  CHECK(parse_bytes("4096B") == 4096);
  CHECK(parse_bytes("0B") == 0);
}

TEST_CASE("parse_rate_bps handles bits and bytes per second", "[units]") {
  CHECK(parse_rate_bps("400Gbps") == 400'000'000'000ULL);
  CHECK(parse_rate_bps("100Mbps") == 100'000'000ULL);
  CHECK(parse_rate_bps("1.6Tbps") == 1'600'000'000'000ULL);
  CHECK(parse_rate_bps("900GBps") == 7'200'000'000'000ULL);
  CHECK(parse_rate_bps("25GB/s") == 200'000'000'000ULL);
}

TEST_CASE("bad quantities give errors that name the text and the expectation", "[units]") {
  struct Case {
    const char* text;
    const char* must_contain;
  };
  const Case time_cases[] = {{"", "expected a non-negative number"},
                             {"us", "expected a non-negative number"},
                             {"-1us", "expected a non-negative number"},
                             {"10", "missing unit"},
                             {"10 us", "unknown unit \" us\""},
                             {"10sec", "unknown unit \"sec\""},
                             {"0.1ps", "not a whole number"},
                             {"1.2.3us", "unknown unit"}};
  for (const auto& c : time_cases) {
    INFO(c.text);
    try {
      (void)parse_time(c.text);
      FAIL("no error for \"" << c.text << "\"");
    } catch (const UnitError& e) {
      CHECK_THAT(e.what(), Catch::Contains(c.must_contain));
      CHECK_THAT(e.what(), Catch::Contains(std::string("\"") + c.text + "\""));
    }
  }
  CHECK_THROWS_AS(parse_bytes("12XB"), UnitError);
  CHECK_THROWS_AS(parse_bytes("0.5B"), UnitError);
  CHECK_THROWS_AS(parse_bytes("-3MB"), UnitError);
  CHECK_THROWS_WITH(parse_rate_bps("400"), Catch::Contains("missing unit"));
  CHECK_THROWS_WITH(parse_rate_bps("400Gb"), Catch::Contains("unknown unit \"Gb\""));
  CHECK_THROWS_WITH(parse_rate_bps("0Gbps"), Catch::Contains("must be positive"));
  CHECK_THROWS_WITH(parse_bytes("99999999999TB"), Catch::Contains("too large"));
}

TEST_CASE("quantities format for humans", "[units]") {
  CHECK(format_time(1500_ns) == "1.5 us");
  CHECK(format_time(250_ps) == "250 ps");
  CHECK(format_bytes(64ULL << 20) == "64 MiB");
  CHECK(format_rate(400'000'000'000ULL) == "400 Gbps");
}
