// Multicast links of a distributed graph: each sending output's group, once per node.
#include "multicast.hpp"

#include <algorithm>

namespace troupe::actors::internal {

remote_link_options multicast_options(const placed_link& l) {
  const multicast_group& m = l.multicast.value();
  return {.rate = m.rate, .recovery_ivl = m.recovery_ivl};
}

std::vector<multicast_output> multicast_outputs(const graph_description& d, const placement_plan& p, std::string_view node) {
  std::vector<multicast_output> v;
  for (const placed_link& l : p.links) {
    if (l.transport != "epgm" || l.from_node != node) continue;
    auto it = std::find_if(v.begin(), v.end(), [&](const multicast_output& o) { return o.from == l.from; });
    if (it == v.end()) it = v.insert(v.end(), {l.from, multicast_endpoint(d, l, node), multicast_options(l), {}});
    it->links.push_back(l.id);
  }
  return v;
}

}  // namespace troupe::actors::internal
