// Idle actors: no CPU, and what an idle actor with an inproc inbox costs in memory.
#include "actors_support.hpp"

#include <malloc.h>

using namespace troupe_test;

namespace {

struct idle_source : ta::handler_actor {
  static void ports(ta::port_list& p) { p.output("out", ta::port_kind::pub); }
  void on_message(ta::input&, tm::multipart&) override {}
};

struct idle_sink : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in", ta::port_kind::sub, {.required = false}); }
  void on_message(ta::input&, tm::multipart&) override {}
};

std::size_t heap_in_use() {
  const struct mallinfo2 mi = ::mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

}  // namespace

TEST_CASE("cost: idle actors use no CPU") {
  fixture f;
  ta::graph g(f.ctx, "idle");
  g.spawn<idle_source>("src");
  g.spawn<idle_sink>("sink", {.replicas = 200});
  g.connect("src.out", "sink.in");
  g.start();
  CHECK(wait_until([&] {
    const nlohmann::json all = g.counters();
    for (auto& [n, c] : all.items())
      if (c["state"] != "running") return false;
    return true;
  }));
  f.rt.exec().wait_idle();
  const auto cpu0 = process_cpu_time();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // measuring, not waiting
  const auto used = process_cpu_time() - cpu0;
  MESSAGE("CPU used by 201 idle actors in 300 ms: " << used.count() / 1000 << " us");
  CHECK(used < std::chrono::milliseconds(30));
  CHECK(g.stop().ok());
}

TEST_CASE("cost: memory of an idle handler actor with an inproc inbox") {
  fixture f;
  constexpr int n = under_tsan ? 200 : 2000;
  ta::graph g(f.ctx, "memory");
  const std::size_t before = heap_in_use();
  g.spawn<idle_sink>("lone", {.replicas = n});
  const std::size_t lone = heap_in_use();
  g.spawn<idle_source>("src");
  g.spawn<idle_sink>("linked", {.replicas = n});
  g.connect("src.out", "linked.in");
  const std::size_t linked = heap_in_use();
  g.start();
  CHECK(wait_until([&] { return g.counters()["linked[0]"]["state"] == "running"; }));
  f.rt.exec().wait_idle();
  const std::size_t started = heap_in_use();
  const double per_lone = static_cast<double>(lone - before) / n;
  const double per_linked = static_cast<double>(linked - lone) / n;
  const double per_started = static_cast<double>(started - before) / (2 * n);
  MESSAGE("heap per idle actor, inbox bound but unconnected: " << per_lone << " B");
  MESSAGE("heap per idle actor, inbox connected to a PUB (one pipe): " << per_linked << " B");
  MESSAGE("heap per actor after start (average of both): " << per_started << " B");
#if !defined(TROUPE_SANITIZED)
  CHECK(per_lone > 0);
  CHECK(per_lone < 4096);  // not yet "well under 1 KiB": see the report in docs/architecture.md
#endif
  CHECK(g.stop().ok());
}
