#include "runner.hpp"

#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>

namespace troupe::perf::internal {
namespace {

sample run_once(const comparison& c, const side& s) {
  sample values = s.run();
  if (values.size() != c.metrics.size())
    throw std::logic_error(s.label + " returned " + std::to_string(values.size()) +
                           " values for " + std::to_string(c.metrics.size()) + " metrics");
  return values;
}

void record(std::vector<std::vector<double>>& per_metric, const sample& values) {
  for (std::size_t m = 0; m < values.size(); ++m) per_metric[m].push_back(values[m]);
}

side_result summarise_side(const side& s, std::vector<std::vector<double>> per_metric) {
  side_result r{s.label, {}};
  for (auto& runs : per_metric) r.metrics.push_back(summarize(std::move(runs)));
  return r;
}

}  // namespace

comparison_result run_comparison(const comparison& c, const options& o) {
  comparison_result result;
  result.spec = &c;
  std::vector<std::vector<double>> subject_runs(c.metrics.size());
  std::vector<std::vector<double>> baseline_runs(c.metrics.size());
  try {
    for (int i = 0; i < o.warmup; ++i) {
      std::cerr << c.name << ": warm-up " << i + 1 << '/' << o.warmup << '\n';
      run_once(c, c.subject);
      if (c.baseline) run_once(c, *c.baseline);
    }
    // A B A B …: a burst of machine noise lands on both sides alike.
    for (int i = 0; i < o.repeat; ++i) {
      std::cerr << c.name << ": run " << i + 1 << '/' << o.repeat << '\n';
      record(subject_runs, run_once(c, c.subject));
      if (c.baseline) record(baseline_runs, run_once(c, *c.baseline));
    }
  } catch (const std::exception& e) {
    result.error = e.what();
  } catch (...) {
    result.error = "unknown exception";
  }
  result.subject = summarise_side(c.subject, std::move(subject_runs));
  if (c.baseline) result.baseline = summarise_side(*c.baseline, std::move(baseline_runs));
  return result;
}

}  // namespace troupe::perf::internal
