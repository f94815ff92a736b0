// Slab: indexes stay valid while in use, freed slots are reused, take() returns and frees.
#include <catch2/catch.hpp>

#include <string>

#include "sim/slab.hpp"

using fabricsim::sim::Slab;

TEST_CASE("a slab reuses freed slots and keeps live ones", "[slab]") {
  Slab<std::string> slab;
  const auto a = slab.add("a");
  const auto b = slab.add("b");
  CHECK(a != b);
  CHECK(slab.in_use() == 2);
  CHECK(slab.take(a) == "a");
  CHECK(slab.in_use() == 1);
  const auto c = slab.add("c");
  CHECK(c == a);  // the freed slot, not a new one
  CHECK(slab[b] == "b");
  CHECK(slab[c] == "c");
  slab.release(b);
  CHECK(slab.in_use() == 1);
  CHECK(slab.add("d") == b);
}
