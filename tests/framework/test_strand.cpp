// strand: never two runs at once, never a lost wake-up, exactly one more run when
// scheduled during a run.

#include "support.hpp"

#include <troupe/framework/executor.hpp>
#include <troupe/framework/strand.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

using namespace troupe::framework;
using namespace troupe_test;

namespace {

// Producers add to `pending`, then schedule(); each run takes everything pending. If a
// wake-up were lost, some pending work would never be taken and the totals would not meet.
class consumer final : public strand {
public:
  explicit consumer(executor& ex) : strand(ex) {}

  std::atomic<std::int64_t> produced{0};  // bumped by producers (test bookkeeping)
  std::atomic<std::int64_t> pending{0};
  std::atomic<std::int64_t> consumed{0};
  std::atomic<int> runs{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> not_running_here{0};
  std::int64_t plain_total = 0;  // not atomic: TSan checks that runs are ordered

  void produce() {
    produced.fetch_add(1, std::memory_order_relaxed);
    pending.fetch_add(1, std::memory_order_release);
    schedule();
  }

private:
  void on_run() noexcept override {
    if (inside_.exchange(true, std::memory_order_acq_rel)) overlaps.fetch_add(1);
    if (!running_here()) not_running_here.fetch_add(1);
    runs.fetch_add(1, std::memory_order_relaxed);
    const auto n = pending.exchange(0, std::memory_order_acq_rel);
    plain_total += n;
    // Linger, so that a second, overlapping run would be caught in the act.
    for (int i = 0; i < 3; ++i) std::this_thread::yield();
    consumed.fetch_add(n, std::memory_order_release);
    inside_.store(false, std::memory_order_release);
  }
  std::atomic<bool> inside_{false};
};

// Lock-step partner of one producer: each run publishes what was produced, then lingers, so
// the producer's next schedule() usually lands while the run is still going.
class echo final : public strand {
public:
  explicit echo(executor& ex) : strand(ex) {}
  std::atomic<int> produced{0};
  std::atomic<int> consumed{0};
  std::atomic<bool> in_run{false};

private:
  void on_run() noexcept override {
    in_run.store(true);
    consumed.store(produced.load(std::memory_order_acquire), std::memory_order_release);
    for (int i = 0; i < 20; ++i) std::this_thread::yield();
    in_run.store(false);
  }
};

// First run blocks until released, so the test can schedule while it runs.
class gated final : public strand {
public:
  explicit gated(executor& ex, std::atomic<bool>* destroyed = nullptr)
      : strand(ex), destroyed_(destroyed) {}
  ~gated() override {
    if (destroyed_) destroyed_->store(true);
  }

