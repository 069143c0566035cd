// The only file that talks to oneTBB. In TSan builds it is compiled without instrumentation
// (see framework/CMakeLists.txt): the task hand-off through TBB's queues is then described to
// TSan by a release on submit and an acquire before run, keyed by the task_node's address.
#include <troupe/framework/executor.hpp>

#include "tsan_annotations.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <atomic>
#include <optional>
#include <thread>

namespace troupe::framework {
namespace {
thread_local executor* current_executor = nullptr;
}

struct executor::impl {
  int concurrency;
  // Lets the arena have `concurrency` workers even when that exceeds TBB's default of
  // hardware threads - 1 (our arena reserves no slot for an outside thread).
  std::optional<tbb::global_control> parallelism;
  tbb::task_arena arena;
  std::atomic<std::int64_t> outstanding{0};
  std::atomic<std::uint32_t> idle_waiters{0};
  std::atomic<bool> shut{false};

  explicit impl(int n)
      : concurrency(n),
        parallelism(std::in_place, tbb::global_control::max_allowed_parallelism,
                    static_cast<std::size_t>(n) + 1),
        arena(n, 0) {
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
  impl_->parallelism.reset();
}

executor* executor::current() noexcept { return current_executor; }

}  // namespace troupe::framework
