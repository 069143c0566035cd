#pragma once
/// Timers: one-shot and periodic, millisecond resolution, run as tasks on the executor.

#include <troupe/framework/ref_counted.hpp>

#include <chrono>

namespace troupe::framework {

namespace internal { class timer_node; }

using clock = std::chrono::steady_clock;

/// Handle to a scheduled timer. Copyable; dropping every handle does NOT cancel the timer
/// (a one-shot timer then fires once and is freed; a periodic one runs until the reactor stops).
class timer {
public:
  timer() noexcept;
  explicit timer(ref_ptr<internal::timer_node> n) noexcept;
  ~timer();
  timer(const timer&) noexcept;
  timer(timer&&) noexcept;
  timer& operator=(timer) noexcept;

  /// Cancels the timer. After cancel() returns the callback is not running and will not run
  /// again, except when cancel() is called from inside that same callback (then the current
  /// call finishes normally and no further one starts); the callback object (and what it
  /// captured) is destroyed at once. Two callbacks must not cancel each other at the same
  /// time: each would wait for the other. Safe from any thread; idempotent.
  /// Returns true if this call stopped a timer that had not yet fired (one-shot) or was still
  /// active (periodic).
  bool cancel() noexcept;

  /// True until a one-shot timer has fired or any timer was cancelled.
  bool active() const noexcept;

  explicit operator bool() const noexcept { return static_cast<bool>(node_); }

private:
  ref_ptr<internal::timer_node> node_;
};

}  // namespace troupe::framework
