#pragma once
// The troupe command line: what was asked for, or a usage error naming the bad argument.

#include <troupe/actors/placement.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace troupe::cli {

/// A bad command line (exit code 2); what() says what was wrong.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct options {
  enum class command { help, version, types, run, graph, node, status, stop, move } cmd = command::help;
  std::string graph_file;
  /// run: a bound on the run; reaching it is an error (the graph is drained, exit 1).
  std::optional<std::chrono::milliseconds> timeout;
  /// run: stop (drain) after this long and succeed (for graphs whose sources never end).
  std::optional<std::chrono::milliseconds> duration;
  std::string counters_json;  ///< run: write the final counters here
  enum class progress_mode { automatic, on, off } progress = progress_mode::automatic;
  bool run_graph = false;     ///< graph: run it first, then print the DOT with counts
  bool force_tcp = false;     ///< run, graph: links between nodes over tcp even on one host
  /// run, graph, status: --node NAME=ENDPOINT and --place ACTOR=NODE[,NODE...], in order.
  troupe::actors::placement_overrides placement;
  bool attach = false;        ///< run: follow the run the nodes run instead of deploying
  bool hard = false;          ///< stop: stop at once instead of draining
  std::string node_name;      ///< node: --name
  std::string listen;         ///< node: --listen
  std::string move_actor;     ///< move: the actor
  std::string move_to;        ///< move: --to NODE
};

/// Parses argv[1..]; throws usage_error.
options parse_options(const std::vector<std::string>& args);

/// The --help text.
const char* usage_text() noexcept;

}  // namespace troupe::cli
