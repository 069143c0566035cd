// Wait protocol. state: empty -> waiting (the waiting side commits to block) -> one of
// notified / timed_out / cancelled, or empty -> final directly when the wake comes first.
// Whoever moves the state out of `waiting` (one CAS, one winner) wakes the waiting side, and
// nobody else does: a fiber is resumed exactly once per wait. Holders of the core keep it (and
// its fiber) alive, so a late or concurrent finish() never touches freed memory.
#include "wait_core.hpp"

#include "fiber_impl.hpp"

#include <troupe/framework/reactor.hpp>
#include <troupe/framework/waiter.hpp>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

namespace troupe::framework {
namespace internal {
namespace {

long futex(std::atomic<std::uint32_t>* addr, int op, std::uint32_t val, const timespec* ts) noexcept {
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), op | FUTEX_PRIVATE_FLAG, val, ts,
                   nullptr, FUTEX_BITSET_MATCH_ANY);
}

}  // namespace

wait_core::wait_core(fiber* f) noexcept : fiber_(f) {
  if (fiber_) fiber_->add_ref();
}

wait_core::~wait_core() {
  if (fiber_) fiber_->release();
}

bool wait_core::finish(state_t how) noexcept {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (s == empty) {
      if (state_.compare_exchange_weak(s, how, std::memory_order_acq_rel)) return true;
    } else if (s == waiting) {
      if (state_.compare_exchange_weak(s, how, std::memory_order_acq_rel)) {
        if (fiber_) {
          fiber_->resume();
        } else {
          futex(&state_, FUTEX_WAKE, INT_MAX, nullptr);
        }
        return true;
      }
    } else {
      return false;
    }
  }
}

wait_core::state_t wait_core::wait_until(const clock::time_point* deadline) noexcept {
  return fiber_ ? wait_fiber(deadline) : wait_thread(deadline);
}

wait_core::state_t wait_core::wait_thread(const clock::time_point* deadline) noexcept {
  std::uint32_t s = empty;
  if (!state_.compare_exchange_strong(s, waiting, std::memory_order_acq_rel)) return static_cast<state_t>(s);
  for (;;) {
    s = state_.load(std::memory_order_acquire);
    if (s != waiting) return static_cast<state_t>(s);
    if (deadline) {
      // steady_clock is CLOCK_MONOTONIC, which FUTEX_WAIT_BITSET takes as an absolute time.
      const auto since_epoch = deadline->time_since_epoch();
      const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
      timespec ts{};
      ts.tv_sec = static_cast<time_t>(secs.count());
      ts.tv_nsec = static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - secs).count());
      if (futex(&state_, FUTEX_WAIT_BITSET, waiting, &ts) != 0 && errno == ETIMEDOUT) {
        std::uint32_t w = waiting;
        if (state_.compare_exchange_strong(w, timed_out, std::memory_order_acq_rel)) return timed_out;
      }
    } else {
      futex(&state_, FUTEX_WAIT_BITSET, waiting, nullptr);
    }
  }
}

wait_core::state_t wait_core::wait_fiber(const clock::time_point* deadline) noexcept {
  fiber* const f = fiber_;
  std::uint32_t s = empty;
  if (!state_.compare_exchange_strong(s, waiting, std::memory_order_acq_rel)) return static_cast<state_t>(s);
  // Visible to cancel_all() from here on; if it ran before, we see its flag (both sides go
  // through the fiber's wait mutex).
  f->set_current_wait(this);
  if (f->cancelled()) {
    std::uint32_t w = waiting;
    state_.compare_exchange_strong(w, cancelled, std::memory_order_acq_rel);
  }
  timer deadline_timer;
  if (deadline && state_.load(std::memory_order_acquire) == waiting) {
    if (*deadline <= clock::now()) {
      std::uint32_t w = waiting;
      state_.compare_exchange_strong(w, timed_out, std::memory_order_acq_rel);
    } else {
      try {
        deadline_timer = f->scheduler().io.at(*deadline, [self = ref_ptr<wait_core>(this)] {
          self->finish(timed_out);
        });
      } catch (...) {
        // The reactor is stopping: the runtime's stop cancels this fiber.
        std::uint32_t w = waiting;
        state_.compare_exchange_strong(w, cancelled, std::memory_order_acq_rel);
      }
    }
  }
  while (state_.load(std::memory_order_acquire) == waiting) f->suspend();
  f->set_current_wait(nullptr);
  deadline_timer.cancel();
  return static_cast<state_t>(state_.load(std::memory_order_acquire));
}

}  // namespace internal

waiter::waiter() : core_(make_ref<internal::wait_core>(fiber::current())) {}
waiter::~waiter() = default;
waiter::waiter(const waiter&) noexcept = default;
waiter& waiter::operator=(const waiter&) noexcept = default;

bool waiter::notify() const noexcept { return core_->finish(internal::wait_core::notified); }

bool waiter::notified() const noexcept { return core_->state() == internal::wait_core::notified; }

void waiter::wait() {
  if (core_->wait_until(nullptr) == internal::wait_core::cancelled) throw fiber_cancelled();
}

wait_result waiter::wait_until(clock::time_point deadline) {
  switch (core_->wait_until(&deadline)) {
    case internal::wait_core::notified: return wait_result::notified;
    case internal::wait_core::cancelled: throw fiber_cancelled();
    default: return wait_result::timed_out;
  }
}

}  // namespace troupe::framework
