#pragma once
/// Benchmark harness: runs each comparison (a troupe case and its baseline) several times,
/// interleaved A B A B … after a warm-up, and reports median, min, max, spread (max/min) and the
/// ratio of medians, as a table on stdout and as JSON. Benchmarks are measurements, never tests:
/// nothing here checks a number against a threshold.

#include <troupe/perf/stats.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace troupe::perf {

/// Which way a metric improves. `neither` marks an informational metric: its ratio is
/// reported but not called faster or slower (e.g. runs/s when fewer runs may mean more
/// coalescing, not less work done).
enum class better { lower, higher, neither };

/// One quantity a run reports, e.g. {"latency", "ns/op", better::lower}.
struct metric {
  std::string name;
  std::string unit;
  better direction = better::lower;
};

/// The values of one run, one per metric of the comparison, in the same order.
using sample = std::vector<double>;

/// One side of a comparison. `run` performs one complete run — its own set-up, the timed loop,
/// its own tear-down — and returns the values measured over the timed loop only. Each run builds
/// and destroys what it needs, so nothing of one side (e.g. idle worker threads) lives on while
/// the other side is measured.
struct side {
  std::string label;
  std::function<sample()> run;
};

/// A named benchmark: the subject (troupe) and, usually, the plain alternative it is compared
/// with, doing the same work shape. `parameters` (iteration counts, sizes…) go into the JSON.
struct comparison {
  std::string name;
  std::string description;
  std::vector<metric> metrics;
  side subject;
  std::optional<side> baseline;
  std::vector<std::pair<std::string, double>> parameters;
};

/// Command-line options shared by every benchmark binary.
struct options {
  /// Recorded runs per side (--repeat N).
  int repeat = 5;
  /// Unrecorded runs per side before the recorded ones (--warmup N).
  int warmup = 1;
  /// Multiplies every iteration count (--scale F), for quick smoke runs or longer runs.
  double scale = 1.0;
  /// Where to write the JSON results (--json PATH); empty: no JSON.
  std::string json_path;
  /// Where to write the table as Markdown (--markdown PATH); empty: none.
  std::string markdown_path;
  /// Runs only the comparisons whose name contains one of these (--filter TEXT, repeatable).
  std::vector<std::string> filters;
  /// Lists the comparisons and exits (--list).
  bool list = false;

  /// `n` multiplied by `scale`, at least 1.
  std::uint64_t scaled(std::uint64_t n) const noexcept;
};

/// Builds the comparisons of a binary once the options are known (iteration counts scale).
using suite_factory = std::function<std::vector<comparison>(const options&)>;

/// The whole main() of a benchmark binary: parses the options (--help prints them), builds the
/// suite, runs it, prints the table and writes the JSON. Returns the process exit code:
/// 0, or 1 when the command line is wrong, a run threw, or the JSON could not be written.
int bench_main(int argc, char** argv, const std::string& suite_name, const suite_factory& make);

/// Elapsed wall-clock time of the timed loop.
class stopwatch {
public:
  using clock = std::chrono::steady_clock;

  stopwatch() noexcept : start_(clock::now()) {}
  /// Nanoseconds since construction.
  double elapsed_ns() const noexcept {
    return std::chrono::duration<double, std::nano>(clock::now() - start_).count();
  }

private:
  clock::time_point start_;
};

}  // namespace troupe::perf
