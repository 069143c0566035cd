#pragma once
/// Summary statistics of repeated runs.

#include <vector>

namespace troupe::perf {

/// Median, min, max and spread of the values of repeated runs.
struct summary {
  std::vector<double> runs;  ///< In the order they ran.
  double median = 0;         ///< Middle value; the mean of the two middle ones for an even count.
  double min = 0;
  double max = 0;
  double spread = 0;         ///< max / min: 1.0 means every run agreed; 0 when min <= 0.
};

/// Summarises `runs` (an empty input gives an all-zero summary).
summary summarize(std::vector<double> runs);

/// The ratio of two medians, `subject / baseline` (0 when the baseline median is 0).
double ratio_of_medians(const summary& subject, const summary& baseline) noexcept;

}  // namespace troupe::perf
