// timers: ordering, cancellation, periodic timers, many live timers.

#include "support.hpp"

#include <troupe/framework/executor.hpp>
#include <troupe/framework/reactor.hpp>
#include <troupe/framework/timer.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace troupe::framework;
using namespace troupe_test;

namespace {

// Executor + reactor, torn down in the documented order.
struct io_fixture {
  executor ex;
  reactor io;
  explicit io_fixture(int concurrency = 2) : ex(executor_options{.concurrency = concurrency}), io(ex) {}
  ~io_fixture() {
    io.stop();
    ex.wait_idle();
  }
};

// Fires a one-shot timer at a later deadline and waits for it: every timer due earlier has had
// its chance to fire by then (they are all turned into tasks before it).
bool wait_for_sentinel(reactor& io, std::chrono::milliseconds delay) {
  std::atomic<bool> fired{false};
  io.after(delay, [&] { fired = true; });
  const bool ok = wait_until([&] { return fired.load(); });
  io.exec().wait_idle();
  return ok;
}

}  // namespace

TEST_SUITE("timer") {

TEST_CASE("timers with increasing delays fire in order and never early") {
  // One worker, so callbacks cannot overtake each other on two threads. Deadlines 10 ms
  // apart, created in shuffled order, so the reactor has to sort them.
  io_fixture f(1);
  constexpr int count = 30;
  std::vector<int> order_of_creation(count);
  std::iota(order_of_creation.begin(), order_of_creation.end(), 0);
  std::shuffle(order_of_creation.begin(), order_of_creation.end(), std::mt19937(42));

  std::mutex m;
  std::vector<int> fired;
  std::atomic<int> early{0};
  // Deadlines from one base, not from each timer's creation: a creation loop preempted for
  // more than 10 ms (TSan on a loaded machine did it) would otherwise make the deadlines
  // themselves out of order.
  const auto base = steady::now();
  for (int i : order_of_creation) {
    const auto deadline = base + std::chrono::milliseconds(10 * (i + 1));
    const auto delay = std::max(steady::duration::zero(), deadline - steady::now());
    f.io.after(std::chrono::duration_cast<std::chrono::milliseconds>(delay) + std::chrono::milliseconds(1), [&, i, deadline] {
      if (steady::now() < deadline) early.fetch_add(1);
      std::lock_guard lock(m);
      fired.push_back(i);
    });
  }
  CHECK(wait_until([&] {
    std::lock_guard lock(m);
    return fired.size() == count;
  }));
  std::lock_guard lock(m);
  CAPTURE(fired);
  CHECK(std::is_sorted(fired.begin(), fired.end()));
  CHECK(early.load() == 0);
}

TEST_CASE("no timer fires before its deadline") {
  // Deadlines 0-49 ms, ten per millisecond: the reactor keeps waking for one of them while
  // others are due a moment later, and must leave those alone.
  io_fixture f;
  constexpr int count = 500;
  std::atomic<int> fired{0}, early{0};
  for (int i = 0; i < count; ++i) {
    const auto delay = std::chrono::milliseconds(i % 50);
    const auto created = steady::now();
    f.io.after(delay, [&, delay, created] {
      if (steady::now() < created + delay) early.fetch_add(1);
      fired.fetch_add(1);
    });
  }
  CHECK(wait_until([&] { return fired.load() == count; }));
  CHECK(early.load() == 0);
}

TEST_CASE("at fires at its deadline") {
  io_fixture f;
  std::atomic<bool> fired{false};
  std::atomic<bool> early{false};
  const auto deadline = steady::now() + 30ms;
  auto t = f.io.at(deadline, [&] {
    early = steady::now() < deadline;
    fired = true;
  });
  CHECK(t.active());
  CHECK(wait_until([&] { return fired.load(); }));
  CHECK_FALSE(early.load());
  CHECK(wait_until([&] { return !t.active(); }));
}

TEST_CASE("a zero delay timer fires") {
  io_fixture f;
  std::atomic<bool> fired{false};
  f.io.after(0ms, [&] { fired = true; });
  CHECK(wait_until([&] { return fired.load(); }));
  CHECK(wait_until([&] { return f.io.timer_count() == 0; }));
}

TEST_CASE("a cancelled timer never fires and cancel returns true only once") {
  io_fixture f;
  constexpr int count = 200;
  std::vector<std::atomic<int>> fired(count);
  std::vector<timer> timers;
  for (int i = 0; i < count; ++i)
    timers.push_back(f.io.after(20ms, [&fired, i] { fired[static_cast<std::size_t>(i)].fetch_add(1); }));
  CHECK(f.io.timer_count() == count);

  int first_true = 0, second_false = 0, inactive = 0;
  for (int i = 0; i < count; i += 2) {
    first_true += timers[static_cast<std::size_t>(i)].cancel();
    second_false += !timers[static_cast<std::size_t>(i)].cancel();
    inactive += !timers[static_cast<std::size_t>(i)].active();
  }
  CHECK(first_true == count / 2);
  CHECK(second_false == count / 2);
  CHECK(inactive == count / 2);
  CHECK(f.io.timer_count() == count / 2);

  // The others fire; once a later timer has fired too, the cancelled ones had their chance.
  REQUIRE(wait_for_sentinel(f.io, 60ms));
  int wrong = 0;
  for (int i = 0; i < count; ++i) wrong += fired[static_cast<std::size_t>(i)].load() != (i % 2 ? 1 : 0);
  CHECK(wrong == 0);
  CHECK(f.io.timer_count() == 0);

  // Cancelling after the timer fired stops nothing.
  int after_fire = 0;
  for (int i = 1; i < count; i += 2) after_fire += timers[static_cast<std::size_t>(i)].cancel();
  CHECK(after_fire == 0);
}

TEST_CASE("random cancels from two threads leave exactly the others to fire") {
  // Cancels hit arbitrary heap positions (not just the top), from two threads at once.
  io_fixture f;
  constexpr int count = 20'000;
  std::vector<std::atomic<int>> fired(count);
  std::atomic<int> total{0};
  std::mt19937 rng(7);
  std::vector<timer> timers;
  for (int i = 0; i < count; ++i)
    timers.push_back(f.io.after(std::chrono::milliseconds(20 + rng() % 40), [&fired, &total, i] {
      fired[static_cast<std::size_t>(i)].fetch_add(1);
      total.fetch_add(1);
    }));
  std::vector<int> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<char> cancelled(count, 0);  // each index written by one thread only
  auto canceller = [&](int part) {
    for (int k = part; k < count / 2; k += 2) {
      const int i = order[static_cast<std::size_t>(k)];
      cancelled[static_cast<std::size_t>(i)] = timers[static_cast<std::size_t>(i)].cancel() ? 1 : 0;
    }
  };
  std::thread other(canceller, 1);
  canceller(0);
  other.join();
  int stopped = 0;
  for (char c : cancelled) stopped += c;
  REQUIRE(wait_until([&] { return total.load() == count - stopped; }));
  REQUIRE(wait_for_sentinel(f.io, 80ms));
  int wrong = 0;
  for (int i = 0; i < count; ++i)
    wrong += fired[static_cast<std::size_t>(i)].load() != (cancelled[static_cast<std::size_t>(i)] ? 0 : 1);
  CHECK(wrong == 0);
  CHECK(total.load() == count - stopped);
  CHECK(f.io.timer_count() == 0);
  MESSAGE(stopped << " of " << count / 2 << " cancels came before expiry");
}

TEST_CASE("a cancelled timer lets go of its callback at once") {
  // CONTRACT PROBE: not in timer.hpp. A callback that owns a handle to its own timer (or
  // anything big) would otherwise live until the deadline, or forever for a periodic timer.
  io_fixture f;
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  auto one_shot = f.io.after(std::chrono::hours(1), [token] { (void)token; });
  auto periodic = f.io.every(std::chrono::hours(1), [token] { (void)token; });
  token.reset();
  CHECK_FALSE(watch.expired());
  one_shot.cancel();
  periodic.cancel();
  CHECK(watch.expired());
}

TEST_CASE("cancel racing with expiry: either it stopped the timer or the callback completed") {
  io_fixture f;
  constexpr int count = 2000;
  struct slot {
    std::atomic<int> started{0};
    std::atomic<int> finished{0};
  };
  std::vector<slot> slots(count);
  std::vector<timer> timers;
  for (int i = 0; i < count; ++i) {
    auto& s = slots[static_cast<std::size_t>(i)];
    timers.push_back(f.io.after(2ms, [&s] {
      s.started.fetch_add(1);
      std::this_thread::sleep_for(50us);  // a window in which cancel() must wait for us
      s.finished.fetch_add(1);
    }));
  }
  // Start cancelling once they fire: some have run, some are running, some still queued.
  REQUIRE(wait_until([&] { return slots[0].started.load() == 1; }));
  int broken = 0, stopped = 0;
  for (int i = 0; i < count; ++i) {
    auto& s = slots[static_cast<std::size_t>(i)];
    const bool did_stop = timers[static_cast<std::size_t>(i)].cancel();
    stopped += did_stop;
    // After cancel(): not running. Stopped => never started; else it ran exactly once.
    const int st = s.started.load(), fi = s.finished.load();
    if (did_stop ? st != 0 : (st != 1 || fi != 1)) ++broken;
  }
  CHECK(broken == 0);
  REQUIRE(wait_for_sentinel(f.io, 20ms));
  int ran_after_stop = 0;
  for (int i = 0; i < count; ++i) {
    auto& s = slots[static_cast<std::size_t>(i)];
    ran_after_stop += s.started.load() != s.finished.load();
  }
  CHECK(ran_after_stop == 0);
  MESSAGE("cancel() stopped " << stopped << " of " << count << " firing timers");
  CHECK(stopped < count);  // the first had fired: the race was real
}

TEST_CASE("a periodic timer fires repeatedly and stops on cancel") {
  io_fixture f;
  std::atomic<int> count{0};
  auto t = f.io.every(5ms, [&] { count.fetch_add(1); });
  CHECK(f.io.timer_count() == 1);
  CHECK(wait_until([&] { return count.load() >= 5; }));
  CHECK(t.active());  // still active after firing, unlike a one-shot
  CHECK(t.cancel());
  const int at_cancel = count.load();
  CHECK_FALSE(t.active());
  CHECK_FALSE(t.cancel());
  REQUIRE(wait_for_sentinel(f.io, 30ms));
  CHECK(count.load() == at_cancel);
  CHECK(f.io.timer_count() == 0);
}

TEST_CASE("a periodic timer never runs concurrently with itself") {
  io_fixture f;
  std::atomic<bool> inside{false};
  std::atomic<int> overlaps{0}, count{0};
  auto t = f.io.every(1ms, [&] {
    if (inside.exchange(true)) overlaps.fetch_add(1);
    std::this_thread::sleep_for(3ms);  // slower than its period, on a pool of two
    count.fetch_add(1);
    inside = false;
  });
  CHECK(wait_until([&] { return count.load() >= 20; }));
  CHECK(t.cancel());
  CHECK_FALSE(inside.load());
  CHECK(overlaps.load() == 0);
}

TEST_CASE("a late periodic timer skips missed periods instead of bunching them up") {
  io_fixture f;
  std::mutex m;
  std::vector<steady::time_point> starts;
  auto t = f.io.every(20ms, [&] {
    std::size_t n;
    {
      std::lock_guard lock(m);
      starts.push_back(steady::now());
      n = starts.size();
    }
    // Miss five and a half periods (not a whole number: a tick falling just as the slow
    // call ends legitimately gives one immediate run, which would blur the measure).
    if (n == 1) std::this_thread::sleep_for(110ms);
  });
  CHECK(wait_until([&] {
    std::lock_guard lock(m);
    return starts.size() >= 4;
  }));
  t.cancel();
  std::lock_guard lock(m);
  // Bunched up, calls 2..4 would come back to back right after the slow one; with skipping
  // calls 2 and 4 are about two periods apart (timing-based: generous margin).
  const auto spread = std::chrono::duration_cast<std::chrono::milliseconds>(starts[3] - starts[1]);
  CAPTURE(spread.count());
  CHECK(spread >= 10ms);
}

TEST_CASE("cancel from inside its own callback") {
  io_fixture f;
  SUBCASE("periodic: the current call finishes and no further one starts") {
    std::mutex m;
    timer self;
    std::atomic<int> count{0};
    std::atomic<int> cancel_result{-1};
    std::atomic<bool> finished_third{false};
    {
      std::lock_guard lock(m);
      self = f.io.every(2ms, [&] {
        const int n = count.fetch_add(1) + 1;
        if (n == 3) {
          std::lock_guard inner(m);
          cancel_result = self.cancel() ? 1 : 0;
          finished_third = true;
        }
      });
    }
    CHECK(wait_until([&] { return finished_third.load(); }));
    CHECK(cancel_result.load() == 1);
    REQUIRE(wait_for_sentinel(f.io, 20ms));
    CHECK(count.load() == 3);
    std::lock_guard lock(m);
    CHECK_FALSE(self.active());
    CHECK_FALSE(self.cancel());
  }
  SUBCASE("one-shot: does not deadlock") {
    std::mutex m;
    timer self;
    std::atomic<bool> done{false};
    {
      std::lock_guard lock(m);
      self = f.io.after(1ms, [&] {
        std::lock_guard inner(m);
        self.cancel();
        done = true;
      });
    }
    CHECK(wait_until([&] { return done.load(); }));
    std::lock_guard lock(m);
    CHECK_FALSE(self.active());
  }
}

TEST_CASE("an exception thrown by a timer callback is logged and a periodic timer goes on") {
  // CONTRACT GAP: timer.hpp does not say what a throwing callback does; this pins "logged,
  // otherwise ignored", as for posted tasks.
  log_capture logs;
  io_fixture f;
  std::atomic<int> ticks{0};
  f.io.after(1ms, [] { throw std::runtime_error("one-shot-oops"); });
  auto t = f.io.every(2ms, [&] {
    if (ticks.fetch_add(1) == 0) throw std::runtime_error("periodic-oops");
  });
  CHECK(wait_until([&] { return ticks.load() >= 3; }));
  CHECK(t.cancel());
  CHECK(wait_until([&] { return logs.count_containing("oops") == 2; }));
  CHECK(logs.count_containing("one-shot-oops") == 1);
  CHECK(logs.count_containing("periodic-oops") == 1);
}

TEST_CASE("a dropped handle does not cancel") {
  io_fixture f;
  std::atomic<int> one_shot{0}, periodic{0};
  f.io.after(5ms, [&] { one_shot.fetch_add(1); });
  f.io.every(2ms, [&] { periodic.fetch_add(1); });
  CHECK(wait_until([&] { return one_shot.load() == 1 && periodic.load() >= 3; }));
  CHECK(f.io.timer_count() == 1);  // the periodic one lives on until stop
  f.io.stop();
  f.ex.wait_idle();
  const int at_stop = periodic.load();
  CHECK(f.io.timer_count() == 0);
  f.ex.wait_idle();
  CHECK(periodic.load() == at_stop);
  CHECK(one_shot.load() == 1);
}

TEST_CASE("timers can be made from inside timer callbacks and from many threads") {
  io_fixture f;
  std::atomic<int> fired{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        f.io.after(std::chrono::milliseconds(i % 7), [&] {
          fired.fetch_add(1);
          f.io.after(1ms, [&] { fired.fetch_add(1); });  // a timer from a timer
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wait_until([&] { return fired.load() == 2000; }));
  CHECK(wait_until([&] { return f.io.timer_count() == 0; }));
}

TEST_CASE("100000 live timers are created and cancelled quickly") {
  io_fixture f;
  constexpr int count = 100'000;
  std::atomic<int> fired{0};
  std::vector<timer> timers;
  timers.reserve(count);
  const auto t0 = steady::now();
  for (int i = 0; i < count; ++i)
    timers.push_back(f.io.after(std::chrono::hours(1) + std::chrono::milliseconds(i % 1000),
                                [&] { fired.fetch_add(1); }));
  const auto t1 = steady::now();
  CHECK(f.io.timer_count() == count);
  int stopped = 0;
  for (auto& t : timers) stopped += t.cancel();
  const auto t2 = steady::now();
  CHECK(stopped == count);
  CHECK(f.io.timer_count() == 0);
  CHECK(fired.load() == 0);

  const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  MESSAGE("100000 timers: create " << ms(t1 - t0) << " ms, cancel " << ms(t2 - t1) << " ms");
  // Generous (sanitizers, loaded machine); a quadratic heap would need minutes.
  CHECK(t2 - t0 < 10s);
}

TEST_CASE("20000 short timers all fire exactly once") {
  io_fixture f;
  constexpr int count = 20'000;
  std::vector<std::atomic<int>> fired(count);
  std::atomic<int> total{0};
  for (int i = 0; i < count; ++i)
    f.io.after(std::chrono::milliseconds(i % 50), [&fired, &total, i] {
      fired[static_cast<std::size_t>(i)].fetch_add(1);
      total.fetch_add(1);
    });
  CHECK(wait_until([&] { return total.load() == count; }));
  CHECK(wait_until([&] { return f.io.timer_count() == 0; }));
  f.ex.wait_idle();
  int wrong = 0;
  for (auto& x : fired) wrong += x.load() != 1;
  CHECK(wrong == 0);
}

}  // TEST_SUITE
