// Spawn, troupe side: a pool of handler actors, each with one input port (its inbox: a PULL
// socket bound at its inproc endpoint, left unconnected), started; "started" is its
// on_start having run. Then a hard stop and the graph's destruction are timed as teardown.
#include "env.hpp"

#include "../common/workload_state.hpp"
#include "../common/workloads.hpp"

#include <memory>

namespace perf_actors {
namespace {

countdown* g_started = nullptr;

struct idle : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in", ta::port_kind::pull, {.required = false}); }
  void on_start() override { g_started->arrive(); }
  void on_message(ta::input&, tm::multipart&) override {}
};

}  // namespace

void spawn(int threads, std::uint64_t actors, bool teardown) {
  countdown started(actors);
  g_started = &started;
  troupe_env env(threads);
  const std::size_t rss0 = rss_bytes();
  const clock::time_point t0 = clock::now();
  auto g = std::make_unique<ta::graph>(env.ctx, "spawn");
  g->spawn<idle>("idle", {.replicas = static_cast<int>(actors)});
  g->start();
  require(started.done.wait(), "every actor starts");
  const clock::time_point t1 = started.reached_at();
  env.rt.exec().wait_idle();
  const std::size_t rss1 = rss_bytes();
  report_spawn(t0, t1, rss0, rss1, actors);
  if (!teardown) skip_teardown();
  const clock::time_point t2 = clock::now();
  stop_hard(*g);
  g.reset();
  const clock::time_point t3 = clock::now();
  report("teardown", seconds(t2, t3) * 1e3, "ms");
}

}  // namespace perf_actors
