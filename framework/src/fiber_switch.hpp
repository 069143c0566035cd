#pragma once
// Every stack switch of the runtime happens here, so the sanitizer annotations live in one
// place: ASan must be told which stack it is on (__sanitizer_*_switch_fiber), TSan which
// logical thread runs (__tsan_*_fiber). Debian's Boost.Context is not built with them.

#include <troupe/framework/stack_pool.hpp>

namespace troupe::framework::internal {

/// Saved contexts of one fiber and of the worker that last entered it.
struct fiber_frame {
  using entry_fn = void (*)(fiber_frame&);

  void* fiber_ctx = nullptr;   // where the fiber continues (boost fcontext_t)
  void* worker_ctx = nullptr;  // where the worker continues when the fiber leaves
  fiber_stack stack;
  entry_fn entry = nullptr;
  bool finished = false;
  void* owner = nullptr;  // the object that runs on this frame
  // ASan: the worker stack to switch back to, and the fiber's fake stack while away.
  const void* worker_stack_bottom = nullptr;
  std::size_t worker_stack_size = 0;
  void* fiber_fake_stack = nullptr;
  // TSan: the fiber's own logical thread and the worker's.
  void* tsan_fiber = nullptr;
  void* tsan_worker = nullptr;
};

/// Prepares `f` to run `entry(f)` on `stack` at its first enter().
void init_frame(fiber_frame& f, fiber_stack stack, fiber_frame::entry_fn entry) noexcept;
/// Worker side: runs the fiber until it leaves or finishes.
void enter(fiber_frame& f) noexcept;
/// Fiber side: returns to the worker; comes back here at the next enter() (maybe on another
/// worker thread).
void leave(fiber_frame& f) noexcept;
/// Fiber side: returns to the worker for the last time (sets f.finished).
[[noreturn]] void leave_for_good(fiber_frame& f) noexcept;
/// Worker side, after the fiber finished: releases sanitizer state (not the stack).
void destroy_frame(fiber_frame& f) noexcept;

}  // namespace troupe::framework::internal
