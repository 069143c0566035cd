// executor: the worker pool every other part runs on.

#include "support.hpp"

#include <troupe/framework/executor.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace troupe::framework;
using namespace troupe_test;

namespace {

// Holds `n` tasks inside the pool at once: each enters, then stays until released. Shows
// how many workers really run in parallel (concurrency() could lie, or oneTBB could give the
// arena fewer threads than it has slots).
struct parallelism_probe {
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  std::atomic<int> finished{0};
  std::atomic<bool> release{false};

  void enter() {
    const int now = inside.fetch_add(1, std::memory_order_acq_rel) + 1;
    int seen = max_inside.load();
    while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
    }
    wait_until([&] { return release.load(); });
    inside.fetch_sub(1, std::memory_order_acq_rel);
    finished.fetch_add(1, std::memory_order_acq_rel);
  }
};

// Runs `n` tasks that each post two children until `depth` is reached: 2^(depth+1)-1 tasks.
void fan_out(executor& ex, std::atomic<int>& ran, int depth) {
  ran.fetch_add(1, std::memory_order_relaxed);
  if (depth == 0) return;
  for (int i = 0; i < 2; ++i) ex.post([&ex, &ran, depth] { fan_out(ex, ran, depth - 1); });
}

struct counted_node final : task_node {
  std::atomic<int> runs{0};
  void run() noexcept override { runs.fetch_add(1, std::memory_order_relaxed); }
};

}  // namespace

TEST_SUITE("executor") {

TEST_CASE("tasks posted from many threads each run exactly once") {
  executor ex(executor_options{.concurrency = 2});
  constexpr int producers = 4;
  constexpr int per_producer = 10'000;
  std::vector<std::atomic<int>> runs(producers * per_producer);

  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i) {
        auto& slot = runs[static_cast<std::size_t>(p * per_producer + i)];
        ex.post([&slot] { slot.fetch_add(1, std::memory_order_relaxed); });
      }
    });
  }
  for (auto& t : threads) t.join();
  ex.wait_idle();

  CHECK(ex.outstanding() == 0);
  int wrong = 0;
  for (auto& r : runs) wrong += r.load() != 1;
  CHECK(wrong == 0);
}

TEST_CASE("submit runs intrusive task nodes once each") {
  executor ex(executor_options{.concurrency = 2});
  std::vector<counted_node> nodes(1000);
  for (auto& n : nodes) ex.submit(n);
  ex.wait_idle();
  int wrong = 0;
  for (auto& n : nodes) wrong += n.runs.load() != 1;
  CHECK(wrong == 0);

  // A node may be submitted again once its run has returned.
  for (int round = 0; round < 100; ++round) {
    ex.submit(nodes[0]);
    ex.wait_idle();
  }
  CHECK(nodes[0].runs.load() == 101);
}

TEST_CASE("concurrency honours the option") {
  for (int n : {1, 2, 3}) {
    CAPTURE(n);
    executor ex(executor_options{.concurrency = n});
    CHECK(ex.concurrency() == n);
  }
  executor fallback;
  CHECK(fallback.concurrency() == static_cast<int>(std::thread::hardware_concurrency()));
}

TEST_CASE("concurrency n runs n tasks at once and never more") {
  for (int n : {1, 2, 3}) {
    CAPTURE(n);
    executor ex(executor_options{.concurrency = n});
    parallelism_probe probe;
    // Two more tasks than workers: if more than n could run, max_inside would exceed n.
    for (int i = 0; i < n + 2; ++i) ex.post([&probe] { probe.enter(); });

    CHECK(wait_until([&] { return probe.inside.load() == n; }));
    // Observation window for the negative half ("never more"); nothing is waited for here.
    std::this_thread::sleep_for(20ms);
    CHECK(probe.max_inside.load() == n);

    probe.release = true;
    ex.wait_idle();
    CHECK(probe.finished.load() == n + 2);
    CHECK(probe.max_inside.load() == n);
  }
}

// IMPLEMENTATION BUG (as of writing): each executor installs its own oneTBB global_control
// (max_allowed_parallelism = n + 1) and oneTBB applies one process-wide limit, so two live
// executors share one budget and here only two tasks run at once instead of four.
TEST_CASE("two executors each get their full concurrency at the same time") {
  executor a(executor_options{.concurrency = 2});
  executor b(executor_options{.concurrency = 2});
  parallelism_probe pa, pb;
  for (int i = 0; i < 2; ++i) {
    a.post([&pa] { pa.enter(); });
    b.post([&pb] { pb.enter(); });
  }
  const bool both = wait_until([&] { return pa.inside.load() == 2 && pb.inside.load() == 2; }, 5s);
  CAPTURE(pa.inside.load());
  CAPTURE(pb.inside.load());
  CHECK(both);
  pa.release = true;
  pb.release = true;
  a.wait_idle();
  b.wait_idle();
}

