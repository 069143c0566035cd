#include <troupe/perf/stats.hpp>

#include <algorithm>

namespace troupe::perf {

summary summarize(std::vector<double> runs) {
  summary s;
  s.runs = runs;
  if (runs.empty()) return s;
  std::sort(runs.begin(), runs.end());
  const std::size_t n = runs.size();
  s.median = n % 2 == 1 ? runs[n / 2] : (runs[n / 2 - 1] + runs[n / 2]) / 2;
  s.min = runs.front();
  s.max = runs.back();
  s.spread = s.min > 0 ? s.max / s.min : 0;
  return s;
}

double ratio_of_medians(const summary& subject, const summary& baseline) noexcept {
  return baseline.median != 0 ? subject.median / baseline.median : 0;
}

}  // namespace troupe::perf
