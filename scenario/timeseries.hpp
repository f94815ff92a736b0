// Time series of a run: samples the fabric every interval into fabric-wide columns
// (timeseries.csv), per switch port rows (timeseries_ports.csv) and per QP rows
// (timeseries_qps.csv), as the scenario's "outputs.timeseries" asks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "models/fabric.hpp"
#include "scenario/scenario.hpp"
#include "sim/parallel.hpp"
#include "sim/simulator.hpp"
#include "sim/time.hpp"

namespace fabricsim::scenario {

class TimeSeriesRecorder final : public sim::Component, public sim::GlobalEvent {
 public:
  // Resolves the port selection against `fabric` (ConfigError naming `source` and the JSON path
  // for a switch or port that does not exist, or "all" over max_ports). `fabric` must outlive
  // the recorder. Sampling starts with start().
  TimeSeriesRecorder(sim::Simulator& sim, models::Fabric& fabric, const OutputSpec& outputs,
                     const std::string& source);

  // Takes the first sample now, then one every interval while anything else is pending.
  void start();
  void on_event(std::uint64_t arg) override;
  // Parallel runs (sim::ParallelEngine::set_global_event): the same samples, taken as global
  // events while every partition waits, instead of events of one simulator.
  void start_global();
  // Parallel runs connect queue pairs before the run: QP q of NIC e counts from opened[e][q]
  // on (when a single simulator would have created it), not before. Empty: all count.
  void set_qp_open_times(std::vector<std::vector<sim::Time>> opened) {
    qp_open_ = std::move(opened);
  }
  // Collectives connect every queue pair before the run: a QP counts once it has sent or
  // received a packet of data (whatever the number of threads).
  void count_qps_from_first_use() { from_first_use_ = true; }
  // Distributed runs (every process records, at the same instants): each sample reads the
  // ports and QPs this process runs and adds the other processes' parts through `exchange`
  // (a collective call per sample), so every process holds the whole samples. Not owned.
  void set_exchange(sim::Exchange* exchange) { exchange_ = exchange; }
  sim::Time next_at() const override { return next_at_; }
  std::uint64_t next_tie() const override { return next_tie_; }
  void fire(std::size_t pending) override;

  // Writes timeseries.csv, and timeseries_ports.csv / timeseries_qps.csv when recorded.
  void write(const std::filesystem::path& dir) const;
  void write_csv(std::ostream& out) const;        // time_ps, one column per fabric-wide metric
  void write_ports_csv(std::ostream& out) const;  // long format, one row per port per sample
  void write_qps_csv(std::ostream& out) const;    // long format, one row per QP per sample

  // Things the user should know (ports skipped, rows capped), for the results and stderr.
  const std::vector<std::string>& warnings() const { return warnings_; }
  std::size_t samples() const { return times_.size(); }
  const std::vector<std::string>& column_names() const { return names_; }
  double value(std::size_t sample, std::size_t column) const {
    return values_[sample * names_.size() + column];
  }
  std::size_t port_count() const { return ports_.size(); }
  std::size_t port_rows() const { return port_rows_.size(); }
  std::size_t qp_rows() const { return qp_rows_.size(); }

  // Long-format tables stop growing at this many rows each (a warning says so).
  static constexpr std::size_t kMaxRows = 20'000'000;

 private:
  struct SelectedPort {
    std::uint32_t slot;  // index into switch_ports_
    std::uint64_t rate_bps;
    std::uint32_t switch_index;
    std::uint16_t port_index;
  };
  struct PortRow {  // one port at one sample
    std::int64_t time_ps;
    std::uint64_t queue_bytes;
    std::uint64_t tx_bytes;  // cumulative
    std::uint32_t pause_frames_received;
    std::uint32_t selected;     // index into ports_
    std::uint32_t fault_drops;  // cumulative: lost at this port to a failed or downed link
    std::uint32_t errors;       // cumulative: lost to the link's corruption (loss_rate)
    bool paused;
    bool link_up;  // faults: false while the port's link is failed or down
  };
  struct QpRow {  // one QP at one sample
    std::int64_t time_ps;
    std::uint64_t rate_bps;
    std::uint32_t nic;
    std::uint32_t qp;
    std::uint32_t peer;
    bool active;
  };

  void select_ports(const OutputSpec& outputs, const std::string& source);
  void add_metric(const std::string& metric);
  void add_column(std::string name, std::function<double()> probe);
  void sample();
  // Reads what this process runs of the fabric into snapshot_ (zeros elsewhere) and, in a
  // distributed run, adds the other processes' parts. Every column and row is computed from
  // it, in one order whatever the partitioning, so doubles come out bit for bit the same.
  void take_snapshot(sim::Time t);
  // snapshot_ layout: kCounterWords counters, kPortWords per switch port, then (when QPs are
  // read) kQpWords per QP, NIC by NIC (qp_base_).
  enum Counter : std::size_t { kPauseFrames, kResumeFrames, kEcnMarks, kCnps, kDrops };
  static constexpr std::size_t kCounterWords = 5;
  enum PortWord : std::size_t {
    kQueueBytes,
    kTxBytes,
    kPauseFramesReceived,
    kPaused,
    kLinkDown,
    kFaultDrops,
    kErrors
  };
  static constexpr std::size_t kPortWords = 7;
  enum QpWord : std::size_t { kQpFlags, kQpRate, kQpPeer };  // flags: 1 open, 2 has data
  static constexpr std::size_t kQpWords = 3;
  std::uint64_t counter(Counter c) const { return snapshot_[c]; }
  std::uint64_t port_word(std::size_t slot, PortWord w) const {
    return snapshot_[kCounterWords + slot * kPortWords + w];
  }
  std::uint64_t qp_word(std::size_t qp, QpWord w) const {
    return snapshot_[qp_words_at_ + qp * kQpWords + w];
  }
  bool qp_open(std::uint32_t nic, std::uint32_t qp, sim::Time t) const {
    if (from_first_use_) {
      const models::QueuePair& q = fabric_.nic(nic).qp(qp);
      return q.snd_nxt > 0 || q.rcv_nxt > 0;
    }
    return qp_open_.empty() || qp_open_[nic][qp] <= t;
  }

  models::Fabric& fabric_;
  sim::Time interval_;
  bool record_qps_;
  bool running_ = false;
  sim::Time next_at_ = sim::Time::max();  // global mode: the next sample
  std::uint64_t next_tie_ = 0;
  std::vector<std::vector<sim::Time>> qp_open_;
  bool from_first_use_ = false;
  std::vector<const models::Port*> switch_ports_;    // every switch port, for fabric-wide metrics
  std::vector<std::uint32_t> first_slot_of_switch_;  // per switch (+ an end): its first port
  sim::Exchange* exchange_ = nullptr;
  bool read_qps_ = false;  // QP state is needed (qp rows or the qp_rate metric)
  std::vector<std::uint64_t> snapshot_;
  std::size_t qp_words_at_ = 0;
  std::vector<std::size_t> qp_base_;  // per NIC: its first QP in the snapshot (+ a last entry)
  std::vector<std::string> names_;
  std::vector<std::function<double()>> probes_;  // one call per column per sample
  std::vector<double> values_;                   // samples x columns, row-major
  std::vector<sim::Time> times_;
  std::vector<SelectedPort> ports_;
  std::vector<PortRow> port_rows_;
  std::vector<QpRow> qp_rows_;
  std::vector<std::string> warnings_;
  bool ports_capped_ = false;
  bool qps_capped_ = false;
};

}  // namespace fabricsim::scenario
