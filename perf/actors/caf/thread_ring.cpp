// Savina "thread ring", CAF side: `actors` event-based actors, each told its successor by a
// message first; then the first one gets a start message and sends the token (the count of
// hops still to go); whoever receives 1 ends the run.
#include "env.hpp"

#include "../common/workload_state.hpp"
#include "../common/workloads.hpp"

#include <vector>

namespace perf_actors {
namespace {

using start_atom = caf::atom_constant<caf::atom("start")>;

using state = ring_state;

struct node_state {
  caf::actor next;
};

caf::behavior node(caf::stateful_actor<node_state>* self, state* s) {
  return {[self](caf::actor next) { self->state.next = std::move(next); },
          [self, s](start_atom, std::uint64_t hops) {
            s->t0 = clock::now();
            self->send(self->state.next, hops);
          },
          [self, s](std::uint64_t left) {
            if (left == 1) {
              s->finish();
              return;
            }
            self->send(self->state.next, left - 1);
          }};
}

}  // namespace

void thread_ring(int threads, std::uint64_t actors, std::uint64_t hops) {
  state s;
  caf::actor_system_config cfg;
  caf::actor_system sys{caf_config(cfg, threads)};
  std::vector<caf::actor> ring;
  for (std::uint64_t i = 0; i < actors; ++i) ring.push_back(sys.spawn(node, &s));
  for (std::uint64_t i = 0; i < actors; ++i) caf::anon_send(ring[i], ring[(i + 1) % actors]);
  caf::anon_send(ring[0], start_atom::value, hops);
  require(s.done.wait(), "the token makes every hop");
  // Each node holds its successor: break the cycle so every actor can end.
  for (auto& a : ring) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  ring.clear();
  report("hops", static_cast<double>(hops) / seconds(s.t0, s.t1), "hops/s");
}

}  // namespace perf_actors
