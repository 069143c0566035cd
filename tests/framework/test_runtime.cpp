// runtime: the deterministic stop (fibers, then reactor, then queued tasks), idempotence,
// nothing left behind (LSan checks the rest), and an idle runtime costs no CPU.

#include "support.hpp"

#include <troupe/framework/runtime.hpp>
#include <troupe/framework/waiter.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

using namespace troupe::framework;
using namespace troupe_test;

namespace {

runtime_options with_workers(int n) {
  runtime_options o;
  o.executor.concurrency = n;
  return o;
}

void fan_out(runtime& rt, std::atomic<int>& ran, int depth) {
  ran.fetch_add(1, std::memory_order_relaxed);
  if (depth == 0) return;
  for (int i = 0; i < 2; ++i) rt.post([&rt, &ran, depth] { fan_out(rt, ran, depth - 1); });
}

}  // namespace

TEST_SUITE("runtime") {

TEST_CASE("stop is idempotent and the destructor after stop is harmless") {
  runtime rt(with_workers(2));
  std::atomic<bool> ran{false};
  rt.post([&] { ran = true; });
  rt.stop();
  CHECK(ran.load());
  rt.stop();
  rt.stop();
  CHECK(rt.exec().outstanding() == 0);
}

TEST_CASE("a default runtime starts and stops") {
  runtime rt;
  CHECK(rt.exec().concurrency() >= 1);
  std::atomic<bool> ran{false};
  rt.spawn([&] { ran = true; });
  rt.fibers().wait_all();
  rt.stop();
  CHECK(ran.load());
}

TEST_CASE("stop drains pending work including work posted while draining") {
  runtime rt(with_workers(2));
  std::atomic<int> ran{0};
  rt.post([&] { fan_out(rt, ran, 10); });
  rt.stop();
  CHECK(ran.load() == 2047);
}

TEST_CASE("stop with blocked fibers and live timers and watches ends them all in order") {
  runtime rt(with_workers(2));
  constexpr int fibers = 100;
  constexpr int timers = 1000;
  constexpr int watches = 10;

  std::vector<unique_fd> fds;
  std::vector<io_watch_handle> handles;
  for (int i = 0; i < watches; ++i) {
    fds.push_back(make_eventfd());
    const int fd = fds.back().get();
    handles.push_back(rt.io().watch(fd, io_events::readable, [fd](io_events) { eventfd_drain(fd); }));
  }
  std::atomic<int> timer_fired{0};
  std::vector<timer> timer_handles;
  for (int i = 0; i < timers; ++i)
    timer_handles.push_back(rt.io().after(std::chrono::hours(1), [&] { timer_fired.fetch_add(1); }));
  std::atomic<int> ticks{0};
  rt.io().every(1ms, [&] { ticks.fetch_add(1); });  // handle dropped: lives until stop

  // Fibers blocked in wait() and in a timed wait; on cancellation each records what it can
  // still see (stop cancels fibers first, while watches and timers still exist) and posts a
  // task, which stop must still run (queued tasks are drained last).
  std::atomic<int> blocked{0}, unwound{0}, caught{0}, saw_watches{0}, saw_timers{0};
  std::atomic<int> posted_ran{0};
  for (int i = 0; i < fibers; ++i)
    rt.spawn([&, i] {
      destruction_counter guard{&unwound};
      waiter w;
      blocked.fetch_add(1);
      try {
        if (i % 2) {
          w.wait();
        } else {
          w.wait_for(std::chrono::hours(1));
        }
      } catch (const fiber_cancelled&) {
        caught.fetch_add(1);
        saw_watches.fetch_add(rt.io().watch_count() == watches);
        saw_timers.fetch_add(rt.io().timer_count() >= timers + 1);
        rt.post([&] { posted_ran.fetch_add(1); });
        throw;
      }
    });
  REQUIRE(wait_until([&] { return blocked.load() == fibers && ticks.load() >= 3; }));

  rt.stop();
  CHECK(caught.load() == fibers);
  CHECK(unwound.load() == fibers);
  CHECK(saw_watches.load() == fibers);
  CHECK(saw_timers.load() == fibers);
  CHECK(posted_ran.load() == fibers);
  CHECK(rt.fibers().live() == 0);
  CHECK(rt.io().timer_count() == 0);
  CHECK(rt.io().watch_count() == 0);
  CHECK(rt.exec().outstanding() == 0);
  CHECK(timer_fired.load() == 0);

  // After stop nothing of the runtime runs.
  const int ticks_at_stop = ticks.load();
  for (auto& f : fds) eventfd_add(f.get(), 1);
  int inactive = 0;
  for (auto& t : timer_handles) inactive += !t.active();
  CHECK(inactive == timers);
  CHECK(ticks.load() == ticks_at_stop);

  rt.stop();  // idempotent
  // The handles die here, after stop and before the runtime: harmless.
}

TEST_CASE("stop cancels fibers that are busy or sleeping in timed waits or queued") {
  runtime rt(with_workers(2));
  constexpr int count = 40;
  std::atomic<int> unwound{0}, started{0};
  for (int i = 0; i < count; ++i)
    rt.spawn([&] {
      destruction_counter guard{&unwound};
      started.fetch_add(1);
      for (;;) {  // only a blocking call can end this loop: cancellation must reach it
        waiter w;
        w.wait_for(1ms);
        this_fiber::yield();
      }
    });
  REQUIRE(wait_until([&] { return started.load() >= count / 2; }));
  rt.stop();
  CHECK(unwound.load() == started.load());
  CHECK(rt.fibers().live() == 0);
}

TEST_CASE("the destructor stops a busy runtime") {
  std::atomic<int> unwound{0};
  std::atomic<int> blocked{0};
  {
    runtime rt(with_workers(2));
    for (int i = 0; i < 10; ++i)
      rt.spawn([&] {
        destruction_counter guard{&unwound};
        waiter w;
        blocked.fetch_add(1);
        w.wait();
      });
    rt.io().every(1ms, [] {});
    rt.io().after(std::chrono::hours(1), [] {});
    REQUIRE(wait_until([&] { return blocked.load() == 10; }));
  }
  CHECK(unwound.load() == 10);
}

TEST_CASE("handles that outlive the runtime can still be dropped and cancelled") {
  // CONTRACT PROBE: a timer or watch handle kept in an object that lives longer than the
  // runtime (a global, a struct member declared before it). ASan reports it if the handle
  // touches the freed reactor.
  std::optional<timer> t;
  io_watch_handle h;
  auto fd = make_eventfd();
  {
    runtime rt(with_workers(1));
    t = rt.io().after(std::chrono::hours(1), [] {});
    h = rt.io().watch(fd.get(), io_events::readable, [](io_events) {});
  }
  CHECK_FALSE(t->active());
  CHECK_FALSE(t->cancel());
  h.remove();
  t.reset();
}

TEST_CASE("an idle runtime uses almost no CPU") {
  runtime rt(with_workers(2));
  // Idle but not empty: a watch, a far timer and a blocked fiber.
  auto fd = make_eventfd();
  auto h = rt.io().watch(fd.get(), io_events::readable, [f = fd.get()](io_events) { eventfd_drain(f); });
  auto far = rt.io().after(std::chrono::hours(1), [] {});
  std::atomic<bool> blocked{false};
  std::optional<waiter> parked;
  rt.spawn([&] {
    waiter w;
    parked = w;
    blocked.store(true, std::memory_order_release);
    w.wait();
  });
  REQUIRE(wait_until([&] { return blocked.load(std::memory_order_acquire); }));
  // Some work first, so the workers have been awake and must go back to sleep.
  std::atomic<int> ran{0};
  for (int i = 0; i < 1000; ++i) rt.post([&] { ran.fetch_add(1); });
  rt.exec().wait_idle();
  std::this_thread::sleep_for(100ms);  // let spinning workers park (measurement set-up)

  const auto cpu0 = process_cpu_time();
  const auto wall0 = steady::now();
  std::this_thread::sleep_for(500ms);  // the measurement window
  const auto cpu = process_cpu_time() - cpu0;
  const auto wall = steady::now() - wall0;
  const auto cpu_ms = std::chrono::duration_cast<std::chrono::milliseconds>(cpu).count();
  const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wall).count();
  MESSAGE("idle runtime: " << cpu_ms << " ms CPU over " << wall_ms << " ms");
  CHECK(cpu_ms * 20 < wall_ms);  // under 5% of one core

  parked->notify();
  rt.stop();
  CHECK(ran.load() == 1000);
}

}  // TEST_SUITE
