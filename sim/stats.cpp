// Histograms and the time-series sampler (see stats.hpp).
#include "sim/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fabricsim::sim {

void Histogram::sort_if_needed() const {
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
}

std::int64_t Histogram::percentile(double p) const {
  if (samples_.empty()) return 0;
  sort_if_needed();
  const double clamped = std::clamp(p, 0.0, 100.0);
  const auto n = static_cast<double>(samples_.size());
  auto rank = static_cast<std::size_t>(std::ceil(clamped / 100.0 * n));
  if (rank == 0) rank = 1;
  return samples_[rank - 1];
}

double Histogram::mean() const {
  if (samples_.empty()) return 0.0;
  long double sum = 0;
  for (const auto v : samples_)
    sum += static_cast<long double>(v);
  return static_cast<double>(sum / static_cast<long double>(samples_.size()));
}

void Sampler::add_probe(std::string name, std::function<double()> probe) {
  series_.push_back(TimeSeries{std::move(name), {}});
  probes_.push_back(std::move(probe));
}

void Sampler::start() {
  running_ = true;
  sample();
  schedule_self_in(interval_, 0);
}

void Sampler::on_event(std::uint64_t /*arg*/) {
  if (!running_) return;
  sample();
  // Keep sampling only while something else is still going to happen.
  if (simulator().pending() > 0) schedule_self_in(interval_, 0);
}

void Sampler::sample() {
  times_.push_back(now());
  for (std::size_t i = 0; i < probes_.size(); ++i)
    series_[i].values.push_back(probes_[i]());
}

void Sampler::write_csv(std::ostream& out) const {
  out << "time_ps";
  for (const auto& s : series_)
    out << ',' << s.name;
  out << '\n';
  for (std::size_t row = 0; row < times_.size(); ++row) {
    out << times_[row].picoseconds();
    for (const auto& s : series_)
      out << ',' << s.values[row];
    out << '\n';
  }
}

}  // namespace fabricsim::sim
