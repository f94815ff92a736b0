// Time-series recording (see timeseries.hpp).
#include "scenario/timeseries.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <ostream>

#include "sim/output_file.hpp"
#include "sim/units.hpp"
#include "topologies/config_error.hpp"

namespace fabricsim::scenario {
namespace {

bool any_paused(const models::Port& p) {
  for (std::uint8_t prio = 0; prio < models::kMaxPriorities; ++prio) {
    if (p.paused(prio)) return true;
  }
  return false;
}

}  // namespace

TimeSeriesRecorder::TimeSeriesRecorder(sim::Simulator& sim, models::Fabric& fabric,
                                       const OutputSpec& outputs, const std::string& source)
    : Component(sim),
      fabric_(fabric),
      interval_(outputs.timeseries_interval),
      record_qps_(outputs.qps) {
  for (std::uint32_t s = 0; s < fabric.switch_count(); ++s) {
    first_slot_of_switch_.push_back(static_cast<std::uint32_t>(switch_ports_.size()));
    auto& sw = fabric.switch_at(s);
    for (std::uint16_t p = 0; p < sw.port_count(); ++p) {
      if (sw.port(p).connected()) switch_ports_.push_back(&sw.port(p));
    }
  }
  first_slot_of_switch_.push_back(static_cast<std::uint32_t>(switch_ports_.size()));
  read_qps_ = record_qps_;
  select_ports(outputs, source);
  for (const auto& metric : outputs.metrics)
    add_metric(metric);
}

void TimeSeriesRecorder::select_ports(const OutputSpec& outputs, const std::string& source) {
  const topologies::JsonLocation at{source, "/outputs/timeseries/ports"};
  auto add_switch_port = [this](std::uint32_t s, std::uint16_t p) {
    const auto& port = fabric_.switch_at(s).port(p);
    if (!port.connected()) return;
    std::uint32_t slot = first_slot_of_switch_[s];  // + the connected ports before p
    for (std::uint16_t q = 0; q < p; ++q)
      slot += fabric_.switch_at(s).port(q).connected() ? 1U : 0U;
    ports_.push_back({slot, port.rate_bps(), s, p});
  };
  auto add_all = [&] {
    for (std::uint32_t s = 0; s < fabric_.switch_count(); ++s) {
      for (std::uint16_t p = 0; p < fabric_.switch_at(s).port_count(); ++p)
        add_switch_port(s, p);
    }
  };
  switch (outputs.port_set) {
    case PortSet::kNone:
      return;
    case PortSet::kAuto:
      if (switch_ports_.size() > outputs.max_ports) {
        warnings_.push_back(fmt::format(
            "per-port time series skipped: {} switch ports exceed outputs.timeseries.max_ports "
            "({}); select ports with outputs.timeseries.ports or raise max_ports",
            switch_ports_.size(), outputs.max_ports));
        return;
      }
      add_all();
      return;
    case PortSet::kAll:
      if (switch_ports_.size() > outputs.max_ports) {
        topologies::throw_config_error(
            at, nlohmann::json("all"),
            fmt::format("at most max_ports ({}) ports, the fabric has {} connected switch ports; "
                        "list switches or raise outputs.timeseries.max_ports",
                        outputs.max_ports, switch_ports_.size()));
      }
      add_all();
      return;
    case PortSet::kList:
      break;
  }
  for (std::size_t i = 0; i < outputs.ports.size(); ++i) {
    const auto& sel = outputs.ports[i];
    if (sel.switch_index >= fabric_.switch_count()) {
      topologies::throw_config_error(
          at.index(i).child("switch"), nlohmann::json(sel.switch_index),
          fmt::format("a switch index below {} (the fabric's switches)", fabric_.switch_count()));
    }
    const auto& sw = fabric_.switch_at(sel.switch_index);
    if (sel.port == PortSelector::kAllPorts) {
      for (std::uint16_t p = 0; p < sw.port_count(); ++p)
        add_switch_port(sel.switch_index, p);
    } else if (sel.port >= sw.port_count()) {
      topologies::throw_config_error(
          at.index(i).child("port"), nlohmann::json(sel.port),
          fmt::format("a port below {} (switch {} has {} ports)", sw.port_count(), sel.switch_index,
                      sw.port_count()));
    } else {
      add_switch_port(sel.switch_index, static_cast<std::uint16_t>(sel.port));
    }
  }
  if (ports_.size() > outputs.max_ports) {
    topologies::throw_config_error(
        at, nlohmann::json(ports_.size()),
        fmt::format("at most max_ports ({}) selected ports; raise outputs.timeseries.max_ports",
                    outputs.max_ports));
  }
}

void TimeSeriesRecorder::add_column(std::string name, std::function<double()> probe) {
  names_.push_back(std::move(name));
  probes_.push_back(std::move(probe));
}

void TimeSeriesRecorder::add_metric(const std::string& metric) {
  const std::size_t ports = switch_ports_.size();
  if (metric == "queue_bytes") {
    add_column("queue_bytes_max", [this, ports] {
      std::uint64_t m = 0;
      for (std::size_t i = 0; i < ports; ++i)
        m = std::max(m, port_word(i, kQueueBytes));
      return static_cast<double>(m);
    });
    add_column("queue_bytes_total", [this, ports] {
      std::uint64_t sum = 0;
      for (std::size_t i = 0; i < ports; ++i)
        sum += port_word(i, kQueueBytes);
      return static_cast<double>(sum);
    });
  } else if (metric == "link_utilization") {
    // Over switch egress ports: (bytes sent since the last sample) / (rate x time since it).
    // Both columns share the per-port byte counts; the mean's probe runs first and updates them.
    auto state = std::make_shared<std::pair<std::vector<std::uint64_t>, sim::Time>>();
    auto max_util = std::make_shared<double>(0.0);
    add_column("link_utilization_mean", [this, ports, state, max_util] {
      auto& [last, last_time] = *state;
      const sim::Time t = now();
      const double dt = (t - last_time).seconds();
      const bool first = last.empty();
      if (first) last.resize(ports, 0);
      double sum = 0;
      *max_util = 0;
      for (std::size_t i = 0; i < ports; ++i) {
        const std::uint64_t tx = port_word(i, kTxBytes);
        const std::uint64_t sent = tx - last[i];
        last[i] = tx;
        const double capacity = static_cast<double>(switch_ports_[i]->rate_bps()) / 8.0 * dt;
        const double u = capacity > 0 ? static_cast<double>(sent) / capacity : 0.0;
        sum += u;
        *max_util = std::max(*max_util, u);
      }
      last_time = t;
      return ports == 0 ? 0.0 : sum / static_cast<double>(ports);
    });
    add_column("link_utilization_max", [max_util] { return *max_util; });
  } else if (metric == "pfc_paused") {
    add_column("pfc_paused_ports", [this, ports] {
      double n = 0;
      for (std::size_t i = 0; i < ports; ++i)
        n += port_word(i, kPaused) != 0 ? 1 : 0;
      return n;
    });
  } else if (metric == "pfc_pause_frames") {
    add_column("pfc_pause_frames", [this] { return static_cast<double>(counter(kPauseFrames)); });
    add_column("pfc_resume_frames", [this] { return static_cast<double>(counter(kResumeFrames)); });
  } else if (metric == "ecn_marks") {
    add_column("ecn_marks", [this] { return static_cast<double>(counter(kEcnMarks)); });
    add_column("cnps", [this] { return static_cast<double>(counter(kCnps)); });
  } else if (metric == "drops") {
    add_column("drops", [this] { return static_cast<double>(counter(kDrops)); });
  } else if (metric == "links_down") {
    // Switch port ends whose link is failed or detected down (faults), at the sample.
    add_column("ports_link_down", [this, port_slots = switch_ports_.size()] {
      std::uint64_t n = 0;
      for (std::size_t i = 0; i < port_slots; ++i)
        n += port_word(i, kLinkDown);
      return static_cast<double>(n);
    });
  } else if (metric == "qp_rate") {
    read_qps_ = true;
    add_column("qp_rate_mean_bps", [this] {
      double sum = 0;
      std::uint64_t qps = 0;
      for (std::size_t q = 0; q < qp_base_.back(); ++q) {
        if ((qp_word(q, kQpFlags) & 1U) == 0) continue;
        sum += static_cast<double>(qp_word(q, kQpRate));
        ++qps;
      }
      return qps == 0 ? 0.0 : sum / static_cast<double>(qps);
    });
  }
}

void TimeSeriesRecorder::start() {
  running_ = true;
  sample();
  schedule_self_in(interval_, 0);
}

void TimeSeriesRecorder::start_global() {
  running_ = true;
  sample();
  next_at_ = now() + interval_;
  next_tie_ = take_tie();  // the tie start()'s event would have
}

void TimeSeriesRecorder::fire(std::size_t pending) {
  sample();
  if (pending > 0) {
    next_at_ = now() + interval_;
    next_tie_ = take_tie();
  } else {
    next_at_ = sim::Time::max();
  }
}

void TimeSeriesRecorder::on_event(std::uint64_t /*arg*/) {
  if (!running_) return;
  sample();
  // Keep sampling only while something else is still going to happen.
  if (simulator().pending() > 0) schedule_self_in(interval_, 0);
}

void TimeSeriesRecorder::take_snapshot(sim::Time t) {
  qp_base_.assign(1, 0);
  if (read_qps_) {
    for (std::uint32_t e = 0; e < fabric_.nic_count(); ++e)
      qp_base_.push_back(qp_base_.back() + fabric_.nic(e).qp_count());
  }
  qp_words_at_ = kCounterWords + switch_ports_.size() * kPortWords;
  snapshot_.assign(qp_words_at_ + qp_base_.back() * kQpWords, 0);
  // A process reads only what it runs; the components of the others never ran here (zeros).
  const models::FabricCounters c = fabric_.counters();
  snapshot_[kPauseFrames] = c.pfc_pause_frames;
  snapshot_[kResumeFrames] = c.pfc_resume_frames;
  snapshot_[kEcnMarks] = c.ecn_marks;
  snapshot_[kCnps] = c.cnps;
  snapshot_[kDrops] = c.drops;
  for (std::uint32_t s = 0; s + 1 < first_slot_of_switch_.size(); ++s) {
    if (!fabric_.runs_partition(fabric_.switch_partition(s))) continue;
    for (std::uint32_t i = first_slot_of_switch_[s]; i < first_slot_of_switch_[s + 1]; ++i) {
      const models::Port& p = *switch_ports_[i];
      std::uint64_t* words = &snapshot_[kCounterWords + i * kPortWords];
      words[kQueueBytes] = p.queue_bytes();
      words[kTxBytes] = p.tx_bytes();
      words[kPauseFramesReceived] = p.pause_frames_received();
      words[kPaused] = any_paused(p) ? 1 : 0;
      words[kErrors] = p.lost_packets();
      if (const models::PortFault* f = p.fault(); f != nullptr) {
        words[kLinkDown] = f->state == models::LinkState::kUp ? 0 : 1;
        words[kFaultDrops] = f->counters.blackholed_packets + f->counters.refused_packets;
      }
    }
  }
  for (std::uint32_t e = 0; e + 1 < qp_base_.size(); ++e) {
    auto& nic = fabric_.nic(e);
    if (nic.keeps_qp_numbers_only()) continue;
    for (std::uint32_t q = 0; q < nic.qp_count(); ++q) {
      if (!qp_open(e, q, t)) continue;
      std::uint64_t* words = &snapshot_[qp_words_at_ + (qp_base_[e] + q) * kQpWords];
      words[kQpFlags] = 1U | (nic.qp(q).has_data() ? 2U : 0U);
      words[kQpRate] = nic.qp_rate_bps(q);
      words[kQpPeer] = nic.qp(q).peer;
    }
  }
  if (exchange_ != nullptr) exchange_->sum(snapshot_);
}

void TimeSeriesRecorder::sample() {
  const sim::Time t = now();
  if (times_.size() >= kMaxRows) {  // bounded memory and events: the run goes on unsampled
    running_ = false;
    warnings_.push_back(
        fmt::format("timeseries.csv stops at {} rows (at {}): choose a longer interval",
                    times_.size(), sim::format_time(t)));
    return;
  }
  take_snapshot(t);
  times_.push_back(t);
  for (const auto& probe : probes_)
    values_.push_back(probe());
  if (!ports_.empty() && !ports_capped_) {
    if (port_rows_.size() + ports_.size() > kMaxRows) {
      ports_capped_ = true;
      warnings_.push_back(fmt::format(
          "timeseries_ports.csv stops at {} rows (at {}): select fewer ports or a longer interval",
          port_rows_.size(), sim::format_time(t)));
    } else {
      for (std::uint32_t i = 0; i < ports_.size(); ++i) {
        const std::uint32_t slot = ports_[i].slot;
        port_rows_.push_back({t.picoseconds(), port_word(slot, kQueueBytes),
                              port_word(slot, kTxBytes),
                              static_cast<std::uint32_t>(port_word(slot, kPauseFramesReceived)), i,
                              static_cast<std::uint32_t>(port_word(slot, kFaultDrops)),
                              static_cast<std::uint32_t>(port_word(slot, kErrors)),
                              port_word(slot, kPaused) != 0, port_word(slot, kLinkDown) == 0});
      }
    }
  }
  if (record_qps_ && !qps_capped_) {
    for (std::uint32_t e = 0; e + 1 < qp_base_.size() && !qps_capped_; ++e) {
      for (std::uint32_t q = 0; q < qp_base_[e + 1] - qp_base_[e]; ++q) {
        const std::size_t at = qp_base_[e] + q;
        const std::uint64_t flags = qp_word(at, kQpFlags);
        if ((flags & 1U) == 0) continue;
        if (qp_rows_.size() >= kMaxRows) {
          qps_capped_ = true;
          warnings_.push_back(
              fmt::format("timeseries_qps.csv stops at {} rows (at {}): choose a longer interval",
                          qp_rows_.size(), sim::format_time(t)));
          break;
        }
        qp_rows_.push_back({t.picoseconds(), qp_word(at, kQpRate), e, q,
                            static_cast<std::uint32_t>(qp_word(at, kQpPeer)), (flags & 2U) != 0});
      }
    }
  }
}

void TimeSeriesRecorder::write_csv(std::ostream& out) const {
  out << "time_ps";
  for (const auto& name : names_)
    out << ',' << name;
  out << '\n';
  std::string line;  // fmt's shortest round-trip form: counts stay exact
  for (std::size_t row = 0; row < times_.size(); ++row) {
    line.clear();
    fmt::format_to(std::back_inserter(line), "{}", times_[row].picoseconds());
    for (std::size_t c = 0; c < names_.size(); ++c)
      fmt::format_to(std::back_inserter(line), ",{}", value(row, c));
    line += '\n';
    out << line;
  }
}

void TimeSeriesRecorder::write_ports_csv(std::ostream& out) const {
  out << "time_ps,switch,port,queue_bytes,tx_bytes,utilization,paused,pause_frames_received,"
         "link_up,fault_drops,errors\n";
  // Utilisation: bytes sent since the port's previous row over what the link could carry.
  std::vector<std::uint64_t> last_tx(ports_.size(), 0);
  std::vector<std::int64_t> last_time(ports_.size(), -1);
  std::string line;
  for (const auto& r : port_rows_) {
    const auto& sel = ports_[r.selected];
    double util = 0.0;
    if (last_time[r.selected] >= 0 && r.time_ps > last_time[r.selected]) {
      const double seconds = static_cast<double>(r.time_ps - last_time[r.selected]) * 1e-12;
      const double capacity = static_cast<double>(sel.rate_bps) / 8.0 * seconds;
      if (capacity > 0) util = static_cast<double>(r.tx_bytes - last_tx[r.selected]) / capacity;
    }
    last_tx[r.selected] = r.tx_bytes;
    last_time[r.selected] = r.time_ps;
    line.clear();
    fmt::format_to(std::back_inserter(line), "{},{},{},{},{},{:.4f},{},{},{},{},{}\n", r.time_ps,
                   sel.switch_index, sel.port_index, r.queue_bytes, r.tx_bytes, util,
                   r.paused ? 1 : 0, r.pause_frames_received, r.link_up ? 1 : 0, r.fault_drops,
                   r.errors);
    out << line;
  }
}

void TimeSeriesRecorder::write_qps_csv(std::ostream& out) const {
  out << "time_ps,nic,qp,peer,rate_bps,active\n";
  std::string line;
  for (const auto& r : qp_rows_) {
    line.clear();
    fmt::format_to(std::back_inserter(line), "{},{},{},{},{},{}\n", r.time_ps, r.nic, r.qp, r.peer,
                   r.rate_bps, r.active ? 1 : 0);
    out << line;
  }
}

void TimeSeriesRecorder::write(const std::filesystem::path& dir) const {
  {
    sim::OutputFile out(dir / "timeseries.csv");
    write_csv(out.stream());
    out.close();
  }
  if (!ports_.empty()) {
    sim::OutputFile out(dir / "timeseries_ports.csv");
    write_ports_csv(out.stream());
    out.close();
  }
  if (record_qps_) {
    sim::OutputFile out(dir / "timeseries_qps.csv");
    write_qps_csv(out.stream());
    out.close();
  }
}

}  // namespace fabricsim::scenario
