// fibers: suspend without holding a worker, resume anywhere, many at once, cancellation.

#include "support.hpp"

#include <troupe/framework/executor.hpp>
#include <troupe/framework/fiber.hpp>
#include <troupe/framework/reactor.hpp>
#include <troupe/framework/runtime.hpp>
#include <troupe/framework/waiter.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace troupe::framework;
using namespace troupe_test;

namespace {

runtime_options with_workers(int n, fiber_options fibers = {}) {
  runtime_options o;
  o.executor.concurrency = n;
  o.fibers = fibers;
  return o;
}

// A counting semaphore for fibers, built the way messaging's blocking calls will be: a queue
// of waiters under a mutex, each blocked side parked on its own waiter.
class fiber_semaphore {
public:
  void release() {
    std::unique_lock lock(m_);
    if (waiting_.empty()) {
      ++count_;
      return;
    }
    waiter w = waiting_.front();
    waiting_.pop_front();
    lock.unlock();
    w.notify();
  }
  void acquire() {
    std::unique_lock lock(m_);
    if (count_ > 0) {
      --count_;
      return;
    }
    waiter w;
    waiting_.push_back(w);
    lock.unlock();
    w.wait();
  }

private:
  std::mutex m_;
  int count_ = 0;
  std::deque<waiter> waiting_;
};

// Where a blocked fiber's waiter is handed to its waker.
struct parked {
  std::optional<waiter> w;
  std::atomic<bool> ready{false};

  void park_here() {
    w.emplace();
    ready.store(true, std::memory_order_release);
    w->wait();
  }
  bool wait_ready() {
    return wait_until([&] { return ready.load(std::memory_order_acquire); });
  }
};

}  // namespace

