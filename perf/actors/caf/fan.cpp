// Fan-out/fan-in, CAF side: a source actor sends the messages round-robin over the workers
// (CAF has no back-pressure: they queue in the mailboxes), each worker forwards to the sink.
// Messages are std::uint64_t sequence numbers.
#include "env.hpp"

#include "../common/workload_state.hpp"
#include "../common/workloads.hpp"

#include <vector>

namespace perf_actors {
namespace {

using state = fan_state;

caf::behavior sink(caf::event_based_actor*, state* s) {
  return {[s](std::uint64_t v) {
    s->sum += v;
    s->arrived.arrive();
  }};
}

caf::behavior worker(caf::event_based_actor* self, caf::actor to) {
  return {[self, to](std::uint64_t v) { self->send(to, v); }};
}

caf::behavior source(caf::event_based_actor* self, std::vector<caf::actor> workers, state* s) {
  s->t0 = clock::now();
  for (std::uint64_t i = 0; i < s->messages; ++i) self->send(workers[i % workers.size()], i);
  self->quit();
  return {};
}

}  // namespace

void fan(int threads, std::uint64_t messages, std::uint64_t workers) {
  state s(messages);
  caf::actor_system_config cfg;
  caf::actor_system sys{caf_config(cfg, threads)};
  auto snk = sys.spawn(sink, &s);
  std::vector<caf::actor> pool;
  for (std::uint64_t i = 0; i < workers; ++i) pool.push_back(sys.spawn(worker, snk));
  sys.spawn(source, pool, &s);
  require(s.arrived.done.wait(), "every message reaches the sink");
  const clock::time_point t1 = s.arrived.reached_at();
  for (auto& w : pool) caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(snk, caf::exit_reason::user_shutdown);
  sys.await_all_actors_done();
  require(s.sum == messages * (messages - 1) / 2, "the sink sees each message once");
  report("throughput", static_cast<double>(messages) / seconds(s.t0, t1), "msg/s");
}

}  // namespace perf_actors
