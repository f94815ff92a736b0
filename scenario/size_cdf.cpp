// Flow-size distributions (see size_cdf.hpp).
#include "scenario/size_cdf.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "topologies/json_file.hpp"

namespace fabricsim::scenario {

SizeCdf read_size_cdf(const std::string& path, const topologies::JsonLocation& at) {
  if (const std::string problem = topologies::input_file_problem(path); !problem.empty()) {
    topologies::throw_config_error(at, nlohmann::json(path),
                                   fmt::format("a readable CDF file (it {})", problem));
  }
  std::ifstream in(path);
  if (!in) {
    topologies::throw_config_error(at, nlohmann::json(path),
                                   "a readable CDF file (cannot open it)");
  }
  SizeCdf cdf;
  cdf.source = path;
  auto fail = [&path](int line, const std::string& what) {
    throw topologies::ConfigError(fmt::format(
        "{}:{}: {}; expected lines \"SIZE_BYTES PROBABILITY\" with sizes and probabilities "
        "rising to 1",
        path, line, what));
  };
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream words(line);
    std::string extra;
    double size = 0;
    double p = 0;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank or comment
    if (!(words >> size >> p) || (words >> extra)) fail(number, "not two numbers");
    if (!std::isfinite(size) || size < 0 || size > 1e15) fail(number, "a size out of range");
    if (!std::isfinite(p) || p < 0) fail(number, "a negative probability");
    if (p > 1.0 + 1e-9) {
      fail(number, fmt::format("probability {} above 1 (a file in percent? divide by 100)", p));
    }
    if (!cdf.points.empty()) {
      if (p < cdf.points.back().second) fail(number, "the probability falls");
      if (size < cdf.points.back().first) fail(number, "the size falls");
    }
    cdf.points.emplace_back(size, std::min(p, 1.0));
  }
  if (cdf.points.size() < 2 || cdf.points.back().second < 1.0 - 1e-9) {
    throw topologies::ConfigError(
        fmt::format("{}: a CDF needs at least two points and must end at probability 1", path));
  }
  return cdf;
}

double mean_size(const SizeCdf& cdf) {
  const auto& pts = cdf.points;
  double mean = pts.front().first * pts.front().second;  // the point mass at the first size
  for (std::size_t i = 1; i < pts.size(); ++i)
    mean += (pts[i].second - pts[i - 1].second) * (pts[i].first + pts[i - 1].first) / 2.0;
  return mean;
}

std::uint64_t draw_size(const SizeCdf& cdf, sim::Rng& rng) {
  const double u = rng.uniform();
  const auto& pts = cdf.points;
  if (u <= pts.front().second) return static_cast<std::uint64_t>(std::max(1.0, pts.front().first));
  // The first point whose probability reaches u (binary search: the lists are short, but a
  // fine-grained trace can have thousands of points).
  const auto it = std::lower_bound(pts.begin() + 1, pts.end(), u,
                                   [](const auto& point, double v) { return point.second < v; });
  if (it == pts.end()) return static_cast<std::uint64_t>(std::max(1.0, pts.back().first));
  const auto [s1, p1] = *it;
  const auto [s0, p0] = *(it - 1);
  const double f = p1 > p0 ? (u - p0) / (p1 - p0) : 1.0;
  return static_cast<std::uint64_t>(std::max(1.0, std::round(s0 + f * (s1 - s0))));
}

}  // namespace fabricsim::scenario
