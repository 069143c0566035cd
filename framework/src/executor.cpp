// The only file that talks to oneTBB. In TSan builds it is compiled without instrumentation
// (see framework/CMakeLists.txt): the task hand-off through TBB's queues is then described to
// TSan by a release on submit and an acquire before run, keyed by the task_node's address.
#include <troupe/framework/executor.hpp>

#include "tsan_annotations.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

namespace troupe::framework {
namespace {
thread_local executor* current_executor = nullptr;

// oneTBB sizes its worker pool process-wide (default: hardware threads - 1) and our arenas
// reserve no slot for outside threads, so every live executor's workers must fit at once.
// The limit in force is the smallest live global_control, so a larger one replaces the old.
class worker_demand {
public:
  static void add(int n) { instance().change(n); }
  static void remove(int n) noexcept { instance().change(-n); }

private:
  static worker_demand& instance() {
    static worker_demand d;
    return d;
  }
  void change(int delta) noexcept {
    std::lock_guard lock(mutex_);
    total_ += delta;
    if (total_ <= 0) {
      control_.reset();
      return;
    }
    try {
      // global_control registers its own address: never move one, replace the pointer.
      auto next = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                        static_cast<std::size_t>(total_) + 1);
      control_.swap(next);  // the old one goes with `next`, after the new one exists
    } catch (...) {
      // Keep the old limit: fewer workers, still correct.
    }
  }
  std::mutex mutex_;
  int total_ = 0;
  std::unique_ptr<tbb::global_control> control_;
};
}  // namespace

struct executor::impl {
  int concurrency;
  tbb::task_arena arena;
  std::atomic<std::int64_t> outstanding{0};
  std::atomic<std::uint32_t> idle_waiters{0};
  std::atomic<bool> shut{false};

  explicit impl(int n) : concurrency(n), arena(n, 0) {
    worker_demand::add(n);
    arena.initialize();
  }
};

executor::executor(executor_options options) {
  int n = options.concurrency;
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  impl_ = std::make_unique<impl>(n);
}

executor::~executor() { shutdown(); }

int executor::concurrency() const noexcept { return impl_->concurrency; }

void executor::submit(task_node& t) noexcept {
  impl* const d = impl_.get();
  d->outstanding.fetch_add(1, std::memory_order_relaxed);
  TROUPE_TSAN_RELEASE(&t);
  d->arena.enqueue([this, d, node = &t] {
    executor* const previous = current_executor;
    current_executor = this;
    TROUPE_TSAN_ACQUIRE(node);
    node->run();
    current_executor = previous;
    TROUPE_TSAN_RELEASE(d);  // what the task did happens-before wait_idle()/shutdown() return
    if (d->outstanding.fetch_sub(1, std::memory_order_acq_rel) == 1 &&
        d->idle_waiters.load(std::memory_order_acquire) != 0) {
      d->outstanding.notify_all();
    }
  });
}

void executor::wait_idle() noexcept {
  impl* const d = impl_.get();
  d->idle_waiters.fetch_add(1, std::memory_order_acq_rel);
  for (;;) {
    const std::int64_t n = d->outstanding.load(std::memory_order_acquire);
    if (n == 0) break;
    d->outstanding.wait(n, std::memory_order_acquire);
  }
  d->idle_waiters.fetch_sub(1, std::memory_order_acq_rel);
  TROUPE_TSAN_ACQUIRE(d);
}

std::int64_t executor::outstanding() const noexcept {
  return impl_->outstanding.load(std::memory_order_acquire);
}

void executor::shutdown() noexcept {
  if (!impl_ || impl_->shut.exchange(true)) return;
  wait_idle();
  impl_->arena.terminate();
  worker_demand::remove(impl_->concurrency);
}

executor* executor::current() noexcept { return current_executor; }

}  // namespace troupe::framework
