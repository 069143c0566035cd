#include "report.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace troupe::perf::internal {
namespace {

bool per_second(const std::string& unit) {
  return unit.size() >= 2 && unit.compare(unit.size() - 2, 2, "/s") == 0;
}

/// Three significant digits; rates get an SI prefix (6.52 M), times stay in their unit.
std::string number(double v, const std::string& unit) {
  char buf[64];
  if (per_second(unit)) {
    const char* prefix = "";
    if (std::fabs(v) >= 1e9) { v /= 1e9; prefix = " G"; }
    else if (std::fabs(v) >= 1e6) { v /= 1e6; prefix = " M"; }
    else if (std::fabs(v) >= 1e3) { v /= 1e3; prefix = " k"; }
    std::snprintf(buf, sizeof buf, "%.3g%s", v, prefix);
  } else if (std::fabs(v) >= 100) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else if (std::fabs(v) >= 10) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f", v);
  }
  return buf;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string significant(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string pad(std::string s, std::size_t width, bool right = false) {
  if (s.size() >= width) return s + ' ';
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s + ' ' : s + fill + ' ';
}

/// One row of cells per side and metric; `ratio` cells only on the subject row.
struct row {
  std::string cells[9];
};

std::vector<row> rows_of(const comparison_result& r) {
  std::vector<row> rows;
  const comparison& c = *r.spec;
  for (std::size_t m = 0; m < c.metrics.size(); ++m) {
    const metric& mt = c.metrics[m];
    auto side_row = [&](const side_result& s, bool subject) {
      const summary& sm = s.metrics[m];
      row out{{subject && m == 0 ? c.name : "", mt.name, mt.unit, s.label, number(sm.median, mt.unit),
               number(sm.min, mt.unit), number(sm.max, mt.unit), fixed(sm.spread, 2), ""}};
      if (subject && r.baseline) {
        const double ratio = ratio_of_medians(sm, r.baseline->metrics[m]);
        out.cells[8] = significant(ratio) + " (" + verdict(mt, ratio) + ")";
      }
      rows.push_back(out);
    };
    side_row(r.subject, true);
    if (r.baseline) side_row(*r.baseline, false);
  }
  return rows;
}

const char* const headers[9] = {"benchmark", "metric", "unit", "side", "median",
                                "min", "max", "spread", "ratio vs baseline"};

nlohmann::json summary_json(const side_result& s, std::size_t m) {
  const summary& sm = s.metrics[m];
  return {{"label", s.label}, {"runs", sm.runs},     {"median", sm.median},
          {"min", sm.min},    {"max", sm.max},       {"spread", sm.spread}};
}

const char* direction_name(better b) {
  switch (b) {
    case better::lower: return "lower";
    case better::higher: return "higher";
    case better::neither: break;
  }
  return "neither";
}

std::string compiler() {
#if defined(__clang__)
  return __VERSION__;
#elif defined(__GNUC__)
  return std::string("g++ ") + __VERSION__;
#else
  return "unknown";
#endif
}

std::string host_name() {
  char buf[256] = {};
  return ::gethostname(buf, sizeof buf - 1) == 0 ? buf : "";
}

}  // namespace

std::array<double, 3> load_average() noexcept {
  std::array<double, 3> load{};
  if (::getloadavg(load.data(), 3) != 3) load = {};
  return load;
}

std::string verdict(const metric& m, double ratio) {
  if (!(ratio > 0)) return "n/a";
  if (m.direction == better::neither) return "informational";
  const double advantage = m.direction == better::lower ? 1 / ratio : ratio;
  if (advantage >= 1) return fixed(advantage, 2) + "x faster";
  return fixed(1 / advantage, 2) + "x slower";
}

void print_table(std::ostream& out, const std::vector<comparison_result>& results) {
  std::vector<row> rows;
  for (const auto& r : results)
    if (r.error.empty())
      for (auto& x : rows_of(r)) rows.push_back(std::move(x));
  std::size_t width[9];
  for (int i = 0; i < 9; ++i) width[i] = std::string(headers[i]).size();
  for (const auto& x : rows)
    for (int i = 0; i < 9; ++i) width[i] = std::max(width[i], x.cells[i].size());
  auto line = [&](auto cell) {
    std::string text;
    for (int i = 0; i < 9; ++i) text += pad(cell(i), width[i], i >= 4 && i <= 7);
    text.erase(text.find_last_not_of(' ') + 1);
    out << text << '\n';
  };
  line([](int i) { return std::string(headers[i]); });
  for (const auto& x : rows) {
    if (!x.cells[0].empty()) out << '\n';
    line([&x](int i) { return x.cells[i]; });
  }
  for (const auto& r : results)
    if (!r.error.empty()) out << r.spec->name << ": FAILED: " << r.error << '\n';
  out.flush();
}

void print_markdown(std::ostream& out, const std::vector<comparison_result>& results) {
  out << '|';
  for (const char* h : headers) out << ' ' << h << " |";
  out << "\n|---|---|---|---|--:|--:|--:|--:|---|\n";
  for (const auto& r : results) {
    if (!r.error.empty()) continue;
    for (const auto& x : rows_of(r)) {
      out << '|';
      for (int i = 0; i < 9; ++i)
        out << ' ' << (i == 0 && !x.cells[0].empty() ? "`" + x.cells[0] + "`" : x.cells[i]) << " |";
      out << '\n';
    }
  }
}

void write_json(const std::string& path, const run_info& info,
                const std::vector<comparison_result>& results) {
  nlohmann::json doc;
  doc["suite"] = info.suite;
  doc["date_utc"] = info.date_utc;
  doc["command"] = info.command;
  doc["host"] = {{"name", host_name()},
                 {"hardware_threads", std::thread::hardware_concurrency()},
                 {"load_average_at_start", info.load_at_start},
                 {"load_average_at_end", info.load_at_end}};
  doc["compiler"] = compiler();
#ifdef NDEBUG
  doc["assertions"] = false;
#else
  doc["assertions"] = true;
#endif
  doc["options"] = {{"repeat", info.opts.repeat},
                    {"warmup", info.opts.warmup},
                    {"scale", info.opts.scale},
                    {"order", "interleaved: subject, baseline, subject, baseline, ..."}};
  auto& list = doc["comparisons"] = nlohmann::json::array();
  for (const auto& r : results) {
    const comparison& c = *r.spec;
    nlohmann::json j;
    j["name"] = c.name;
    j["description"] = c.description;
    j["parameters"] = nlohmann::json::object();
    for (const auto& [k, v] : c.parameters) j["parameters"][k] = v;
    j["error"] = r.error.empty() ? nlohmann::json() : nlohmann::json(r.error);
    auto& metrics = j["metrics"] = nlohmann::json::array();
    for (std::size_t m = 0; m < c.metrics.size(); ++m) {
      const metric& mt = c.metrics[m];
      nlohmann::json jm{{"name", mt.name},
                        {"unit", mt.unit},
                        {"better", direction_name(mt.direction)},
                        {"subject", summary_json(r.subject, m)}};
      if (r.baseline) {
        const double ratio = ratio_of_medians(r.subject.metrics[m], r.baseline->metrics[m]);
        jm["baseline"] = summary_json(*r.baseline, m);
        jm["ratio_of_medians"] = ratio;
        jm["verdict"] = verdict(mt, ratio);
      }
      metrics.push_back(std::move(jm));
    }
    list.push_back(std::move(j));
  }
  std::ofstream f(path);
  f << doc.dump(2) << '\n';
  f.close();
  if (!f) throw std::runtime_error("cannot write JSON results to '" + path + "'");
}

}  // namespace troupe::perf::internal
