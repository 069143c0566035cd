#pragma once
// Multicast links of a distributed graph (docs/distributing.md#multicast-links): what a node
// does for the links marked "multicast" whose ends are on different nodes. The sending output
// joins its group once, when the node starts (not at deploy: OpenPGM announces a new sender
// with SPMs at that moment, and every receiver, joined at "connect", defines its receive
// window from them, so even the first messages can be repaired); each receiving input joins
// the same group on its own node's interface at "connect".

#include <troupe/actors/graph.hpp>
#include <troupe/actors/placement.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace troupe::actors::internal {

/// One sending output of node `node` with multicast links to other nodes.
struct multicast_output {
  std::string from;      ///< "replica.port"
  std::string endpoint;  ///< epgm://INTERFACE;GROUP:PORT on the sending node
  remote_link_options options;
  std::vector<std::size_t> links;  ///< the remote links it carries (plan ids)
};

/// The sending outputs of `node` with remote multicast links, each once, in plan order.
std::vector<multicast_output> multicast_outputs(const graph_description& d, const placement_plan& p, std::string_view node);

/// RATE and RECOVERY_IVL of multicast link `l` (both ends set the same).
remote_link_options multicast_options(const placed_link& l);

}  // namespace troupe::actors::internal
