#pragma once
// The numbers on the perf tools' command lines (message size, counts): whole decimal numbers
// in a range, or a usage line and an error naming the bad value. libzmq's tools use atoi(),
// which reads "abc" as 0 and "1e6" as 1; ours refuse both instead of measuring nonsense.
// Also the throughput tools' output (libzmq's local_thr format).

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>

namespace troupe::perf::tools {

/// `text` as a whole number in [minimum, maximum]. On anything else prints `usage` and
/// "error: <what> must be a whole number from <minimum> to <maximum>, got '<text>'" on stdout
/// (where libzmq's tools print their usage) and returns nothing.
inline std::optional<long> parse_number(const char* usage, const char* what, const char* text, long minimum,
                                        long maximum) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno == ERANGE || v < minimum || v > maximum) {
    std::printf("%s\nerror: %s must be a whole number from %ld to %ld, got '%s'\n", usage, what, minimum, maximum,
                text);
    return std::nullopt;
  }
  return v;
}

/// The largest message size and count the tools accept: libzmq's tools print both as `int`.
inline constexpr long max_tool_number = 2'147'483'647;

/// The whole main() of a wire tool (`<endpoint> <message-size> <count>`): checks the argument
/// count, parses the two numbers (the count, named `count_name`, at least 1) and returns
/// `run(endpoint, size, count)`; an exception from it is printed as "error: <what>", exit 1.
template <class Run>
int wire_tool_main(int argc, char** argv, const char* usage, const char* count_name, Run&& run) {
  if (argc != 4) {
    std::printf("%s\n", usage);
    return 1;
  }
  const auto size = parse_number(usage, "message-size", argv[2], 0, max_tool_number);
  if (!size) return 1;
  const auto count = parse_number(usage, count_name, argv[3], 1, max_tool_number);
  if (!count) return 1;
  try {
    return run(argv[1], static_cast<std::size_t>(*size), *count);
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
}

/// Prints a throughput tool's result in libzmq's local_thr format: message size, count, and
/// count / elapsed (libzmq's formula) in msg/s and Mb/s. `elapsed_us` <= 0 counts as 1.
inline void print_throughput(std::size_t size, long count, double elapsed_us) {
  if (elapsed_us <= 0) elapsed_us = 1;
  const auto throughput = static_cast<unsigned long>(static_cast<double>(count) / elapsed_us * 1000000);
  const double megabits = static_cast<double>(throughput * size * 8) / 1000000;
  std::printf("message size: %d [B]\n", static_cast<int>(size));
  std::printf("message count: %d\n", static_cast<int>(count));
  std::printf("mean throughput: %d [msg/s]\n", static_cast<int>(throughput));
  std::printf("mean throughput: %.3f [Mb/s]\n", megabits);
}

}  // namespace troupe::perf::tools
