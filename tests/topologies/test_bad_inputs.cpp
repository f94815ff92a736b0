// The bad-input table: each malformed topology must raise one ConfigError whose message
// names the file, the JSON path and what was expected (and the value where there is one).
#include <catch2/catch.hpp>

#include <fstream>

#include "helpers.hpp"
#include "topologies/json_file.hpp"

using namespace fabricsim::topologies;

namespace {

struct BadCase {
  const char* json;
  const char* path;         // must appear as "bad.json: <path>"
  const char* expectation;  // must appear in the message
};

#define FT R"("kind": "fat_tree", "tiers": 2, "radix": 8)"
#define RAIL R"("kind": "rail_optimized", "nodes": 4, "gpus_per_node": 8, "radix": 16)"
#define DF R"("kind": "dragonfly", "groups": 3, "routers_per_group": 2, "hosts_per_router": 1)"

const BadCase kCases[] = {
    // document shape, schema, kind
    {R"([1, 2])", "/", "expected an object, got an array"},
    {R"({"tiers": 2})", "/kind", "missing required key \"kind\""},
    {R"({"kind": "mesh"})", "/kind", "\"mesh\": unknown kind, expected one of fat_tree"},
    {R"({"kind": 3})", "/kind", "3: expected a string, got a number"},
    {R"({"schema": "fabricsim.topology/2", )" FT "}", "/schema",
     "expected \"fabricsim.topology/1\""},
    {R"({"name": 5, )" FT "}", "/name", "expected a string"},
    {R"({"colour": "red", )" FT "}", "/colour", "unknown key \"colour\", expected one of"},
    // model blocks
    {R"({"link": {"rate": "100Gbs"}, )" FT "}", "/link/rate", "unknown unit \"Gbs\""},
    {R"({"link": {"rate": "-100Gbps"}, )" FT "}", "/link/rate",
     "expected a non-negative number followed by"},
    {R"({"link": {"rate": "0Gbps"}, )" FT "}", "/link/rate", "must be positive"},
    {R"({"link": {"rate": 100}, )" FT "}", "/link/rate", "expected a rate with a unit"},
    {R"({"link": {"delay": "1 fortnight"}, )" FT "}", "/link/delay", "invalid time"},
    {R"({"link": {"mtu": 32}, )" FT "}", "/link/mtu", "expected an MTU of 64 to 65536 bytes"},
    {R"({"link": {"mtu": "1MiB"}, )" FT "}", "/link/mtu", "1048576: expected an MTU of 64 to"},
    {R"({"tier_links": {"host": {"mtu": 10}}, )" FT "}", "/tier_links/host/mtu",
     "10: expected an MTU of 64"},
    {R"({"tier_links": {"leaf_spine": {"rate": "0Gbps"}}, )" FT "}", "/tier_links/leaf_spine/rate",
     "must be positive"},
    {R"({"kind": "explicit", "switches": [{"name": "s"}], "hosts": [{"name": "h"}],
         "links": [{"a": "h", "b": "s", "mtu": 10}]})",
     "/links/0/mtu", "10: expected an MTU of 64"},
    {R"({"kind": "explicit", "switches": [{"name": "s"}], "hosts": [{"name": "h"}],
         "links": [{"a": "h", "b": "s", "loss_rate": 2}]})",
     "/links/0/loss_rate", "expected a probability in [0, 1]"},
    {R"({"link": {"mtu": "9GiB"}, )" FT "}", "/link/mtu", "expected at most 4294967295 bytes"},
    {R"({"link": {"loss_rate": 1.5}, )" FT "}", "/link/loss_rate", "probability in [0, 1]"},
    {R"({"link": {"loss_rate": -0.1}, )" FT "}", "/link/loss_rate", "non-negative number"},
    {R"({"link": {"speed": "1Gbps"}, )" FT "}", "/link/speed", "unknown key \"speed\""},
    {R"({"switch": {"ecn": {"kmin": "10XB"}}, )" FT "}", "/switch/ecn/kmin",
     "\"10XB\": invalid size \"10XB\": unknown unit \"XB\""},
    {R"({"switch": {"ecn": {"kmin": "500KB", "kmax": "400KB"}}, )" FT "}", "/switch/ecn/kmin",
     "expected kmin <= kmax"},
    {R"({"switch": {"ecn": {"pmax": 2}}, )" FT "}", "/switch/ecn/pmax", "probability in [0, 1]"},
    {R"({"switch": {"routing": "ospf"}, )" FT "}", "/switch/routing",
     "expected one of ecmp, spray, adaptive"},
    {R"({"switch": {"pfc": {"enabled": "yes"}}, )" FT "}", "/switch/pfc/enabled",
     "expected true or false"},
    {R"({"switch": {"priorities": 0}, )" FT "}", "/switch/priorities", "expected 1 to 4"},
    {R"({"switch": {"buffer": -5}, )" FT "}", "/switch/buffer", "non-negative byte count"},
    {R"({"nic": {"transport": "tcp"}, )" FT "}", "/nic/transport",
     "expected one of roce, infiniband"},
    {R"({"nic": {"ack_every": 0}, )" FT "}", "/nic/ack_every", "expected a count >= 1"},
    {R"({"gpu": 7, )" FT "}", "/gpu", "expected an object"},
    // fat_tree structure
    {R"({"kind": "fat_tree", "tiers": 2})", "/radix", "missing required key \"radix\""},
    {R"({"kind": "fat_tree", "tiers": 4, "radix": 8})", "/tiers", "expected a count in [2, 3]"},
    {R"({"kind": "fat_tree", "radix": 8.5})", "/radix", "expected a whole count"},
    {R"({"kind": "fat_tree", "radix": "8"})", "/radix", "expected count, got a string"},
    {R"({)" FT R"(, "hosts": 100})", "/hosts", "radix too small"},
    {R"({)" FT R"(, "hosts": 0})", "/hosts", "expected >= 1 host"},
    {R"({)" FT R"(, "oversubscription": "3:2"})", "/oversubscription",
     "splits the radix 8 into whole down and up port counts"},
    {R"({)" FT R"(, "oversubscription": "fast"})", "/oversubscription",
     "expected an oversubscription ratio"},
    {R"({)" FT R"(, "oversubscription": {"spine": "2:1"}})", "/oversubscription/spine",
     "spine oversubscription needs tiers 3"},
    {R"({)" FT R"(, "oversubscription": {"leaf": "1:1", "core": "1:1"}})", "/oversubscription/core",
     "unknown key \"core\""},
    {R"({)" FT R"(, "hosts_per_leaf": 8})", "/hosts_per_leaf", "expected a count in [1, 7]"},
    {R"({)" FT R"(, "hosts_per_leaf": 4, "oversubscription": "1:1"})", "/hosts_per_leaf",
     "not both"},
    {R"({)" FT R"(, "tier_links": {"host": {"rate": "10Gbps"}, "edge": {}}})", "/tier_links/edge",
     "unknown key \"edge\""},
    {R"({)" FT R"(, "tier_links": {"leaf_spine": {"delay": "fast"}}})",
     "/tier_links/leaf_spine/delay", "invalid time \"fast\""},
    // rail_optimized structure
    {R"({"kind": "rail_optimized", "gpus_per_node": 8, "radix": 16})", "/nodes",
     "missing required key \"nodes\""},
    {R"({)" RAIL R"(, "rails": 3})", "/rails", "expected a divisor of gpus_per_node (8)"},
    {R"({)" RAIL R"(, "planes": 17})", "/planes", "expected a count in [1, 16]"},
    {R"({"kind": "fat_tree", "radix": 8, "tiers": 2, "planes": 0})", "/planes",
     "expected a count in [1, 16]"},
    {R"({)" RAIL R"(, "nvlink": {"bandwidth": "fast"}})", "/nvlink/bandwidth", "invalid rate"},
    {R"({)" RAIL R"(, "nvlink": {"lanes": 4}})", "/nvlink/lanes", "unknown key \"lanes\""},
    {R"({"kind": "rail_optimized", "nodes": 4, "gpus_per_node": 72, "rails": 2, "radix": 16})",
     "/rails", "a node puts 36 NICs on each rail but a leaf has only 8 host ports"},
    {R"({"kind": "rail_optimized", "nodes": 200, "gpus_per_node": 8, "radix": 8, "tiers": 2})",
     "/nodes", "radix too small"},
    {R"({"kind": "rail_optimized", "nodes": 0, "gpus_per_node": 8, "radix": 16})", "/nodes",
     "expected a count in [1,"},
    // dragonfly structure
    {R"({"kind": "dragonfly", "groups": 0, "routers_per_group": 2, "hosts_per_router": 1,
         "global_links_per_router": 1})",
     "/groups", "expected a count in [2,"},
    {R"({)" DF R"(})", "/global_links_per_router", "missing required key"},
    {R"({"kind": "dragonfly", "groups": 10, "routers_per_group": 2, "hosts_per_router": 1,
         "global_links_per_router": 2})",
     "/global_links_per_router", "must reach 9 other groups"},
    {R"({)" DF R"(, "global_links_per_router": 1, "radix": 2})", "/radix",
     "radix too small: a router needs 3 ports"},
    {R"({)" DF R"(, "global_links_per_router": 1, "tier_links": {"global": {"rate": "0bps"}}})",
     "/tier_links/global/rate", "must be positive"},
    // torus structure
    {R"({"kind": "torus"})", "/dims", "missing required key \"dims\""},
    {R"({"kind": "torus", "dims": [4]})", "/dims", "expected an array of 2 or 3 sizes"},
    {R"({"kind": "torus", "dims": [4, 0]})", "/dims/1", "expected a size >= 1"},
    {R"({"kind": "torus", "dims": [4, -2]})", "/dims/1", "non-negative count"},
    {R"({"kind": "torus", "dims": [4, 4], "wrap": "yes"})", "/wrap", "expected true or false"},
    {R"({"kind": "torus", "dims": "4x4"})", "/dims", "expected an array of 2 or 3 sizes"},
    // explicit structure
    {R"({"kind": "explicit", "hosts": [{"name": "h"}], "links": []})", "/switches",
     "missing required key \"switches\""},
    {R"({"kind": "explicit", "switches": [], "hosts": [{"name": "h"}], "links": []})", "/switches",
     "expected a non-empty array"},
    {R"({"kind": "explicit", "switches": [{"name": "s"}, {"name": "s"}], "hosts": [{"name": "h"}],
         "links": [{"a": "h", "b": "s"}]})",
     "/switches/1/name", "expected a unique name"},
    {R"({"kind": "explicit", "switches": [{"name": "s"}], "hosts": [{"name": "h"}],
         "links": [{"a": "h", "b": "t"}]})",
     "/links/0/b", "\"t\": expected the name of a switch or host"},
    {R"({"kind": "explicit", "switches": [{"name": "s"}], "hosts": [{"name": "h"}],
         "links": [{"a": "h"}]})",
     "/links/0/b", "missing required key \"b\""},
    {R"({"kind": "explicit", "switches": [{"name": "s"}], "hosts": [{"name": "h"}],
         "links": [{"a": "h", "b": "s", "rate": "fast"}]})",
     "/links/0/rate", "invalid rate \"fast\""},
    {R"({"kind": "explicit", "switches": [{"name": "s"}], "hosts": [{"name": "h"}, {"name": "g"}],
         "links": [{"a": "h", "b": "s"}]})",
     "/hosts/1", "expected a host with at least one link"},
    {R"({"kind": "explicit", "switches": [{"name": "s", "tier": "top"}], "hosts": [{"name": "h"}],
         "links": [{"a": "h", "b": "s"}]})",
     "/switches/0/tier", "expected count, got a string"},
    {R"({"kind": "explicit", "switches": [{"name": "s"}], "hosts": [{"name": "h"}, {"name": "g"}],
         "links": [{"a": "h", "b": "g"}]})",
     "/links/0", "host-to-host links are not supported"},
};

}  // namespace

