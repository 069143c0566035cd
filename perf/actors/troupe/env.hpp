#pragma once
// The troupe side's runtime: `threads` executor workers (the reactor thread idles: everything
// here is inproc), a messaging context on it. Declare it before the graph.
#include "../common/workload_util.hpp"

#include <troupe/actors/all.hpp>
#include <troupe/framework/runtime.hpp>
#include <troupe/messaging/context.hpp>

namespace perf_actors {

namespace ta = troupe::actors;
namespace tm = troupe::messaging;
namespace tf = troupe::framework;

struct troupe_env {
  explicit troupe_env(int threads) : rt{tf::runtime_options{tf::executor_options{threads}, {}}}, ctx{rt} {}
  tf::runtime rt;
  tm::context ctx;
};

/// Stops a graph hard once its workload is done (nothing it still holds matters then).
inline void stop_hard(ta::graph& g) {
  require(g.stop(ta::stop_mode::hard, std::chrono::seconds(30)).finished, "the graph stops");
}

}  // namespace perf_actors
