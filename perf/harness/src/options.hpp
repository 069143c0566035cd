#pragma once
/// Command-line parsing of the options every benchmark binary shares.

#include <troupe/perf/harness.hpp>

#include <iosfwd>

namespace troupe::perf::internal {

struct parsed_options {
  options opts;
  bool help = false;
};

/// Parses argv. Throws std::invalid_argument naming the offending argument.
parsed_options parse_options(int argc, char** argv);

/// Writes the usage text.
void print_usage(std::ostream& out, const char* program);

}  // namespace troupe::perf::internal
