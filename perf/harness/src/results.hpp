#pragma once
/// What a comparison produced: per side, one summary per metric.

#include <troupe/perf/harness.hpp>

#include <optional>
#include <string>
#include <vector>

namespace troupe::perf::internal {

struct side_result {
  std::string label;
  std::vector<summary> metrics;  ///< Parallel to comparison::metrics.
};

struct comparison_result {
  const comparison* spec = nullptr;
  side_result subject;
  std::optional<side_result> baseline;
  /// Set when a run threw; the summaries are then incomplete and not reported.
  std::string error;
};

}  // namespace troupe::perf::internal