TEST_CASE("bad topology inputs: one clear ConfigError each", "[bad_inputs]") {
  STATIC_REQUIRE(sizeof(kCases) / sizeof(kCases[0]) >= 30);
  std::size_t index = 0;
  for (const auto& c : kCases) {
    INFO("case " << index++ << ": " << c.json);
    std::string message;
    try {
      parse_topology(nlohmann::json::parse(c.json), "bad.json");
    } catch (const ConfigError& e) {
      message = e.what();
    }
    INFO("message: " << message);
    REQUIRE(!message.empty());
    CHECK_THAT(message, Catch::Contains(std::string("bad.json: ") + c.path));
    CHECK_THAT(message, Catch::Contains(c.expectation));
  }
}

TEST_CASE("unreadable and malformed files name the file", "[bad_inputs]") {
  CHECK_THROWS_WITH(load_topology("/nonexistent/t.json"),
                    Catch::Contains("/nonexistent/t.json: cannot open"));
  const std::string path = std::string(FABRICSIM_BINARY_DIR) + "/bad_topology.json";
  std::ofstream(path) << "{\"kind\": ";
  CHECK_THROWS_WITH(load_topology(path), Catch::Contains(path + ": not valid JSON"));
}

TEST_CASE("a key given twice is refused at its JSON pointer", "[bad_inputs]") {
  CHECK_THROWS_WITH(parse_json_text(R"({"kind": "fat_tree", "radix": 4, "radix": 8})", "t.json"),
                    Catch::Contains("t.json: /radix: key \"radix\" given twice"));
  // Inside arrays and nested objects, with RFC 6901 escapes.
  CHECK_THROWS_WITH(parse_json_text(R"({"a": [{"b": 1}, {"c/d": {"e": 1, "e": 2}}]})", "t.json"),
                    Catch::Contains("t.json: /a/1/c~1d/e: key \"e\" given twice"));
  // The same key in two different objects is fine.
  CHECK_NOTHROW(
      parse_json_text(R"({"a": {"x": 1}, "b": {"x": 1}, "c": [{"x": 1}, {"x": 2}]})", "t.json"));
}

TEST_CASE("devices, pipes and oversized files are not read", "[bad_inputs]") {
  CHECK_THROWS_WITH(load_topology("/dev/zero"),
                    Catch::Contains("/dev/zero: is not a regular file"));
  CHECK_THROWS_WITH(load_topology(FABRICSIM_SOURCE_DIR),
                    Catch::Contains(": is a directory, not a file"));
  const std::string path = std::string(FABRICSIM_BINARY_DIR) + "/big_topology.json";
  {
    std::ofstream out(path);
    out << std::string(1000, ' ') << "{}";
  }
  CHECK(input_file_problem(path, 1001).find("is 1002 bytes, larger than") == 0);
  CHECK(input_file_problem(path, 1002).empty());
}