  std::atomic<int> runs{0};
  std::atomic<bool> entered{false};
  std::atomic<bool> let_go{false};  // not `release`: that is ref_counted's
  std::atomic<int> rescheduled_from_inside{0};
  int reschedule_until = 0;  // set before the first schedule()

private:
  void on_run() noexcept override {
    const int r = runs.fetch_add(1) + 1;
    if (r == 1) {
      entered = true;
      wait_until([&] { return let_go.load(); });
    }
    if (r < reschedule_until) {
      rescheduled_from_inside.fetch_add(1);
      schedule();
    }
  }
  std::atomic<bool>* destroyed_;
};

// Blocks the only worker of a concurrency-1 executor until released.
struct worker_blocker {
  std::atomic<bool> entered{false};
  std::atomic<bool> release{false};
  void block(executor& ex) {
    ex.post([this] {
      entered = true;
      wait_until([&] { return release.load(); });
    });
    REQUIRE(wait_until([&] { return entered.load(); }));
  }
};

// Keeps scheduling itself until told to stop.
class spinner final : public strand {
public:
  explicit spinner(executor& ex) : strand(ex) {}
  std::atomic<int> runs{0};
  std::atomic<bool> stop{false};

private:
  void on_run() noexcept override {
    runs.fetch_add(1);
    if (!stop.load()) schedule();
  }
};

// Hands a plain (non-atomic) value to the strand: only schedule()'s ordering makes it safe.
class handoff final : public strand {
public:
  explicit handoff(executor& ex) : strand(ex) {}
  int value = 0;  // written by the producer before schedule()
  std::atomic<int> acked{0};

private:
  void on_run() noexcept override { acked.store(value, std::memory_order_release); }
};

}  // namespace

TEST_SUITE("strand") {

TEST_CASE("many strands scheduled from many threads run exclusively and lose no wake-up") {
  executor ex(executor_options{.concurrency = 2});
  constexpr int strands = 32;
  constexpr int threads = 4;
  constexpr int per_thread = 25'000;
  constexpr int from_workers = 2;  // producers that run as tasks on the pool itself
  constexpr int per_worker = 10'000;

  std::vector<ref_ptr<consumer>> cs;
  for (int i = 0; i < strands; ++i) cs.push_back(make_ref<consumer>(ex));

  std::vector<std::thread> producers;
  for (int t = 0; t < threads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        cs[static_cast<std::size_t>((i + t * 7) % strands)]->produce();
        // Give the workers the cores now and then: strands must go idle and wake up again
        // many times, not coalesce everything into a handful of runs.
        if (i % 4 == 0) std::this_thread::yield();
      }
    });
  }
  for (int w = 0; w < from_workers; ++w) {
    ex.post([&, w] {
      for (int i = 0; i < per_worker; ++i) cs[static_cast<std::size_t>((i * 3 + w) % strands)]->produce();
    });
  }
  for (auto& p : producers) p.join();

  constexpr std::int64_t total = std::int64_t{threads} * per_thread + std::int64_t{from_workers} * per_worker;
  const bool all_consumed = wait_until([&] {
    std::int64_t sum = 0;
    for (auto& c : cs) sum += c->consumed.load(std::memory_order_acquire);
    return sum == total;
  });
  CHECK(all_consumed);
  CHECK(wait_until([&] {
    for (auto& c : cs)
      if (!c->idle()) return false;
    return true;
  }));
  ex.wait_idle();

  int overlaps = 0, lost = 0, unordered = 0, not_here = 0, unbalanced = 0, runs = 0;
  std::int64_t produced = 0;
  for (auto& c : cs) {
    runs += c->runs.load();
    overlaps += c->overlaps.load();
    lost += c->pending.load() != 0;
    unbalanced += c->consumed.load() != c->produced.load();
    unordered += c->plain_total != c->consumed.load();
    not_here += c->not_running_here.load();
    produced += c->produced.load();
  }
  MESSAGE(runs << " runs for " << total << " schedules");
  CHECK(produced == total);
  CHECK(overlaps == 0);
  CHECK(lost == 0);
  CHECK(unbalanced == 0);
  CHECK(unordered == 0);
  CHECK(not_here == 0);
}