TEST_SUITE("fiber") {

TEST_CASE("a fiber runs on a worker and knows it") {
  runtime rt(with_workers(2));
  std::atomic<int> inside{-1};
  std::atomic<executor*> exec{nullptr};
  rt.spawn([&] {
    inside = this_fiber::inside() ? 1 : 0;
    exec = executor::current();
  });
  rt.fibers().wait_all();
  CHECK(inside.load() == 1);
  CHECK(exec.load() == &rt.exec());
  CHECK_FALSE(this_fiber::inside());

  std::atomic<int> in_task{-1};
  rt.post([&] { in_task = this_fiber::inside() ? 1 : 0; });
  rt.exec().wait_idle();
  CHECK(in_task.load() == 0);
  CHECK(&rt.fibers().exec() == &rt.exec());
  CHECK(&rt.fibers().io() == &rt.io());
}

TEST_CASE("a fiber suspended on one worker resumes on another") {
  // The fiber parks on worker X. A blocker task then takes a worker and holds it until the
  // fiber is done; when the blocker landed on X, the resume can only go to the other worker.
  // When it landed elsewhere, try again (bounded).
  runtime rt(with_workers(2));
  bool moved = false, forced = false;
  int attempts = 0;
  const auto give_up = steady::now() + 15s;
  while (!forced && attempts < 500 && steady::now() < give_up) {
    ++attempts;
    struct shared {
      parked p;
      std::thread::id before, after, blocker;
      std::atomic<bool> done{false};
      std::atomic<bool> blocker_in{false};
      std::atomic<bool> blocker_done{false};
    };
    auto s = std::make_shared<shared>();
    rt.spawn([s] {
      s->before = this_thread_id();
      s->p.park_here();
      s->after = this_thread_id();
      s->done.store(true, std::memory_order_release);
    });
    REQUIRE(s->p.wait_ready());
    rt.post([s] {
      s->blocker = this_thread_id();
      s->blocker_in.store(true, std::memory_order_release);
      wait_until([&] { return s->done.load(std::memory_order_acquire); }, 10s);
      s->blocker_done = true;
    });
    REQUIRE(wait_until([&] { return s->blocker_in.load(std::memory_order_acquire); }));
    s->p.w->notify();
    REQUIRE(wait_until([&] { return s->done.load(std::memory_order_acquire); }));
    REQUIRE(wait_until([&] { return s->blocker_done.load(); }));
    moved = moved || s->before != s->after;
    forced = s->blocker == s->before;
    if (forced) CHECK(s->after != s->before);
  }
  MESSAGE("blocker landed on the fiber's first worker after " << attempts << " attempts");
  CHECK(forced);
  CHECK(moved);
}

TEST_CASE("a blocked fiber does not occupy a worker") {
  runtime rt(with_workers(1));  // one worker: a fiber holding it would starve its waker
  std::atomic<bool> done{false};
  std::optional<waiter> escape;  // unblocks the fiber if the test fails
  std::atomic<bool> published{false};
  rt.spawn([&] {
    waiter w;
    escape = w;
    published.store(true, std::memory_order_release);
    rt.post([w] { w.notify(); });  // can only run once the fiber gives the worker back
    w.wait();
    done = true;
  });
  const bool ok = wait_until([&] { return done.load(); }, 10s);
  CHECK(ok);
  if (!ok && published.load(std::memory_order_acquire)) escape->notify();
  rt.fibers().wait_all();
}

TEST_CASE("100 fibers blocked on one worker are woken by a plain task") {
  runtime rt(with_workers(1));
  constexpr int count = 100;
  std::vector<parked> ps(count);
  std::atomic<int> done{0};
  for (auto& p : ps)
    rt.spawn([&p, &done] {
      p.park_here();
      done.fetch_add(1);
    });
  CHECK(wait_until([&] {
    for (auto& p : ps)
      if (!p.ready.load(std::memory_order_acquire)) return false;
    return true;
  }));
  CHECK(rt.fibers().live() == count);
  rt.post([&] {
    for (auto& p : ps) p.w->notify();
  });
  rt.fibers().wait_all();
  CHECK(done.load() == count);
  CHECK(rt.fibers().live() == 0);
}

TEST_CASE("10000 fibers alive at once") {
  constexpr int count = under_tsan ? 1'000 : 10'000;  // see under_tsan
  fiber_options fo;
  fo.stack_size = 32 * 1024;
  fo.guard_page = true;  // also makes each stack visible in /proc/self/maps (see below)
  fo.max_cached_stacks = count / 10;
  runtime rt(with_workers(2, fo));
  CHECK(rt.fibers().options().stack_size == fo.stack_size);
  CHECK(rt.fibers().options().max_cached_stacks == fo.max_cached_stacks);

  const auto guards_before = guard_page_mappings();
  std::vector<parked> ps(count);
  std::atomic<int> done{0};
  std::atomic<int> on_fiber{0};
  for (auto& p : ps)
    rt.spawn([&p, &done, &on_fiber] {
      on_fiber.fetch_add(this_fiber::inside());
      p.park_here();
      done.fetch_add(1);
    });
  CHECK(wait_until([&] {
    for (auto& p : ps)
      if (!p.ready.load(std::memory_order_acquire)) return false;
    return true;
  }));
  CHECK(rt.fibers().live() == count);
  // Every live fiber holds its own guarded stack.
  const auto guards_peak = guard_page_mappings();
  CHECK(guards_peak - guards_before >= count);

  // Wake them from two threads at once.
  std::thread other([&] {
    for (std::size_t i = 0; i < ps.size(); i += 2) ps[i].w->notify();
  });
  for (std::size_t i = 1; i < ps.size(); i += 2) ps[i].w->notify();
  other.join();
  rt.fibers().wait_all();
  CHECK(done.load() == count);
  CHECK(on_fiber.load() == count);
  CHECK(rt.fibers().live() == 0);

  // Stacks beyond max_cached_stacks go back to the system once their fibers end (a little
  // slack for thread stacks created meanwhile).
  CAPTURE(guards_before);
  CAPTURE(guards_peak);
  CHECK(wait_until([&] { return guard_page_mappings() <= guards_before + fo.max_cached_stacks + 16; }, 5s));
}

TEST_CASE("a fiber's stack has the configured size") {
  fiber_options fo;
  fo.stack_size = 128 * 1024;
  runtime rt(with_workers(1, fo));
  std::atomic<int> sum{0};
  rt.spawn([&] {
    // About 96 KiB of locals: would fault on the default 64 KiB stack with a guard page.
    volatile char big[96 * 1024];
    for (std::size_t i = 0; i < sizeof big; i += 512) big[i] = static_cast<char>(i / 512);
    int s = 0;
    for (std::size_t i = 0; i < sizeof big; i += 512) s += big[i];
    sum = s;
  });
  rt.fibers().wait_all();
  int expected = 0;
  for (std::size_t i = 0; i < 96 * 1024; i += 512) expected += static_cast<char>(i / 512);
  CHECK(sum.load() == expected);
}

TEST_CASE("this_fiber::yield lets other work run on the same worker") {
  runtime rt(with_workers(1));
  std::atomic<bool> task_ran{false};
  std::atomic<int> seen{-1};
  rt.spawn([&] {
    rt.post([&] { task_ran = true; });
    // With one worker the task can only run while this fiber is yielding.
    int spins = 0;
    while (!task_ran.load() && spins < 100'000) {
      this_fiber::yield();
      ++spins;
    }
    seen = task_ran.load() ? 1 : 0;
  });
  rt.fibers().wait_all();
  CHECK(seen.load() == 1);
}

TEST_CASE("two fibers ping-pong through waiters many times") {
  runtime rt(with_workers(2));
  constexpr int rounds = 2000;
  constexpr int pairs = 3;
  std::vector<fiber_semaphore> ping(pairs), pong(pairs);
  std::atomic<int> a_done{0}, b_done{0};
  std::atomic<int> wrong{0};
  std::vector<int> counter(pairs, 0);  // plain: only one side touches it at a time
  for (std::size_t p = 0; p < pairs; ++p) {
    int* c = &counter[p];
    fiber_semaphore* pi = &ping[p];
    fiber_semaphore* po = &pong[p];
    rt.spawn([c, pi, po, &wrong, &a_done] {
      for (int i = 0; i < rounds; ++i) {
        if (*c != 2 * i) wrong.fetch_add(1);
        ++*c;
        pi->release();
        po->acquire();
      }
      a_done.fetch_add(1);
    });
    rt.spawn([c, pi, po, &wrong, &b_done] {
      for (int i = 0; i < rounds; ++i) {
        pi->acquire();
        if (*c != 2 * i + 1) wrong.fetch_add(1);
        ++*c;
        po->release();
      }
      b_done.fetch_add(1);
    });
  }
  // Also a thread that takes part: a plain thread blocking on the same kind of waiter.
  fiber_semaphore to_thread, to_fiber;
  std::atomic<int> thread_rounds{0};
  rt.spawn([&] {
    for (int i = 0; i < 200; ++i) {
      to_thread.release();
      to_fiber.acquire();
    }
  });
  std::thread t([&] {
    for (int i = 0; i < 200; ++i) {
      to_thread.acquire();
      thread_rounds.fetch_add(1);
      to_fiber.release();
    }
  });
  t.join();
  rt.fibers().wait_all();
  CHECK(a_done.load() == pairs);
  CHECK(b_done.load() == pairs);
  CHECK(wrong.load() == 0);
  CHECK(thread_rounds.load() == 200);
  for (int c : counter) CHECK(c == 2 * rounds);
}

TEST_CASE("wait_for times out in a fiber and is notified in a fiber") {
  runtime rt(with_workers(2));
  std::atomic<int> timed_out{-1};
  std::atomic<bool> early{true};
  rt.spawn([&] {
    waiter w;
    const auto deadline = steady::now() + 20ms;
    timed_out = w.wait_until(deadline) == wait_result::timed_out ? 1 : 0;
    early = steady::now() < deadline;
  });
  parked p;
  std::atomic<int> notified{-1};
  rt.spawn([&] {
    p.w.emplace();
    p.ready.store(true, std::memory_order_release);
    notified = p.w->wait_for(20s) == wait_result::notified ? 1 : 0;
  });
  REQUIRE(p.wait_ready());
  p.w->notify();
  rt.fibers().wait_all();
  CHECK(timed_out.load() == 1);
  CHECK_FALSE(early.load());
  CHECK(notified.load() == 1);

  // Past deadline on a fiber: at once.
  std::atomic<int> past{-1};
  rt.spawn([&] {
    waiter w;
    past = w.wait_until(steady::now() - 1s) == wait_result::timed_out ? 1 : 0;
  });
  rt.fibers().wait_all();
  CHECK(past.load() == 1);
}

TEST_CASE("a notified wait_for does not leave its timer behind") {
  // CONTRACT PROBE: 1000 fibers wait up to an hour and are notified at once. If the timeout
  // timers stayed live after the wake-up, every timed receive would leave a timer for its
  // full timeout.
  runtime rt(with_workers(2));
  const auto base = rt.io().timer_count();
  constexpr int count = under_tsan ? 200 : 1000;
  std::vector<parked> ps(count);
  std::atomic<int> notified{0};
  for (auto& p : ps)
    rt.spawn([&p, &notified] {
      p.w.emplace();
      p.ready.store(true, std::memory_order_release);
      notified.fetch_add(p.w->wait_for(std::chrono::hours(1)) == wait_result::notified);
    });
  CHECK(wait_until([&] {
    for (auto& p : ps)
      if (!p.ready.load(std::memory_order_acquire)) return false;
    return true;
  }));
  for (auto& p : ps) p.w->notify();
  rt.fibers().wait_all();
  CHECK(notified.load() == count);
  CHECK(wait_until([&] { return rt.io().timer_count() == base; }, 5s));
}

TEST_CASE("many fibers timing out together") {
  runtime rt(with_workers(2));
  std::atomic<int> timed_out{0};
  constexpr int count = under_tsan ? 100 : 500;
  for (int i = 0; i < count; ++i)
    rt.spawn([&, i] {
      waiter w;
      timed_out.fetch_add(w.wait_for(std::chrono::milliseconds(1 + i % 20)) == wait_result::timed_out);
    });
  rt.fibers().wait_all();
  CHECK(timed_out.load() == count);
}

TEST_CASE("cancel_all makes blocked fibers throw fiber_cancelled and unwinds their stacks") {
  runtime rt(with_workers(2));
  constexpr int count = 20;
  std::atomic<int> unwound{0}, caught{0}, blocked{0}, after_wait{0};
  for (int i = 0; i < count; ++i)
    rt.spawn([&, i] {
      destruction_counter guard{&unwound};
      waiter w;
      blocked.fetch_add(1);
      try {
        if (i % 2) {
          w.wait();
        } else {
          w.wait_for(std::chrono::hours(1));  // timed waits are cancelled too
        }
        after_wait.fetch_add(1);
      } catch (const fiber_cancelled&) {
        caught.fetch_add(1);
        throw;  // do not swallow it
      }
    });
  REQUIRE(wait_until([&] { return blocked.load() == count; }));
  CHECK(rt.fibers().live() == count);

  rt.fibers().cancel_all();
  // cancel_all has waited: everything below is already final.
  CHECK(caught.load() == count);
  CHECK(unwound.load() == count);
  CHECK(after_wait.load() == 0);
  CHECK(rt.fibers().live() == 0);

  CHECK_THROWS_AS(rt.spawn([] {}), std::logic_error);
  rt.fibers().cancel_all();  // idempotent

  // The pool itself keeps working for plain tasks.
  std::atomic<bool> ran{false};
  rt.post([&] { ran = true; });
  rt.exec().wait_idle();
  CHECK(ran.load());
}

TEST_CASE("a fiber that blocks after cancel_all began throws at once") {
  runtime rt(with_workers(2));
  std::atomic<bool> go{false}, running{false};
  std::atomic<int> caught{0}, unwound{0};
  parked escape;  // the fiber's waiter, so a failing test can still end
  rt.spawn([&] {
    destruction_counter guard{&unwound};
    running = true;
    // Busy (not blocked) while cancel_all starts. No blocking call here on purpose.
    wait_until([&] { return go.load(); });
    try {
      escape.park_here();
    } catch (const fiber_cancelled&) {
      caught.fetch_add(1);
      throw;
    }
  });
  REQUIRE(wait_until([&] { return running.load(); }));

  std::atomic<bool> cancel_returned{false};
  std::thread canceller([&] {
    rt.fibers().cancel_all();
    cancel_returned = true;
  });
  // cancel_all has begun once spawning is refused.
  const bool refused = wait_until([&] {
    try {
      rt.spawn([] {});
      return false;
    } catch (const std::logic_error&) {
      return true;
    }
  });
  CHECK(refused);
  go = true;
  const bool returned = wait_until([&] { return cancel_returned.load(); }, 10s);
  CHECK(returned);
  if (!returned && escape.ready.load()) escape.w->notify();  // let the test end anyway
  canceller.join();
  CHECK(caught.load() == 1);
  CHECK(unwound.load() == 1);
}

TEST_CASE("an exception escaping a fiber is logged and fiber_cancelled is not") {
  log_capture logs;
  runtime rt(with_workers(2));
  rt.spawn([] { throw std::runtime_error("fiber-oops"); });
  rt.spawn([] { throw fiber_cancelled(); });
  rt.fibers().wait_all();
  CHECK(logs.count_containing("fiber-oops") == 1);
  CHECK(logs.count(log_level::error) == 1);

  std::atomic<bool> ran{false};
  rt.spawn([&] { ran = true; });
  rt.fibers().wait_all();
  CHECK(ran.load());
}

TEST_CASE("a scheduler on its own executor and reactor cancels its fibers when destroyed") {
  executor ex(executor_options{.concurrency = 2});
  reactor io(ex);
  std::atomic<int> unwound{0}, caught{0};
  {
    std::vector<parked> ps(10);  // outlives the scheduler: its fibers wait on these
    fiber_scheduler fs(ex, io);
    CHECK(&fs.exec() == &ex);
    CHECK(&fs.io() == &io);
    for (auto& p : ps)
      fs.spawn([&p, &unwound, &caught] {
        destruction_counter guard{&unwound};
        try {
          p.park_here();
        } catch (const fiber_cancelled&) {
          caught.fetch_add(1);
          throw;
        }
      });
    CHECK(wait_until([&] {
      for (auto& p : ps)
        if (!p.ready.load(std::memory_order_acquire)) return false;
      return true;
    }));
    CHECK(fs.live() == 10);
  }  // ~fiber_scheduler: cancels and waits
  CHECK(caught.load() == 10);
  CHECK(unwound.load() == 10);
  io.stop();
  ex.wait_idle();
}

TEST_CASE("fibers spawned from fibers and from tasks") {
  runtime rt(with_workers(2));
  std::atomic<int> ran{0};
  rt.spawn([&] {
    for (int i = 0; i < 50; ++i) rt.spawn([&] { ran.fetch_add(1); });
  });
  rt.post([&] {
    for (int i = 0; i < 50; ++i) rt.spawn([&] { ran.fetch_add(1); });
  });
  CHECK(wait_until([&] { return ran.load() == 100; }));
  rt.fibers().wait_all();
  CHECK(rt.fibers().live() == 0);
}

}  // TEST_SUITE
