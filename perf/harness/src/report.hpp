#pragma once
/// Turns comparison results into a table (stdout), Markdown and JSON.

#include "results.hpp"

#include <array>
#include <iosfwd>
#include <string>
#include <vector>

namespace troupe::perf::internal {

/// What the run was, for the record.
struct run_info {
  std::string suite;
  std::string date_utc;            ///< ISO 8601
  std::vector<std::string> command;
  options opts;
  /// 1-, 5- and 15-minute load averages of the machine (all 0 if unknown).
  std::array<double, 3> load_at_start{};
  std::array<double, 3> load_at_end{};
};

/// The machine's load averages now.
std::array<double, 3> load_average() noexcept;

/// "1.80x faster" / "2.10x slower": the subject against its baseline, in the metric's direction.
std::string verdict(const metric& m, double ratio);

/// A fixed-width table, one row per side and metric.
void print_table(std::ostream& out, const std::vector<comparison_result>& results);

/// The same table in Markdown (for docs/performance.md).
void print_markdown(std::ostream& out, const std::vector<comparison_result>& results);

/// Writes every run of every side as JSON to `path`. Throws std::runtime_error if it cannot.
void write_json(const std::string& path, const run_info& info,
                const std::vector<comparison_result>& results);

}  // namespace troupe::perf::internal
