#pragma once
// The numbers on the perf tools' command lines (message size, counts): whole decimal numbers
// in a range, or a usage line and an error naming the bad value. libzmq's tools use atoi(),
// which reads "abc" as 0 and "1e6" as 1; ours refuse both instead of measuring nonsense.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
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

}  // namespace troupe::perf::tools
