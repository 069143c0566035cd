#pragma once
/// Graph files: a graph described in JSON (docs/graph-format.md), loaded, checked and built.
///
///     auto d = graph_file::load("pipeline.json");   // syntax and schema
///     graph g(ctx, d.name);
///     graph_file::build(g, d);                        // types, ports, links, required ports
///     g.start();
///
/// Every error is a graph_file_error naming the file, the line and column, the JSON pointer
/// of the field concerned and the reason.

#include <troupe/actors/graph.hpp>
#include <troupe/actors/json_source_map.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::actors {

/// A mistake in a graph file. what() is "FILE:LINE:COLUMN: POINTER: REASON" (pointer ""
/// shown as "/" for the whole document).
struct graph_file_error : graph_error {
  graph_file_error(std::string file, text_position where, std::string pointer, std::string reason);
  std::string file;
  text_position where;
  std::string pointer;
  std::string reason;
};

/// One entry of "actors".
struct actor_decl {
  std::string name;
  std::string type;
  spawn_options options;
  /// The node of each replica ("node" or "nodes"); empty when the graph has no "nodes".
  std::vector<std::string> placement;
  std::string placement_pointer;  ///< of its "node" or "nodes" field ("" if none)
  std::string pointer;  ///< of the entry ("/actors/2")
};

/// One entry of "nodes": a process (`troupe node`) that hosts part of the graph.
struct node_decl {
  std::string name;
  /// Where its control socket listens: "ipc://PATH" or "tcp://HOST:PORT".
  std::string control;
  /// The address its links to other hosts bind on; default: the host of `control` (an ipc
  /// control endpoint means this host, as do localhost and 127.x).
  std::string host;
  /// "interface": where its multicast links send and receive (a network interface by name or
  /// one of its addresses); default: its host's address (docs/distributing.md#multicast-links).
  std::string interface;
  std::string pointer;  ///< of the entry ("/nodes/1")
};

/// A link's "multicast" (`true` or an object): between nodes it travels over epgm, one group
/// per sending output (docs/distributing.md#multicast-links). Only PUB → SUB links.
struct multicast_decl {
  static constexpr const char* default_group = "239.192.0.1";
  static constexpr int default_base_port = 7500;
  std::string group = default_group;  ///< an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) group
  /// UDP port of the link's first sending output (replica i: port + i); 0: the default, 7500
  /// plus the index of the output among the graph's multicast sending outputs.
  int port = 0;
  int rate = 100000;        ///< kbit/s (ZMQ_RATE, publisher and subscribers)
  int recovery_ivl = 2000;  ///< ms (ZMQ_RECOVERY_IVL): repair window, and the silence that ends a lossy stream
  std::string pointer;      ///< of the "multicast" field ("/links/3/multicast")
  bool operator==(const multicast_decl& o) const noexcept {
    return group == o.group && port == o.port && rate == o.rate && recovery_ivl == o.recovery_ivl;
  }
};

/// One entry of "links".
struct link_decl {
  std::string from;
  std::string to;
  std::vector<std::string> topics;  ///< empty: connect (PUB→SUB: everything)
  std::optional<multicast_decl> multicast;  ///< "multicast": epgm between nodes
  std::string pointer;              ///< of the entry ("/links/0")
};

/// A loaded graph file: what build() needs, and where each part came from.
struct graph_description {
  int version = 1;
  std::string name;
  std::vector<actor_decl> actors;
  std::vector<link_decl> links;
  /// Where the actors run (docs/graph-format.md#nodes); empty: all in one process.
  std::vector<node_decl> nodes;
  /// What a distributed run does when it loses a node ("on_node_lost", docs/distributing.md#failure):
  /// stop with an error naming the node and its actors, or restart its unfinished actors on
  /// the least loaded node left (what was queued in the lost node is lost with it).
  enum class node_loss_policy { stop, restart };
  node_loss_policy on_node_lost = node_loss_policy::stop;
  /// The file name errors are reported against.
  std::string file;
  /// Positions of the source text (empty for a description made in code).
  std::shared_ptr<const json_source_map> positions;

  /// The graph is spread over nodes.
  bool distributed() const noexcept { return !nodes.empty(); }
  /// The entry of node `name`, or nullptr.
  const node_decl* find_node(std::string_view name) const noexcept;

  /// An error at `pointer` (its key's position when `at_key`).
  [[noreturn]] void fail(const std::string& pointer, std::string reason, bool at_key = false) const;
};

namespace graph_file {

/// The newest format version this troupe reads.
inline constexpr int current_version = 1;

/// Reads and checks `path` (syntax, fields and their types, unknown keys, duplicate actor
/// names, link addresses). Types and ports are checked by build(), which knows the registry.
graph_description load(const std::string& path);
/// The same for text already in memory; `file` names it in errors.
graph_description parse(std::string_view text, std::string file);

/// Spawns the actors and makes the links of `d` in `g` (which has not started), then checks
/// that every required port is linked. Errors (unknown type or port, a PUSH output to a SUB
/// input and other kind mismatches, duplicate links, unlinked required ports) are
/// graph_file_errors at the field concerned.
void build(graph& g, const graph_description& d);

/// Checks that every link marked "multicast" goes from a PUB output to a SUB input (types
/// unknown to `types` are skipped). Errors are graph_file_errors at the "multicast" field.
void check_multicast(const registry& types, const graph_description& d);

}  // namespace graph_file

}  // namespace troupe::actors
