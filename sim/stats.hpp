// Measurement helpers: histograms with exact percentiles (flow completion times) and
// sampled time series written as CSV.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/simulator.hpp"
#include "sim/time.hpp"

namespace fabricsim::sim {

// Keeps every sample, so percentiles are exact (nearest-rank definition).
class Histogram {
 public:
  void add(std::int64_t value) {
    samples_.push_back(value);
    sorted_ = false;
  }
  std::size_t count() const { return samples_.size(); }
  bool empty() const { return samples_.empty(); }
  // p in [0, 100]; the smallest sample with at least p% of samples <= it. 0 when empty.
  std::int64_t percentile(double p) const;
  std::int64_t min() const { return percentile(0); }
  std::int64_t max() const { return percentile(100); }
  double mean() const;
  const std::vector<std::int64_t>& samples() const { return samples_; }

 private:
  void sort_if_needed() const;
  mutable std::vector<std::int64_t> samples_;
  mutable bool sorted_ = true;
};

// One named column of values sampled at the times of a shared clock column.
struct TimeSeries {
  std::string name;
  std::vector<double> values;
};

// Samples registered probes every `interval` of simulated time while other events remain,
// building one time column and one TimeSeries per probe. Probes are called on sampling
// events only, never per packet.
class Sampler : public Component {
 public:
  Sampler(Simulator& sim, Time interval) : Component(sim), interval_(interval) {}
  void add_probe(std::string name, std::function<double()> probe);
  // Takes the first sample now and keeps sampling until stop() or until the simulator holds
  // no event other than the sampler's own.
  void start();
  void stop() { running_ = false; }
  void on_event(std::uint64_t arg) override;

  const std::vector<Time>& times() const { return times_; }
  const std::vector<TimeSeries>& series() const { return series_; }
  // CSV: a header "time_ps,name1,name2,...", then one row per sample.
  void write_csv(std::ostream& out) const;

 private:
  void sample();
  Time interval_;
  bool running_ = false;
  std::vector<std::function<double()>> probes_;
  std::vector<TimeSeries> series_;
  std::vector<Time> times_;
};

}  // namespace fabricsim::sim
