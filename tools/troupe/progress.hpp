#pragma once
// The live progress line: per stage (an actor or a pool of replicas) messages per second,
// and percent done for a stage whose actors report progress.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace troupe::cli {

struct stage_rate {
  std::string stage;     ///< actor name, or pool name for replicas
  int replicas = 1;
  double per_second = 0; ///< messages in per second (out per second for a source)
  std::optional<double> percent;  ///< from report_progress()
};

/// Rates between two graph::counters() snapshots taken `seconds` apart, one entry per stage
/// in the order of `actors` (graph::actors()).
std::vector<stage_rate> stage_rates(const nlohmann::json& before, const nlohmann::json& after, double seconds,
                                    const std::vector<std::string>& actors);

/// "12.3s  read 45% 120k/s | tok x4 118k/s | ...", cut to `width` columns.
std::string progress_line(double elapsed_seconds, const std::vector<stage_rate>& stages, std::size_t width);

/// The pool an actor belongs to ("tok[2]" → "tok").
std::string stage_of(const std::string& actor);

}  // namespace troupe::cli
