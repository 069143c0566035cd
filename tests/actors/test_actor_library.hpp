#pragma once
// Actor types for the graph-file, DOT and CLI tests, registered by a function as any actor
// library for the troupe tool (cmake/troupe_cli.cmake): the tests' troupe tool hosts them too.
//
//   test.numbers   fiber source: sends params.count ints 0..count-1 (reports progress)
//   test.square    handler: in → out, each int squared
//   test.sum       handler sink: sums the ints into the result named params.key
//   test.parity    fiber source: publishes ints 0..count-1 on topic "even" or "odd" (PUB)
//   test.sum_sub   handler sink on a SUB input: sums into params.key
//   test.ticker    fiber source that never ends by itself (for --duration and Ctrl-C)
//   test.stubborn  fiber source that ignores a drain (only a hard stop ends it)
//   test.crash     handler sink that throws on every message (supervision escalates)

#include <troupe/actors/registry.hpp>

#include <string>

/// Adds the test types to `r`.
void troupe_register_test_actors(troupe::actors::registry& r);

namespace troupe_test {

/// What the sinks summed: (messages, sum) by params.key.
struct sink_result {
  long long messages = 0;
  long long sum = 0;
};
sink_result result_of(const std::string& key);
void clear_results();

}  // namespace troupe_test
