// waiter on plain threads (fibers: see test_fiber.cpp): notify before/after wait, from
// other threads, timeouts, and "only the first of notify / timeout counts".

#include "support.hpp"

#include <troupe/framework/executor.hpp>
#include <troupe/framework/waiter.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

using namespace troupe::framework;
using namespace troupe_test;

TEST_SUITE("waiter") {

TEST_CASE("notify before wait: wait returns at once") {
  waiter w;
  CHECK_FALSE(w.notified());
  CHECK(w.notify());
  CHECK(w.notified());
  w.wait();  // would hang if the early notify were lost
  const auto t0 = steady::now();
  CHECK(w.wait_for(10s) == wait_result::notified);
  CHECK(steady::now() - t0 < 5s);
}

TEST_CASE("only the first notify counts") {
  waiter w;
  CHECK(w.notify());
  CHECK_FALSE(w.notify());
  CHECK_FALSE(w.notify());
  CHECK(w.notified());

  // Racing notifiers: exactly one wins, every time.
  int wrong = 0;
  for (int round = 0; round < 200; ++round) {
    waiter r;
    std::atomic<int> winners{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) ts.emplace_back([r, &winners] { winners.fetch_add(r.notify()); });
    for (auto& t : ts) t.join();
    r.wait();
    wrong += winners.load() != 1;
  }
  CHECK(wrong == 0);
}

TEST_CASE("copies share one state") {
  waiter a;
  waiter b = a;
  CHECK(b.notify());
  CHECK(a.notified());
  CHECK_FALSE(a.notify());
  a.wait();
}

TEST_CASE("notify from another thread wakes a waiting thread") {
  // Immediately (races the wait) and after a delay (the thread is surely asleep by then).
  for (int round = 0; round < 100; ++round) {
    waiter w;
    std::thread t([w, round] {
      if (round == 0) std::this_thread::sleep_for(20ms);
      w.notify();
    });
    w.wait();
    t.join();
    CHECK(w.notified());
  }
  waiter w;
  std::thread t([w] { w.notify(); });
  CHECK(w.wait_for(10s) == wait_result::notified);
  t.join();
}

TEST_CASE("wait_until times out at the deadline and a later notify does not count") {
  waiter w;
  const auto deadline = steady::now() + 30ms;
  CHECK(w.wait_until(deadline) == wait_result::timed_out);
  CHECK(steady::now() >= deadline);
  CHECK_FALSE(w.notify());  // the timeout came first
}

TEST_CASE("wait_until with a past deadline returns at once") {
  waiter w;
  CHECK(w.wait_until(steady::now() - 1s) == wait_result::timed_out);
  waiter n;
  n.notify();
  CHECK(n.wait_until(steady::now() - 1s) == wait_result::notified);
}

TEST_CASE("notify racing a timeout: exactly one of them counts") {
  int disagree = 0, notified = 0;
  for (int round = 0; round < 300; ++round) {
    waiter w;
    std::atomic<int> won{-1};
    std::thread t([w, &won] {
      std::this_thread::sleep_for(1ms);
      won = w.notify() ? 1 : 0;
    });
    const auto r = w.wait_for(1ms);
    t.join();
    notified += r == wait_result::notified;
    // The notifier "won" exactly when the wait reports notified.
    disagree += (r == wait_result::notified) != (won.load() == 1);
  }
  CHECK(disagree == 0);
  MESSAGE(notified << " of 300 races were won by notify");
}

TEST_CASE("a late notify after the waiter is gone is harmless") {
  std::optional<waiter> keep;
  {
    waiter w;
    keep = w;
    CHECK(w.wait_for(1ms) == wait_result::timed_out);
  }
  CHECK_FALSE(keep->notify());
  keep.reset();
}

TEST_CASE("a task blocked in wait blocks its worker thread and is woken from another") {
  // Not a fiber: a plain task that waits holds its worker (documented), the other runs on.
  executor ex(executor_options{.concurrency = 2});
  std::atomic<bool> published{false};
  std::optional<waiter> slot;
  std::atomic<int> result{-1};
  ex.post([&] {
    waiter w;
    slot = w;
    published.store(true, std::memory_order_release);
    result = w.wait_for(20s) == wait_result::notified ? 1 : 0;
  });
  REQUIRE(wait_until([&] { return published.load(std::memory_order_acquire); }));
  std::atomic<bool> other_ran{false};
  ex.post([&] { other_ran = true; });
  CHECK(wait_until([&] { return other_ran.load(); }));
  slot->notify();
  CHECK(wait_until([&] { return result.load() == 1; }));
  ex.wait_idle();
}

}  // TEST_SUITE