TEST_CASE("a schedule that lands during a run is never lost") {
  // One producer per strand and nobody else schedules it: a lost wake-up is not rescued by a
  // later schedule() and shows up as a stall.
  executor ex(executor_options{.concurrency = 2});
  constexpr int producers = 4;
  constexpr int rounds = 1500;
  std::vector<ref_ptr<echo>> strands;
  for (int i = 0; i < producers; ++i) strands.push_back(make_ref<echo>(ex));
  std::atomic<int> stalled{0}, during_run{0};
  std::vector<std::thread> ts;
  for (auto& s : strands) {
    ts.emplace_back([&, e = s.get()] {
      for (int i = 1; i <= rounds; ++i) {
        e->produced.store(i, std::memory_order_release);
        if (e->in_run.load()) during_run.fetch_add(1);
        e->schedule();
        if (!wait_until([&] { return e->consumed.load(std::memory_order_acquire) >= i; }, 5s)) {
          stalled.fetch_add(1);
          return;
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  ex.wait_idle();
  CHECK(stalled.load() == 0);
  MESSAGE(during_run.load() << " of " << producers * rounds << " schedules landed during a run");
  CHECK(during_run.load() > 0);  // the case under test did happen
}

TEST_CASE("scheduling during a run gives exactly one more run") {
  executor ex(executor_options{.concurrency = 2});
  auto s = make_ref<gated>(ex);
  s->schedule();
  REQUIRE(wait_until([&] { return s->entered.load(); }));
  CHECK_FALSE(s->idle());
  CHECK_FALSE(s->running_here());  // we are not inside its on_run

  // Several schedules, from two threads, while the first run is still inside on_run.
  s->schedule();
  std::thread([&] {
    s->schedule();
    s->schedule();
  }).join();
  s->schedule();
  s->let_go = true;

  CHECK(wait_until([&] { return s->idle() && s->runs.load() >= 2; }));
  ex.wait_idle();
  CHECK(s->runs.load() == 2);
}

TEST_CASE("schedule from inside on_run gives exactly one more run each time") {
  executor ex(executor_options{.concurrency = 2});
  auto s = make_ref<gated>(ex);
  s->reschedule_until = 5;
  s->let_go = true;
  s->schedule();
  CHECK(wait_until([&] { return s->idle() && s->runs.load() >= 5; }));
  ex.wait_idle();
  CHECK(s->runs.load() == 5);
  CHECK(s->rescheduled_from_inside.load() == 4);
}

TEST_CASE("schedules while queued coalesce into one run") {
  executor ex(executor_options{.concurrency = 1});
  worker_blocker blocker;
  blocker.block(ex);

  auto s = make_ref<gated>(ex);
  s->let_go = true;
  for (int i = 0; i < 100; ++i) s->schedule();
  CHECK_FALSE(s->idle());
  CHECK(s->runs.load() == 0);

  blocker.release = true;
  CHECK(wait_until([&] { return s->idle(); }));
  ex.wait_idle();
  CHECK(s->runs.load() == 1);
}

TEST_CASE("a queued strand holds a reference to itself") {
  executor ex(executor_options{.concurrency = 1});
  worker_blocker blocker;
  blocker.block(ex);

  std::atomic<bool> destroyed{false};
  auto s = make_ref<gated>(ex, &destroyed);
  s->let_go = true;
  CHECK(s->use_count() == 1);
  s->schedule();
  CHECK(s->use_count() > 1);

  // Dropping our reference while it is queued must not free it: it still runs, then dies.
  s.reset();
  CHECK_FALSE(destroyed.load());

  blocker.release = true;
  CHECK(wait_until([&] { return destroyed.load(); }));
  ex.wait_idle();
}

TEST_CASE("the self reference is dropped once idle") {
  executor ex(executor_options{.concurrency = 2});
  auto s = make_ref<gated>(ex);
  s->let_go = true;
  s->schedule();
  CHECK(wait_until([&] { return s->idle(); }));
  ex.wait_idle();
  CHECK(s->use_count() == 1);
}

TEST_CASE("a strand that keeps rescheduling itself does not starve other work") {
  executor ex(executor_options{.concurrency = 1});
  auto a = make_ref<spinner>(ex);
  auto b = make_ref<spinner>(ex);
  a->schedule();
  b->schedule();
  REQUIRE(wait_until([&] { return a->runs.load() > 100; }));

  // Both spinners make progress, and a plain task still gets the single worker.
  std::atomic<bool> other_ran{false};
  ex.post([&] { other_ran = true; });
  CHECK(wait_until([&] { return other_ran.load(); }));
  CHECK(b->runs.load() > 0);

  a->stop = true;
  b->stop = true;
  CHECK(wait_until([&] { return a->idle() && b->idle(); }));
  ex.wait_idle();
}

TEST_CASE("on_run happens-after the schedule that caused it") {
  executor ex(executor_options{.concurrency = 2});
  auto s = make_ref<handoff>(ex);
  int missed = 0;
  for (int i = 1; i <= 2000; ++i) {
    s->value = i;  // plain write; published to the run by schedule() alone
    s->schedule();
    if (!wait_until([&] { return s->acked.load(std::memory_order_acquire) == i; })) ++missed;
  }
  CHECK(missed == 0);
  ex.wait_idle();
}

TEST_CASE("running_here is true only inside the strand's own run") {
  executor ex(executor_options{.concurrency = 2});
  std::atomic<int> inside_true{0}, other_false{0};
  ref_ptr<function_strand> a, b;
  a = make_ref<function_strand>(ex, [&] {
    if (a->running_here()) inside_true.fetch_add(1);
    if (!b->running_here()) other_false.fetch_add(1);
  });
  b = make_ref<function_strand>(ex, [] {});
  a->schedule();
  CHECK(wait_until([&] { return inside_true.load() == 1 && a->idle(); }));
  ex.wait_idle();
  CHECK(other_false.load() == 1);
  CHECK_FALSE(a->running_here());
  CHECK(&a->exec() == &ex);
  a.reset();  // break the strand -> lambda -> a reference path before the locals go
  b.reset();
}

TEST_CASE("function_strand runs its function once per wake-up") {
  executor ex(executor_options{.concurrency = 2});
  std::atomic<int> runs{0};
  auto s = make_ref<function_strand>(ex, [&] { runs.fetch_add(1); });
  for (int i = 0; i < 100; ++i) {
    s->schedule();
    REQUIRE(wait_until([&] { return s->idle(); }));
  }
  ex.wait_idle();
  CHECK(runs.load() == 100);
}

}  // TEST_SUITE
