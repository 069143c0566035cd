#pragma once
/// Waiter: the one primitive every blocking call is built on, in fibers and in threads alike.

#include <troupe/framework/ref_counted.hpp>
#include <troupe/framework/timer.hpp>

#include <chrono>

namespace troupe::framework {

namespace internal { class wait_core; }

/// How a wait ended.
enum class wait_result { notified, timed_out };

/// A one-shot wake-up. The blocking side creates it (it binds to the calling fiber, or to
/// the calling thread when not on a fiber), hands a copy to whoever will wake it, and waits:
/// on a fiber the fiber suspends and its worker runs other work; on a plain thread the thread
/// sleeps on a futex. No polling either way.
///
/// Copies share one state (hand one to the waking side).
/// notify() may come before, during or after the wait, from any thread, any number of times;
/// only the first of notify / timeout / cancellation counts. Copies share one state, and a
/// late notify() on a finished waiter is harmless, so wakers need no lifetime protocol.
class waiter {
public:
  /// A fresh waiter for the calling context.
  waiter();
  ~waiter();
  waiter(const waiter&) noexcept;
  waiter& operator=(const waiter&) noexcept;

  /// Wakes the waiting side. Returns true if this call was the one that ended the wait.
  bool notify() const noexcept;

  /// True once notified (a snapshot).
  bool notified() const noexcept;

  /// Blocks until notified. On a fiber throws fiber_cancelled if the runtime stops meanwhile.
  void wait();
  /// Blocks until notified or `deadline` passes (millisecond resolution on fibers).
  wait_result wait_until(clock::time_point deadline);
  wait_result wait_for(std::chrono::milliseconds timeout) {
    return wait_until(clock::now() + timeout);
  }

private:
  ref_ptr<internal::wait_core> core_;
};

}  // namespace troupe::framework
