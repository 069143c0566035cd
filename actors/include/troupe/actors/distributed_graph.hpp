#pragma once
/// The coordinator of a graph spread over nodes (`troupe node` processes): deploys each
/// node's part, links them, starts, drains or stops, and gathers counters. Its interface is
/// graph's (start, wait, stop, counters, links), so a tool runs either the same way.
/// See docs/distributing.md.

#include <troupe/actors/graph.hpp>
#include <troupe/actors/graph_file.hpp>
#include <troupe/actors/placement.hpp>
#include <troupe/messaging/context.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace troupe::actors {

struct distribution_options {
  /// tcp between nodes even when they share a host.
  bool force_tcp = false;
  /// How long a node may take to answer a command (it may not be up yet: the control
  /// connection is retried meanwhile).
  std::chrono::milliseconds answer_timeout{10000};
  /// ZMTP heartbeats on the control connections; a node silent for 11 intervals, or whose
  /// connection closes, is reported lost.
  std::chrono::milliseconds heartbeat{500};
  /// If set, the coordinator serves commands at this endpoint once started (`troupe move`
  /// sends "move" there; see coordinator_endpoint()).
  std::string control{};
  /// How long a moved actor and its receivers may take to read what was sent before the move.
  std::chrono::milliseconds drain_timeout{30000};
};

/// Where `troupe run` serves its coordinator's commands for graph `d`:
/// ipc:///tmp/troupe-coordinator-NAME-HASH.ipc, HASH of the nodes and their endpoints.
std::string coordinator_endpoint(const graph_description& d);

/// Asks the coordinator at `endpoint` (a running `troupe run`) to move `actor` to `node`;
/// throws graph_error with the coordinator's reason if it did not, or if it does not answer
/// within `timeout`.
void request_move(messaging::context& ctx, const std::string& endpoint, const std::string& actor, const std::string& node,
                  std::chrono::milliseconds timeout);

/// A distributed graph run from this process. Every call is thread-safe except that
/// deploy() and start() are for one thread, once each, in that order. Errors of nodes (a
/// node not answering, a type it does not host, a bad endpoint) are graph_errors naming the
/// node; graph file errors found by a node keep their file:line:col.
class distributed_graph {
public:
  /// `text` is the graph file's content (sent to the nodes), `d` its parse (d.distributed()).
  distributed_graph(messaging::context& ctx, graph_description d, std::string text, distribution_options o = {});
  /// Tears the graph down on every node (a running one is stopped hard first).
  ~distributed_graph();
  distributed_graph(const distributed_graph&) = delete;
  distributed_graph& operator=(const distributed_graph&) = delete;

  const std::string& name() const noexcept;
  const placement_plan& plan() const noexcept;

  /// Gives each node its part (it builds its actors and binds the endpoints of its outgoing
  /// remote links), then has each connect its incoming ones.
  void deploy();
  /// Instead of deploy(): takes over the run of this graph that its nodes are running (the
  /// coordinator that deployed it may be gone). Each node sends its events here from then on
  /// and repeats those sent before (actors finished, node done), so wait() and a drain end as
  /// they would have. Nodes that are idle count as done; one that does not answer as lost.
  /// Returns the run's id; throws graph_error when no node runs the graph, or nodes run
  /// different runs of it. start() is then a no-op; wait(), stop() and the rest work as after
  /// a deploy, and destruction tears the run down.
  std::string attach();
  /// Starts every node once its outgoing links have their peers (and a PUB its subscribers'
  /// subscriptions).
  void start();
  /// As graph::wait: every actor on every node finished, or a node failed or was lost.
  stop_report wait(std::chrono::milliseconds timeout);
  /// As graph::stop, on every node.
  stop_report stop(stop_mode mode = stop_mode::drain, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Live migration: moves running actor `actor` (handler style) to node `node` while the
  /// graph runs. Its senders pause; it reads everything they sent it and sends what it
  /// holds; its save_state() goes to a new instance on `node` (load_state()); its senders
  /// bind new endpoints and its receivers read what it sent before, then connect to it
  /// there; it starts; its senders resume. Nothing queued to it is lost or sent twice, and
  /// per-link order holds (docs/distributing.md#moving-an-actor). Blocks until done; throws
  /// graph_error naming what is wrong (no such actor or node, finished, fiber-style, a
  /// multicast link, a node not answering). A failure once the actor left its node stops the
  /// graph with that error. Any thread; moves and restarts run one at a time.
  void move(const std::string& actor, const std::string& node);
  /// Per-actor counters as graph::counters(), each with "node"; gathered from the nodes.
  nlohmann::json counters() const;
  /// Actors (replica names) in spawn order.
  std::vector<std::string> actors() const;
  /// Links as graph::links(), counted by their receiving node (remote ones included).
  std::vector<link_info> links() const;
  /// Each node's answer to "status": {"node": {"state", "graph", "counters", ...}} or
  /// {"node": {"error": "..."}} for one that did not answer.
  nlohmann::json status() const;

private:
  stop_report wait_nodes(std::chrono::milliseconds timeout, bool until_error);
  struct impl;
  std::unique_ptr<impl> p_;
};

/// Asks the node at `control` for its status ({"state", "graph", "counters", ...}); throws
/// graph_error if it does not answer within `timeout`.
nlohmann::json node_status(messaging::context& ctx, const std::string& control, std::chrono::milliseconds timeout);

}  // namespace troupe::actors
