// The progress line (see progress.hpp).
#include "scenario/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/units.hpp"

namespace fabricsim::scenario {
namespace {

constexpr std::uint64_t kCheckEveryEvents = 200'000;
constexpr auto kRedrawEvery = std::chrono::milliseconds(250);

std::string format_wall(double seconds) {
  const long long total = std::llround(seconds);
  if (total < 60) return fmt::format("{} s", total);
  if (total < 3600) return fmt::format("{} min {} s", total / 60, total % 60);
  return fmt::format("{} h {} min", total / 3600, total % 3600 / 60);
}

}  // namespace

std::string progress_text(sim::Time simulated, sim::Time stop_at, double events_per_second,
                          double wall_seconds, const std::string& detail) {
  std::string text = fmt::format("simulated {}", sim::format_time(simulated));
  const bool bounded = stop_at != sim::Time::max() && stop_at > sim::Time::zero();
  if (bounded) {
    const double fraction = simulated.seconds() / stop_at.seconds();
    text += fmt::format(" of {} ({:.0f}%)", sim::format_time(stop_at), 100.0 * fraction);
  }
  text += fmt::format(", {:.3g} events/s", events_per_second);
  if (!detail.empty()) text += ", " + detail;
  if (bounded && simulated > sim::Time::zero() && wall_seconds > 0) {
    const double remaining =
        wall_seconds * (stop_at.seconds() - simulated.seconds()) / simulated.seconds();
    text += ", ETA " + format_wall(std::max(0.0, remaining));
  }
  return text;
}

ProgressLine::ProgressLine(sim::Simulator& sim, sim::Time stop_at,
                           std::function<std::string()> detail, std::FILE* out)
    : sim_(sim),
      stop_at_(stop_at),
      detail_(std::move(detail)),
      out_(out),
      started_(std::chrono::steady_clock::now()),
      last_draw_(started_) {
  sim_.set_progress(kCheckEveryEvents, [this](const sim::Simulator& s) { redraw(s); });
}

void ProgressLine::redraw(const sim::Simulator& sim) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < kRedrawEvery) return;
  last_draw_ = now;
  const double wall = std::chrono::duration<double>(now - started_).count();
  const double eps = wall > 0 ? static_cast<double>(sim.events_processed()) / wall : 0.0;
  const std::string text =
      progress_text(sim.now(), stop_at_, eps, wall, detail_ ? detail_() : std::string());
  std::fprintf(out_, "\r\033[K  %s", text.c_str());
  std::fflush(out_);
  drawn_ = true;
}

void ProgressLine::finish() {
  if (finished_) return;
  finished_ = true;
  sim_.set_progress(0, nullptr);
  if (drawn_) {
    std::fputs("\r\033[K", out_);
    std::fflush(out_);
  }
}

}  // namespace fabricsim::scenario
