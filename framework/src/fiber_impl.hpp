#pragma once
// The fiber object and the scheduler's private state (shared by fiber.cpp and waiter.cpp).

#include <troupe/framework/fiber.hpp>
#include <troupe/framework/stack_pool.hpp>
#include <troupe/framework/strand.hpp>

#include "fiber_switch.hpp"

#include <atomic>
#include <mutex>
#include <unordered_set>

namespace troupe::framework {

namespace internal { class wait_core; }

/// A fiber is a strand whose run switches onto the fiber's stack until it suspends or ends.
/// Ownership: the scheduler's live set holds one reference until the fiber ends; every queued
/// run and every waiter bound to it hold one more.
class fiber final : public strand {
public:
  fiber(fiber_scheduler::impl& sched, std::function<void()> body);
  ~fiber() override;

  /// The fiber running on the calling thread, or nullptr.
  static fiber* current() noexcept;

  /// Fiber side: leaves the worker until resume(). Only wait_core and yield call it: a
  /// suspended fiber is resumed exactly once, by whoever ended its wait.
  void suspend() noexcept { internal::leave(frame_); }
  /// Any thread: resumes a suspended fiber (or one about to suspend: the strand keeps it).
  void resume() noexcept { schedule(); }

  fiber_scheduler::impl& scheduler() const noexcept { return *sched_; }

  // Cancellation (see waiter.cpp for the protocol).
  bool cancelled() const noexcept { return cancelled_.load(std::memory_order_seq_cst); }
  void cancel() noexcept;
  void set_current_wait(internal::wait_core* w) noexcept;

private:
  void on_run() noexcept override;
  static void entry(internal::fiber_frame& f) noexcept;

  fiber_scheduler::impl* sched_;
  std::function<void()> body_;
  internal::fiber_frame frame_;
  std::atomic<bool> cancelled_{false};
  std::mutex wait_mutex_;                       // guards current_wait_
  internal::wait_core* current_wait_ = nullptr;  // the wait this fiber is blocked in, if any
};

struct fiber_scheduler::impl {
  impl(executor& e, reactor& r, fiber_options o);

  executor& ex;
  reactor& io;
  fiber_options options;
  stack_pool stacks;

  std::mutex mutex;  // guards fibers and refusing
  std::unordered_set<fiber*> fibers;
  bool refusing = false;
  std::atomic<std::size_t> live{0};

  void finished(fiber& f) noexcept;
};

}  // namespace troupe::framework
