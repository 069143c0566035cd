#pragma once
// `troupe run`: a graph file run in this process, with signals, progress and a summary.

#include "options.hpp"

#include <troupe/actors/distributed_graph.hpp>
#include <troupe/actors/graph.hpp>

namespace troupe::cli {

/// How a run ended, for the exit code.
enum class run_result { finished, failed, interrupted };

/// Starts `g` (built; a distributed_graph deployed), waits for it as `o` says, prints the
/// summary on stderr and writes --counters-json. SIGINT drains, a second SIGINT stops hard.
template <class G>
run_result run_graph(G& g, const options& o);
extern template run_result run_graph(actors::graph&, const options&);
extern template run_result run_graph(actors::distributed_graph&, const options&);

}  // namespace troupe::cli
