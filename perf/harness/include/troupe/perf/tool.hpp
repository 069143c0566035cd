#pragma once
/// Running a benchmark program as one side of a comparison: one process per run, so each side
/// builds and tears down its own runtime and nothing of one (its threads, its allocator state)
/// lives on while the other is measured. The value is what the program prints, measured
/// inside it over its timed part only (no process start-up).

#include <troupe/perf/harness.hpp>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace troupe::perf {

/// A run that takes longer than this is killed and reported as an error.
inline constexpr int tool_timeout_ms = 300'000;

/// The directory of the running binary (where its sibling tools are built).
std::filesystem::path tool_dir();

/// Runs `args` (args[0] is the program's path) with stdout and stderr captured; returns the
/// output. Throws std::runtime_error if it cannot be started, fails, or outlives
/// tool_timeout_ms (then it is killed).
std::string run_tool(const std::vector<std::string>& args);

/// The number on the first line of `out` that starts with `label` and ends with `unit`.
/// Throws std::runtime_error quoting the output if there is none.
double value_of(const std::string& out, const std::string& label, const std::string& unit);

/// What to read from a tool's output: one value per metric of the comparison.
struct tool_value {
  std::string label;
  std::string unit;
};

/// A side whose run starts `exe` with `args` and reads `values` from its output.
side tool_side(std::string label, const std::filesystem::path& exe, std::vector<std::string> args,
               std::vector<tool_value> values);

}  // namespace troupe::perf
