#pragma once
/// Placement: which node hosts each actor of a graph spread over processes, and how each link
/// between two actors travels (inproc on one node, ipc between nodes of one host, tcp across
/// hosts). See docs/distributing.md.

#include <troupe/actors/graph_file.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::actors {

/// The multicast group of one sending output (a replica's PUB port) whose links are marked
/// "multicast": every remote receiver of that output joins it.
struct multicast_group {
  std::string group;
  int port = 0;
  int rate = 0;          ///< kbit/s
  int recovery_ivl = 0;  ///< ms
};

/// One link between two actors (a pool's replicas apart), as a distributed graph makes it.
struct placed_link {
  std::size_t id = 0;  ///< its index in the plan (it names the link's data endpoint)
  std::string from;    ///< "actor.port" of the output (replica names)
  std::string to;      ///< "actor.port" of the input
  std::vector<std::string> topics;
  std::string from_actor() const { return from.substr(0, from.rfind('.')); }
  std::string to_actor() const { return to.substr(0, to.rfind('.')); }
  std::string from_node, to_node;
  /// "inproc" (both ends on one node), "ipc" (two nodes of one host), "tcp", or "epgm" (a
  /// link marked multicast between two nodes, of one host or not).
  std::string transport;
  /// The parts of their nodes the two ends are in: 0 for the part deployed first; a lost
  /// node's actors restarted on another node form a part of their own there (relocate()).
  int from_part = 0, to_part = 0;
  /// Bumped each time relocate() moves an end: endpoints of a new generation have new names,
  /// so counts of messages sent over them start at 0.
  int gen = 0;
  /// Its output's group, for a link marked "multicast" (used when transport is "epgm").
  std::optional<multicast_group> multicast;
  /// Distinct topics the receiving input subscribes to over all its links ("everything"
  /// counts as one): what a PUB output of this link receives from it.
  int subscriptions = 0;
  std::string pointer;  ///< the link's entry in the file ("/links/3")
  /// Its ends are in different graph parts (processes, or parts of one node): it travels
  /// through an endpoint the sender exposes.
  bool remote() const noexcept { return from_node != to_node || from_part != to_part; }
};

/// Placement given apart from the graph file (`troupe run --node NAME=ENDPOINT --place
/// ACTOR=NODE[,NODE...]`), so that a file without placement can be spread over nodes
/// without editing it. Each entry overrides the file's.
struct placement_overrides {
  struct node_entry {
    std::string name;
    std::string control;  ///< its control endpoint ("ipc://PATH" or "tcp://HOST:PORT")
  };
  struct actor_entry {
    std::string actor;               ///< an actor (a pool: all its replicas)
    std::vector<std::string> nodes;  ///< one node for every replica, or one per replica
  };
  std::vector<node_entry> nodes;   ///< adds a node, or replaces the file's entry of that name
  std::vector<actor_entry> actors; ///< replaces the actor's "node"/"nodes"
  bool empty() const noexcept { return nodes.empty() && actors.empty(); }
};

/// Where everything of a distributed graph goes. Computed the same way by the coordinator
/// and by each node from the same file, so link ids agree.
struct placement_plan {
  std::vector<placed_link> links;
  /// Actor (replica names) → node, for every actor.
  std::map<std::string, std::string, std::less<>> node_of;
  /// Actors (replica names) in spawn order.
  std::vector<std::string> actors;
  /// Actor → part of its node (absent: 0), for actors relocate() moved.
  std::map<std::string, int, std::less<>> part_of;
  int part(std::string_view actor) const {
    auto it = part_of.find(actor);
    return it == part_of.end() ? 0 : it->second;
  }
};

/// The plan of `d`, which must be distributed(). `force_tcp`: tcp between nodes even of one
/// host (tests, or hosts whose ipc directories differ).
placement_plan plan_placement(const graph_description& d, bool force_tcp);

/// Moves actors (replica names) to other nodes, as restarting a lost node's actors does: each
/// goes to `moves[actor]`, in part `gen` there (its own graph part, started apart), and each
/// link with a moved end gets generation `gen` and its transport anew (inproc between two parts
/// of one node). Computed the same way by the coordinator and the nodes. Throws graph_error
/// for an unknown actor or node.
void relocate(placement_plan& p, const graph_description& d, const std::map<std::string, std::string>& moves, int gen,
              bool force_tcp);

/// The host a node's data links bind on: its "host", else its control endpoint's host; an ipc
/// control endpoint, localhost and 127.x are "localhost".
std::string host_of(const node_decl& n);

/// Two nodes on one host (then links between them use ipc).
inline bool same_host(const node_decl& a, const node_decl& b) { return host_of(a) == host_of(b); }

/// The endpoint the sending node binds for remote link `l` of run `run_id`: an ipc path in
/// the temporary directory, a tcp wildcard port on the sending node's host, or (two parts of
/// one node) an inproc name. Names carry the link's generation.
std::string data_endpoint(const graph_description& d, const placed_link& l, std::string_view run_id);

/// Where node `n`'s multicast links send and receive: its "interface", else its host's address
/// (localhost: 127.0.0.1; a host name resolved to its IPv4 address). Throws graph_error naming
/// the node when a host name does not resolve.
std::string interface_of(const node_decl& n);

/// The epgm endpoint node `node` uses for multicast link `l`: "epgm://INTERFACE;GROUP:PORT".
std::string multicast_endpoint(const graph_description& d, const placed_link& l, std::string_view node);

/// How a link's transport is shown (`troupe graph`, logs): "epgm 239.192.0.1:7500" for a
/// multicast link, else the transport.
std::string transport_text(const placed_link& l);

namespace graph_file {

/// The graph file text `text`, whose parse is `d`, with `o` applied: "nodes" entries added
/// or replaced, actors' "node"/"nodes" replaced. The result is the document re-written (2
/// spaces indent), what the coordinator parses and sends to the nodes. Throws graph_error
/// naming the bad entry: an unknown actor, a node neither in the file nor given, a pool
/// given neither one node nor one per replica, the same actor or node given twice, and
/// (when the result has nodes) an actor left without a node.
std::string with_placement(std::string_view text, const graph_description& d, const placement_overrides& o);

/// Builds node `node`'s part of `d` in `g`: the actors placed there (pools: the replicas
/// placed there) and the links between them. Links to or from other nodes are for
/// graph::expose() and graph::connect_remote(). Errors are graph_file_errors at the field.
void build_part(graph& g, const graph_description& d, const placement_plan& p, std::string_view node);

/// Builds the actors of part `part` of node `node` (relocate()'s moved actors) in `g`, with
/// the links between them.
void build_moved_part(graph& g, const graph_description& d, const placement_plan& p, std::string_view node, int part);

}  // namespace graph_file

}  // namespace troupe::actors
