// task_handoff — what it measures: the time for one task to get from a plain (non-worker)
// thread onto a worker and run there, one at a time. The poster submits a task, the task sets
// a done flag, the poster waits for the flag, repeat; the value is wall time / hand-offs.
// Both sides run the identical task and wait on the identical done flag (a futex via
// std::atomic::wait), so they differ only in how the task reaches a thread:
//   troupe:   executor::submit (allocation-free) into the oneTBB arena, default concurrency;
//   baseline: one std::thread sleeping on a std::condition_variable, handed the task under a
//             std::mutex (the textbook hand-off).

#include "cases.hpp"

#include <troupe/framework/executor.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>

namespace troupe::perf::framework_cases {
namespace {

namespace tf = troupe::framework;

/// One-shot "done" signal from the task to the poster.
class done_flag {
public:
  void reset() noexcept { v_.store(0, std::memory_order_relaxed); }
  void set() noexcept {
    v_.store(1, std::memory_order_release);
    v_.notify_one();
  }
  void wait() noexcept {
    while (v_.load(std::memory_order_acquire) == 0) v_.wait(0, std::memory_order_acquire);
  }

private:
  std::atomic<std::uint32_t> v_{0};
};

/// The task both sides run: it only signals that it ran.
struct signal_task final : tf::task_node {
  explicit signal_task(done_flag& d) noexcept : done(&d) {}
  void run() noexcept override { done->set(); }
  done_flag* done;
};

/// The plain alternative: one thread, woken by a condition variable for each task.
class cv_worker {
public:
  cv_worker() : thread_([this] { loop(); }) {}
  ~cv_worker() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  cv_worker(const cv_worker&) = delete;
  cv_worker& operator=(const cv_worker&) = delete;

  void submit(tf::task_node& t) noexcept {
    {
      std::lock_guard lock(mutex_);
      job_ = &t;
    }
    cv_.notify_one();
  }

private:
  void loop() noexcept {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [this] { return job_ != nullptr || stop_; });
      if (job_ == nullptr) return;
      tf::task_node* job = std::exchange(job_, nullptr);
      lock.unlock();
      job->run();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  tf::task_node* job_ = nullptr;
  bool stop_ = false;
  std::thread thread_;
};

template <class Runner>
double time_handoffs(Runner& runner, signal_task& task, done_flag& done, std::uint64_t n) {
  auto handoff = [&] {
    done.reset();
    runner.submit(task);
    done.wait();
  };
  for (int i = 0; i < 100; ++i) handoff();  // threads up and caches warm
  stopwatch sw;
  for (std::uint64_t i = 0; i < n; ++i) handoff();
  return sw.elapsed_ns() / static_cast<double>(n);
}

sample run_troupe(std::uint64_t n) {
  done_flag done;
  signal_task task(done);
  tf::executor ex;
  const double ns = time_handoffs(ex, task, done, n);
  ex.shutdown();
  return {ns};
}

sample run_baseline(std::uint64_t n) {
  done_flag done;
  signal_task task(done);
  cv_worker worker;
  return {time_handoffs(worker, task, done, n)};
}

}  // namespace

comparison task_handoff(const options& o) {
  const std::uint64_t n = o.scaled(20'000);
  return {"task_handoff",
          "post a task from a plain thread, the task signals done, the poster waits; repeat",
          {{"latency", "ns/op", better::lower}},
          {"troupe executor", [n] { return run_troupe(n); }},
          side{"std::thread+cv", [n] { return run_baseline(n); }},
          {{"handoffs", static_cast<double>(n)}}};
}

}  // namespace troupe::perf::framework_cases
