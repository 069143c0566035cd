// strand_wakeup — what it measures: how fast wake-up requests are absorbed and turned into
// runs. One or two producer threads (plain threads, not workers) each call schedule() n times
// as fast as they can; the scheduled unit's run only counts itself. The clock runs from the
// start signal until the producers are done and the last run has finished. Reported:
// schedules/s (requests absorbed: the throughput) and runs/s (runs actually made, for
// information only: coalescing lets one run answer many requests, so fewer runs for the same
// requests is not worse; on a loaded machine it mostly counts how often the kernel gave the
// consumer a time slice).
// Both sides follow the same rule: a request while idle queues one run, a request while queued
// does nothing, a request while running guarantees exactly one more run.
//   troupe:   a strand on an executor (lock-free schedule(), runs as executor tasks);
//   baseline: one std::thread consumer sleeping on a std::condition_variable, with a pending
//             flag under a std::mutex (lock, set, unlock, notify_one per request).

#include "cases.hpp"

#include <troupe/framework/executor.hpp>
#include <troupe/framework/strand.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace troupe::perf::framework_cases {
namespace {

namespace tf = troupe::framework;

/// A strand whose run only counts itself.
class counting_strand final : public tf::strand {
public:
  using strand::strand;
  std::uint64_t runs() const noexcept { return runs_.load(std::memory_order_acquire); }

private:
  void on_run() noexcept override {
    // Never concurrent with itself: a plain increment published for the final read.
    runs_.store(runs_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  alignas(64) std::atomic<std::uint64_t> runs_{0};  // own cache line: no false sharing
};

/// The plain alternative: a consumer thread woken by a condition variable.
class cv_consumer {
public:
  cv_consumer() : thread_([this] { loop(); }) {}
  ~cv_consumer() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  cv_consumer(const cv_consumer&) = delete;
  cv_consumer& operator=(const cv_consumer&) = delete;

  void schedule() noexcept {
    {
      std::lock_guard lock(mutex_);
      pending_ = true;
    }
    cv_.notify_one();
  }

  /// Blocks until nothing is pending or running.
  void wait_idle() noexcept {
    std::unique_lock lock(mutex_);
    idle_cv_.wait(lock, [this] { return !pending_ && !running_; });
  }

  std::uint64_t runs() noexcept {
    std::lock_guard lock(mutex_);
    return runs_;
  }

private:
  void loop() noexcept {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [this] { return pending_ || stop_; });
      if (!pending_) return;
      pending_ = false;
      running_ = true;
      lock.unlock();
      ++runs_unlocked_;  // the run's work, outside the lock like a strand's on_run()
      lock.lock();
      running_ = false;
      runs_ = runs_unlocked_;
      if (!pending_) idle_cv_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  bool pending_ = false;
  bool running_ = false;
  bool stop_ = false;
  std::uint64_t runs_ = 0;
  alignas(64) std::uint64_t runs_unlocked_ = 0;  // own cache line: no false sharing
  std::thread thread_;
};

/// Untimed schedule-and-drain rounds before the timed burst; each makes exactly one run.
constexpr std::uint64_t warm_runs = 100;

/// Starts `producers` threads that each call target.schedule() n times, all released at once;
/// returns the seconds from the first producer's start until `drain()` returned. The clock
/// starts in the producers themselves: a thread released by the latch may run long before the
/// main thread is woken from it.
template <class Target, class Drain>
double produce(Target& target, int producers, std::uint64_t n, Drain drain) {
  // Threads up (oneTBB starts its workers lazily) and caches warm; exactly one run each.
  for (std::uint64_t i = 0; i < warm_runs; ++i) {
    target.schedule();
    drain();
  }
  std::latch start(producers);
  std::vector<stopwatch::clock::time_point> started(static_cast<std::size_t>(producers));
  std::vector<std::thread> threads;
  threads.reserve(started.size());
  for (auto& t0 : started)
    threads.emplace_back([&target, &start, &t0, n] {
      start.arrive_and_wait();
      t0 = stopwatch::clock::now();
      for (std::uint64_t i = 0; i < n; ++i) target.schedule();
    });
  for (auto& t : threads) t.join();
  drain();
  const auto end = stopwatch::clock::now();
  const auto first = *std::min_element(started.begin(), started.end());
  return std::chrono::duration<double>(end - first).count();
}

sample rates(double seconds, int producers, std::uint64_t n, std::uint64_t runs) {
  return {static_cast<double>(n) * producers / seconds, static_cast<double>(runs) / seconds};
}

sample run_troupe(int producers, std::uint64_t n) {
  tf::executor ex;
  auto s = tf::make_ref<counting_strand>(ex);
  const double seconds = produce(*s, producers, n, [&] { ex.wait_idle(); });
  const std::uint64_t runs = s->runs() - warm_runs;
  s.reset();
  ex.shutdown();
  return rates(seconds, producers, n, runs);
}

sample run_baseline(int producers, std::uint64_t n) {
  cv_consumer consumer;
  const double seconds = produce(consumer, producers, n, [&] { consumer.wait_idle(); });
  return rates(seconds, producers, n, consumer.runs() - warm_runs);
}

}  // namespace

comparison strand_wakeup(const options& o, int producers) {
  const std::uint64_t n = o.scaled(10'000'000);
  const std::string who = producers == 1 ? "one producer thread" : "two producer threads";
  return {"strand_wakeup_" + std::to_string(producers) + "p",
          who + " call schedule() in a loop; each run counts itself",
          {{"schedules", "ops/s", better::higher}, {"runs", "runs/s", better::neither}},
          {"troupe strand", [producers, n] { return run_troupe(producers, n); }},
          side{"std::thread+cv", [producers, n] { return run_baseline(producers, n); }},
          {{"producers", producers}, {"schedules_per_producer", static_cast<double>(n)}}};
}

}  // namespace troupe::perf::framework_cases
