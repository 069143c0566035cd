#pragma once
/// Graphviz DOT export of a graph, with each link's message count.

#include <troupe/actors/graph.hpp>
#include <troupe/actors/placement.hpp>

#include <string>

namespace troupe::actors {

struct dot_options {
  /// Label each link with its message count (link_info::messages: whole messages the
  /// receiving input took from that link). Off: the shape only.
  bool counts = true;
  /// A distributed graph's plan: actors grouped by node (a cluster each), and each link
  /// between nodes labelled with its transport (ipc or tcp).
  const placement_plan* placement = nullptr;
};

/// The graph as a DOT digraph: one node per actor (replicas apart), labelled with its name and
/// type; one edge per link, labelled "out → in", its topics if any, and its count. Render with
/// `dot -Tsvg`. Thread-safe like graph::links().
std::string to_dot(const graph& g, const dot_options& o = {});

}  // namespace troupe::actors
