// DOT export: nodes from the actors, edges from the links and their counts.
#include <troupe/actors/dot.hpp>

#include <map>

namespace troupe::actors {

namespace {

/// A DOT double-quoted string; a newline becomes DOT's centred line break.
std::string dot_string(std::string_view s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '\n') {
      q += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

}  // namespace

std::string to_dot(const graph& g, const dot_options& o) {
  std::string s = "digraph " + dot_string(g.name()) + " {\n  rankdir=LR;\n  node [shape=box];\n";
  if (o.placement) {
    std::map<std::string, std::vector<std::string>> by_node;
    for (const std::string& a : g.actors()) by_node[o.placement->node_of.at(a)].push_back(a);
    for (const auto& [node, actors] : by_node) {
      s += "  subgraph " + dot_string("cluster_" + node) + " {\n    label=" + dot_string("node " + node) + ";\n";
      for (const std::string& a : actors) s += "    " + dot_string(a) + " [label=" + dot_string(a + "\n" + g.type_of(a)) + "];\n";
      s += "  }\n";
    }
  } else {
    for (const std::string& a : g.actors())
      s += "  " + dot_string(a) + " [label=" + dot_string(a + "\n" + g.type_of(a)) + "];\n";
  }
  for (const link_info& l : g.links()) {
    const auto fdot = l.from.rfind('.');
    const auto tdot = l.to.rfind('.');
    std::string label = l.from.substr(fdot + 1) + " -> " + l.to.substr(tdot + 1);
    if (!l.topics.empty()) {
      label += "\ntopics:";
      for (const std::string& t : l.topics) label += " '" + t + "'";
    }
    if (o.placement) {
      for (const placed_link& p : o.placement->links)
        if (p.from == l.from && p.to == l.to && p.remote()) label += "\n" + transport_text(p) + " (" + p.from_node + " -> " + p.to_node + ")";
    }
    if (o.counts) label += "\n" + std::to_string(l.messages) + " msgs";
    s += "  " + dot_string(l.from.substr(0, fdot)) + " -> " + dot_string(l.to.substr(0, tdot)) + " [label=" + dot_string(label) + "];\n";
  }
  return s + "}\n";
}

}  // namespace troupe::actors
