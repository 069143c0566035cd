// Savina "counting", CAF side: the producer sends `increments` inc atoms and then a get atom;
// the counter's get handler returns the total (CAF sends it back to the producer).
#include "env.hpp"

#include "../common/workload_state.hpp"
#include "../common/workloads.hpp"

namespace perf_actors {
namespace {

using inc_atom = caf::atom_constant<caf::atom("inc")>;
using total_atom = caf::atom_constant<caf::atom("total")>;

using state = counting_state;

struct counter_state {
  std::uint64_t count = 0;
};

caf::behavior counter(caf::stateful_actor<counter_state>* self) {
  return {[self](inc_atom) { ++self->state.count; },
          [self](caf::get_atom) { return caf::make_message(total_atom::value, self->state.count); }};
}

caf::behavior producer(caf::event_based_actor* self, caf::actor c, state* s) {
  s->t0 = clock::now();
  for (std::uint64_t i = 0; i < s->increments; ++i) self->send(c, inc_atom::value);
  self->send(c, caf::get_atom::value);
  return {[self, s](total_atom, std::uint64_t total) {
    s->total = total;
    s->finish();
    self->quit();
  }};
}

}  // namespace

void counting(int threads, std::uint64_t increments) {
  state s;
  s.increments = increments;
  caf::actor_system_config cfg;
  caf::actor_system sys{caf_config(cfg, threads)};
  auto c = sys.spawn(counter);
  sys.spawn(producer, c, &s);
  require(s.done.wait(), "the producer gets the total");
  caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
  require(s.total == increments, "the counter counts every increment");
  report("throughput", static_cast<double>(increments) / seconds(s.t0, s.t1), "msg/s");
}

}  // namespace perf_actors
