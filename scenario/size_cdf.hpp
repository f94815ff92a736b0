// Flow-size distributions: reading a CDF file, its mean, and drawing sizes from it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/rng.hpp"
#include "topologies/config_error.hpp"

namespace fabricsim::scenario {

// (size in bytes, cumulative probability) points, sizes and probabilities non-decreasing, the
// last probability 1. Between points the distribution is uniform (the CDF is piecewise linear);
// the first point's probability is a point mass at its size.
struct SizeCdf {
  std::string source;
  std::vector<std::pair<double, double>> points;
};

// Reads a CDF file: one "SIZE_BYTES PROBABILITY" pair per line, separated by spaces, a tab or a
// comma; '#' starts a comment. `at` is where the scenario names the file (for a file that
// cannot be opened); errors inside the file name the file and line (topologies::ConfigError).
SizeCdf read_size_cdf(const std::string& path, const topologies::JsonLocation& at);

// The mean size of the piecewise-linear distribution, in bytes.
double mean_size(const SizeCdf& cdf);

// One size drawn by inverse transform with linear interpolation; at least 1 byte.
std::uint64_t draw_size(const SizeCdf& cdf, sim::Rng& rng);

}  // namespace fabricsim::scenario
