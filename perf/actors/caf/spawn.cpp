// Spawn, CAF side: event-based actors with a behaviour (so each has a mailbox and can
// receive), kept alive by their handles; "started" is its initialisation having run. Then an
// exit message to each, the handles dropped and the wait for every actor to be done are timed
// as teardown.
#include "env.hpp"

#include "../common/workload_state.hpp"
#include "../common/workloads.hpp"

#include <vector>

namespace perf_actors {
namespace {

caf::behavior idle(caf::event_based_actor*, countdown* started) {
  started->arrive();
  return {[](std::uint64_t) {}};
}

}  // namespace

void spawn(int threads, std::uint64_t actors, bool teardown) {
  countdown started(actors);
  caf::actor_system_config cfg;
  caf::actor_system sys{caf_config(cfg, threads)};
  const std::size_t rss0 = rss_bytes();
  const clock::time_point t0 = clock::now();
  std::vector<caf::actor> all;
  all.reserve(actors);
  for (std::uint64_t i = 0; i < actors; ++i) all.push_back(sys.spawn(idle, &started));
  require(started.done.wait(), "every actor starts");
  const clock::time_point t1 = started.reached_at();
  const std::size_t rss1 = rss_bytes();
  report_spawn(t0, t1, rss0, rss1, actors);
  if (!teardown) skip_teardown();
  const clock::time_point t2 = clock::now();
  for (auto& a : all) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  all.clear();
  all.shrink_to_fit();
  sys.await_all_actors_done();
  const clock::time_point t3 = clock::now();
  report("teardown", seconds(t2, t3) * 1e3, "ms");
}

}  // namespace perf_actors