TEST_CASE("current is the executor on its workers and null elsewhere") {
  CHECK(executor::current() == nullptr);
  executor a(executor_options{.concurrency = 2});
  executor b(executor_options{.concurrency = 1});
  std::atomic<executor*> seen_a{nullptr}, seen_b{nullptr}, seen_nested{nullptr};
  a.post([&] {
    seen_a = executor::current();
    // A task posted from a worker to another executor sees that other one.
    b.post([&] { seen_nested = executor::current(); });
  });
  b.post([&] { seen_b = executor::current(); });
  a.wait_idle();
  b.wait_idle();
  CHECK(seen_a.load() == &a);
  CHECK(seen_b.load() == &b);
  CHECK(seen_nested.load() == &b);

  std::atomic<bool> null_on_thread{false};
  std::thread([&] { null_on_thread = executor::current() == nullptr; }).join();
  CHECK(null_on_thread.load());
  CHECK(executor::current() == nullptr);
}

TEST_CASE("wait_idle waits for tasks and for the tasks they post") {
  executor ex(executor_options{.concurrency = 2});
  std::atomic<int> ran{0};
  ex.post([&] { fan_out(ex, ran, 10); });
  ex.wait_idle();
  CHECK(ran.load() == 2047);
  CHECK(ex.outstanding() == 0);

  // wait_idle on an idle pool returns at once, repeatedly.
  ex.wait_idle();
  ex.wait_idle();
  CHECK(ran.load() == 2047);
}

TEST_CASE("outstanding counts queued and running tasks") {
  executor ex(executor_options{.concurrency = 1});
  std::atomic<bool> release{false};
  std::atomic<bool> entered{false};
  ex.post([&] {
    entered = true;
    wait_until([&] { return release.load(); });
  });
  // The queue is only roughly FIFO: post the others once the blocker holds the worker.
  REQUIRE(wait_until([&] { return entered.load(); }));
  for (int i = 0; i < 9; ++i) ex.post([] {});
  CHECK(ex.outstanding() == 10);
  release = true;
  ex.wait_idle();
  CHECK(ex.outstanding() == 0);
}

TEST_CASE("an exception thrown by a posted task is logged and the pool keeps working") {
  log_capture logs;
  executor ex(executor_options{.concurrency = 2});
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) {
    ex.post([] { throw std::runtime_error("boom-from-task"); });
    ex.post([] { throw 42; });  // not a std::exception: still caught
    ex.post([&] { ran.fetch_add(1); });
  }
  ex.wait_idle();
  CHECK(ran.load() == 50);
  CHECK(logs.count(log_level::error) == 100);
  CHECK(logs.count_containing("boom-from-task") == 50);

  // Both workers are still alive: two tasks can still be inside at once.
  parallelism_probe probe;
  for (int i = 0; i < 2; ++i) ex.post([&probe] { probe.enter(); });
  CHECK(wait_until([&] { return probe.inside.load() == 2; }));
  probe.release = true;
  ex.wait_idle();
}

TEST_CASE("shutdown drains tasks that post further tasks") {
  std::atomic<int> ran{0};
  executor ex(executor_options{.concurrency = 2});
  ex.post([&] { fan_out(ex, ran, 10); });
  ex.shutdown();  // no wait_idle first: shutdown itself must drain the whole tree
  CHECK(ran.load() == 2047);
  ex.shutdown();  // idempotent
  CHECK(ran.load() == 2047);
}

TEST_CASE("the destructor drains like shutdown") {
  std::atomic<int> ran{0};
  {
    executor ex(executor_options{.concurrency = 2});
    ex.post([&] { fan_out(ex, ran, 8); });
  }
  CHECK(ran.load() == 511);
}

TEST_CASE("shutdown from another thread while producers inside the pool keep posting") {
  std::atomic<int> ran{0};
  executor ex(executor_options{.concurrency = 2});
  // Long chains: each task posts its successor, so the pool is never idle before the end.
  for (int chain = 0; chain < 4; ++chain) {
    ex.post([&ex, &ran] {
      struct step {
        static void run(executor& e, std::atomic<int>& r, int left) {
          r.fetch_add(1);
          if (left > 0) e.post([&e, &r, left] { run(e, r, left - 1); });
        }
      };
      step::run(ex, ran, 2000);
    });
  }
  std::thread stopper([&] { ex.shutdown(); });
  stopper.join();
  CHECK(ran.load() == 4 * 2001);
}

}  // TEST_SUITE
