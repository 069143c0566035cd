#pragma once
/// Runs one comparison: warm-up, then subject and baseline interleaved.

#include "results.hpp"

namespace troupe::perf::internal {

/// Runs `c` as `o` says. A run that throws (or returns the wrong number of values) ends the
/// comparison with `error` set; it never propagates.
comparison_result run_comparison(const comparison& c, const options& o);

}  // namespace troupe::perf::internal
