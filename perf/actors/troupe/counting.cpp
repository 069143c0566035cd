// Savina "counting", troupe side: a fiber-style producer (a loop of sends, then a blocking
// receive of the answer) and a handler-style counter. producer.out -> counter.in carries
// one-byte ops (increment, or get); counter.total -> producer.total carries the 8-byte total.
#include "env.hpp"

#include "../common/workload_state.hpp"
#include "../common/workloads.hpp"

namespace perf_actors {
namespace {

enum class op : std::uint8_t { increment, get };

using state = counting_state;
state* g_state = nullptr;

struct producer : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out").input("total"); }
  void run() override {
    g_state->t0 = clock::now();
    for (std::uint64_t i = 0; i < g_state->increments; ++i)
      if (!out("out").send_value(op::increment)) return;
    if (!out("out").send_value(op::get)) return;
    if (!in("total").recv_value(g_state->total)) return;
    g_state->finish();
  }
};

struct counter : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in").output("total"); }
  std::uint64_t count = 0;
  void on_message(ta::input&, tm::multipart& m) override {
    if (ta::decode<op>(m) == op::increment) {
      ++count;
    } else {
      out("total").send_value(count);
    }
  }
};

}  // namespace

void counting(int threads, std::uint64_t increments) {
  state s;
  s.increments = increments;
  g_state = &s;
  troupe_env env(threads);
  ta::graph g(env.ctx, "counting");
  g.spawn<producer>("producer");
  g.spawn<counter>("counter");
  g.connect("producer.out", "counter.in");
  g.connect("counter.total", "producer.total");
  g.start();
  require(s.done.wait(), "the producer gets the total");
  stop_hard(g);
  require(s.total == increments, "the counter counts every increment");
  report("throughput", static_cast<double>(increments) / seconds(s.t0, s.t1), "msg/s");
}

}  // namespace perf_actors
