// Progress line: rates per stage from counter snapshots, formatted for one terminal line.
#include "progress.hpp"

#include <cstdio>

namespace troupe::cli {

std::string stage_of(const std::string& actor) {
  const auto br = actor.find('[');
  return br == std::string::npos ? actor : actor.substr(0, br);
}

std::vector<stage_rate> stage_rates(const nlohmann::json& before, const nlohmann::json& after, double seconds,
                                    const std::vector<std::string>& actors) {
  struct sums {
    double in = 0, out = 0, done = 0, total = 0;
  };
  std::vector<stage_rate> v;
  std::vector<sums> s;
  for (const std::string& a : actors) {
    const std::string st = stage_of(a);
    if (v.empty() || v.back().stage != st) {
      v.push_back({st, 0, 0, std::nullopt});
      s.emplace_back();
    }
    ++v.back().replicas;
    const nlohmann::json& now = after.at(a);
    const nlohmann::json* then = before.contains(a) ? &before.at(a) : nullptr;
    auto delta = [&](const char* k) {
      const double n = now.at(k).get<double>();
      const double was = then ? then->at(k).get<double>() : 0;
      return n >= was ? n - was : n;  // fewer than before: restarted on another node, counting afresh
    };
    s.back().in += delta("in");
    s.back().out += delta("out");
    if (now.contains("progress")) {
      s.back().done += now["progress"]["done"].get<double>();
      s.back().total += now["progress"]["total"].get<double>();
    }
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double n = s[i].in > 0 ? s[i].in : s[i].out;  // a source has no input: its output rate
    v[i].per_second = seconds > 0 ? n / seconds : 0;
    if (s[i].total > 0) v[i].percent = 100.0 * s[i].done / s[i].total;
  }
  return v;
}

namespace {

std::string human_rate(double r) {
  char b[32];
  if (r >= 1e6) {
    std::snprintf(b, sizeof b, "%.1fM/s", r / 1e6);
  } else if (r >= 1e3) {
    std::snprintf(b, sizeof b, "%.1fk/s", r / 1e3);
  } else {
    std::snprintf(b, sizeof b, "%.0f/s", r);
  }
  return b;
}

}  // namespace

std::string progress_line(double elapsed, const std::vector<stage_rate>& stages, std::size_t width) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1fs ", elapsed);
  std::string line = b;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const stage_rate& st = stages[i];
    if (i) line += " | ";
    line += st.stage;
    if (st.replicas > 1) line += " x" + std::to_string(st.replicas);
    if (st.percent) {
      std::snprintf(b, sizeof b, " %.0f%%", *st.percent);
      line += b;
    }
    line += " " + human_rate(st.per_second);
  }
  if (width > 1 && line.size() >= width) line = line.substr(0, width - 2) + "~";
  return line;
}

}  // namespace troupe::cli
