// Tests of topologies/params_json: reader, writer, docs, round trip over the model params.
#include <catch2/catch.hpp>

#include "models/params.hpp"
#include "topologies/params_json.hpp"

using namespace fabricsim;
using namespace fabricsim::topologies;
using Json = nlohmann::json;
using sim::Time;

namespace {
std::string error_of(const Json& j) {
  models::SwitchParams p;
  try {
    read_params(j, p, JsonLocation{"cfg.json", "/switch"});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("params reader applies units and keeps absent defaults", "[params_json]") {
  models::SwitchParams p;
  read_params(Json::parse(R"({"buffer": "16MiB", "latency": "1.5us", "forwarding": "cut_through",
                              "ecn": {"kmin": "50KB", "pmax": 0.5}, "pfc": {"xoff": "auto",
                              "headroom": 20000}, "priorities": 4})"),
              p, JsonLocation{"cfg.json", "/switch"});
  CHECK(p.buffer_bytes == 16ULL * 1024 * 1024);
  CHECK(p.latency == Time::ps(1'500'000));
  CHECK(p.forwarding == models::Forwarding::kCutThrough);
  CHECK(p.ecn.kmin_bytes == 50'000);
  CHECK(p.ecn.kmax_bytes == 400'000);  // default kept
  CHECK(p.ecn.pmax == 0.5);
  CHECK(p.pfc.xoff_bytes == 0);
  CHECK(p.pfc.headroom_bytes == 20'000);
  CHECK(p.priorities == 4);
  CHECK(p.routing == models::Routing::kEcmp);

  models::LinkParams l;
  read_params(Json::parse(R"({"rate": "400Gbps", "delay": "600ns", "mtu": "4KiB"})"), l,
              JsonLocation{"cfg.json", "/link"});
  CHECK(l.rate_bps == 400'000'000'000ULL);
  CHECK(l.delay == Time::ns(600));
  CHECK(l.mtu_bytes == 4096);
}

TEST_CASE("params reader names file, path, value and expectation", "[params_json]") {
  const std::string bad_unit = error_of(Json::parse(R"({"ecn": {"kmin": "10XB"}})"));
  CHECK_THAT(bad_unit, Catch::Contains("cfg.json: /switch/ecn/kmin: \"10XB\""));
  CHECK_THAT(bad_unit, Catch::Contains("unknown unit \"XB\""));
  CHECK_THAT(bad_unit, Catch::Contains("KiB"));
  const std::string unknown = error_of(Json::parse(R"({"ecn": {"kmn": 5}})"));
  CHECK_THAT(unknown, Catch::Contains("/switch/ecn/kmn: unknown key \"kmn\""));
  CHECK_THAT(unknown, Catch::Contains("kmin, kmax"));
  CHECK_THAT(error_of(Json::parse(R"({"routing": "random"})")),
             Catch::Contains("/switch/routing: \"random\": expected one of ecmp, spray, adaptive"));
  CHECK_THAT(error_of(Json::parse(R"({"priorities": -1})")),
             Catch::Contains("/switch/priorities: -1: expected a non-negative count"));
  CHECK_THAT(error_of(Json::parse(R"({"priorities": 5000000000})")),
             Catch::Contains("expected a count of at most 4294967295"));
  CHECK_THAT(error_of(Json::parse(R"({"dt_alpha": "big"})")),
             Catch::Contains("/switch/dt_alpha: \"big\": expected a number, got a string"));
  CHECK_THAT(error_of(Json::parse(R"({"ecn": {"enabled": 1}})")),
             Catch::Contains("/switch/ecn/enabled: 1: expected true or false"));
  CHECK_THAT(error_of(Json::parse(R"({"latency": 300})")),
             Catch::Contains("expected a time with a unit"));
  CHECK_THAT(error_of(Json::parse(R"({"ecn": 3})")),
             Catch::Contains("/switch/ecn: 3: expected an object"));
  CHECK_THAT(error_of(Json::parse(R"({"buffer": "auto"})")),
             Catch::Contains("/switch/buffer: \"auto\""));  // auto only where the doc allows it
  CHECK(error_of(Json::parse(R"({"pfc": {"xon": "auto"}})")).empty());
}

TEST_CASE("params writer emits every field, round trip is exact", "[params_json]") {
  models::SwitchParams p;
  read_params(Json::parse(R"({"buffer": "12345", "latency": "1234ps", "dt_alpha": 0.125,
                              "ecn": {"kmin": "1KiB", "kmax": "3MB", "enabled": false},
                              "pfc": {"xon": 7777}, "routing": "spray"})"),
              p, JsonLocation{"cfg.json", "/switch"});
  const Json out = write_params(p);
  CHECK(out["buffer"] == 12345);
  CHECK(out["latency"] == "1234ps");
  CHECK(out["ecn"]["kmin"] == "1KiB");
  CHECK(out["ecn"]["kmax"] == "3MB");
  CHECK(out["pfc"]["xoff"] == "auto");
  CHECK(out["routing"] == "spray");
  for (const char* key :
       {"buffer", "dt_alpha", "forwarding", "latency", "priorities", "ecn", "pfc", "routing"}) {
    CHECK(out.contains(key));
  }
  models::SwitchParams back;
  read_params(out, back, JsonLocation{"config.json", "/switch"});
  CHECK(back.buffer_bytes == p.buffer_bytes);
  CHECK(back.latency == p.latency);
  CHECK(back.dt_alpha == p.dt_alpha);
  CHECK(back.forwarding == p.forwarding);
  CHECK(back.priorities == p.priorities);
  CHECK(back.ecn.enabled == p.ecn.enabled);
  CHECK(back.ecn.kmin_bytes == p.ecn.kmin_bytes);
  CHECK(back.ecn.kmax_bytes == p.ecn.kmax_bytes);
  CHECK(back.ecn.pmax == p.ecn.pmax);
  CHECK(back.pfc.xoff_bytes == p.pfc.xoff_bytes);
  CHECK(back.pfc.xon_bytes == p.pfc.xon_bytes);
  CHECK(back.routing == p.routing);
  CHECK(write_params(back) == out);

  models::LinkParams l;
  l.rate_bps = 1'600'000'000'000ULL;
  l.delay = Time::ps(2'500'000);
  l.loss_rate = 1e-6;
  const Json lj = write_params(l);
  CHECK(lj["rate"] == "1600Gbps");
  CHECK(lj["delay"] == "2500ns");
  models::LinkParams lb;
  read_params(lj, lb, JsonLocation{"x", ""});
  CHECK(lb.rate_bps == l.rate_bps);
  CHECK(lb.delay == l.delay);
  CHECK(lb.mtu_bytes == l.mtu_bytes);
  CHECK(lb.loss_rate == l.loss_rate);

  models::NicParams n;
  n.transport = models::NicTransport::kInfiniband;
  models::NicParams nb;
  read_params(write_params(n), nb, JsonLocation{"x", ""});
  CHECK(nb.transport == models::NicTransport::kInfiniband);
  CHECK(nb.rto == n.rto);
  CHECK(nb.header_bytes == n.header_bytes);
  CHECK(write_params(nb) == write_params(n));
}

TEST_CASE("params docs list name, unit, default and doc", "[params_json]") {
  const auto docs = describe_params<models::SwitchParams>("switch.");
  REQUIRE(docs.size() >= 14);  // every leaf field of SwitchParams (models may add more)
  const auto find = [&](const std::string& name) {
    for (const auto& d : docs) {
      if (d.name == name) return d;
    }
    FAIL("missing " << name);
    return ParamDoc{};
  };
  CHECK(find("switch.ecn.kmin").unit == "bytes");
  CHECK(find("switch.ecn.kmin").default_value == "100KB");
  CHECK(find("switch.latency").default_value == "300ns");
  CHECK(find("switch.pfc.xoff").default_value == "auto");
  CHECK(find("switch.routing").unit == "ecmp|spray|adaptive|entropy");
  CHECK(find("switch.buffer").doc == "shared packet buffer of the switch");
  const std::string table = format_param_docs(docs);
  CHECK_THAT(table, Catch::Contains("switch.ecn.pmax"));
  CHECK_THAT(table, Catch::Contains("32MiB"));
}

TEST_CASE("counts built in code as signed JSON integers are read like parsed ones", "[params]") {
  const JsonLocation at{"x.json", "/n"};
  CHECK(read_count(Json(std::int64_t{7}), at, 100) == 7);
  CHECK(read_count(Json::parse("7"), at, 100) == 7);
  CHECK_THROWS_WITH(read_count(Json(std::int64_t{-7}), at, 100),
                    Catch::Contains("/n") && Catch::Contains("non-negative"));
}

TEST_CASE("a preset key resets its struct to the preset before the other keys apply",
          "[params_json]") {
  models::NicParams nic;
  nic.cc.dcqcn.g = 0.25;  // e.g. set by a topology: the preset replaces it
  read_params(Json::parse(R"({"cc": {"dcqcn": {"preset": "ns3", "alpha_timer": "2us"}}})"), nic,
              JsonLocation{"cfg.json", "/nic"});
  CHECK(nic.cc.dcqcn.preset == models::DcqcnPreset::kNs3);
  CHECK(nic.cc.dcqcn.g == 1.0 / 256.0);            // the preset's value
  CHECK(nic.cc.dcqcn.alpha_timer == Time::us(2));  // the explicit key wins
  CHECK(nic.cc.dcqcn.rate_increase_timer == Time::us(300));
  CHECK(nic.cc.dcqcn.cut_timing == models::DcqcnCutTiming::kGrid);
  // Without a preset key the values already there stay.
  read_params(Json::parse(R"({"cc": {"dcqcn": {"g": 0.5}}})"), nic,
              JsonLocation{"cfg.json", "/nic"});
  CHECK(nic.cc.dcqcn.preset == models::DcqcnPreset::kNs3);
  CHECK(nic.cc.dcqcn.alpha_timer == Time::us(2));
  CHECK(nic.cc.dcqcn.g == 0.5);
  // The writer's output (preset and every knob) reads back to the same struct.
  models::NicParams back;
  read_params(write_params(nic), back, JsonLocation{"cfg.json", "/nic"});
  CHECK(write_params(back) == write_params(nic));
  try {
    read_params(Json::parse(R"({"cc": {"dcqcn": {"preset": "mellanox"}}})"), nic,
                JsonLocation{"cfg.json", "/nic"});
    FAIL("an unknown preset was accepted");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("/nic/cc/dcqcn/preset: \"mellanox\": expected one of "
                                         "firmware, paper, ns3"));
  }
}

TEST_CASE("nscc knobs read from nic.cc.nscc, with units, and name the bad ones", "[params_json]") {
  models::NicParams nic;
  read_params(Json::parse(R"({"cc": {"algorithm": "nscc", "nscc": {"base_rtt": "8us",
                              "target_qdelay": "6us", "trimming": true, "md_gain": 0.5,
                              "reference_rate": "400Gbps", "quick_adapt": false, "qa_gate": 2,
                              "initial_window": "64KiB"}}})"),
              nic, JsonLocation{"cfg.json", "/nic"});
  CHECK(nic.cc.algorithm == models::CcAlgorithm::kNscc);
  CHECK(nic.cc.nscc.base_rtt == Time::us(8));
  CHECK(nic.cc.nscc.target_qdelay == Time::us(6));
  CHECK(nic.cc.nscc.trimming);
  CHECK(nic.cc.nscc.md_gain == 0.5);
  CHECK(nic.cc.nscc.reference_rate_bps == 400'000'000'000ULL);
  CHECK_FALSE(nic.cc.nscc.quick_adapt);
  CHECK(nic.cc.nscc.qa_gate == 2);
  CHECK(nic.cc.nscc.initial_window_bytes == 65'536);
  CHECK(nic.cc.nscc.fair_increase == 5.0);  // absent keys keep their defaults
  CHECK(nic.cc.nscc.max_window_bdp == 1.5);
  models::NicParams back;
  read_params(write_params(nic), back, JsonLocation{"cfg.json", "/nic"});
  CHECK(write_params(back) == write_params(nic));
  auto error = [&](const char* text) -> std::string {
    try {
      read_params(Json::parse(text), nic, JsonLocation{"cfg.json", "/nic"});
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  CHECK_THAT(error(R"({"cc": {"nscc": {"md_gain": "big"}}})"),
             Catch::Contains("/nic/cc/nscc/md_gain: \"big\": expected a number, got a string"));
  CHECK_THAT(error(R"({"cc": {"nscc": {"gamma": 0.8}}})"),
             Catch::Contains("/nic/cc/nscc/gamma: unknown key \"gamma\""));
  CHECK_THAT(error(R"({"cc": {"nscc": {"base_rtt": 12}}})"),
             Catch::Contains("expected a time with a unit"));
  CHECK_THAT(error(R"({"cc": {"algorithm": "uec"}})"),
             Catch::Contains("expected one of none, dcqcn, ib, swift, hpcc, nscc"));
}
