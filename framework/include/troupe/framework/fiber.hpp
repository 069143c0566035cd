#pragma once
/// Fibers: sequential code that can block without blocking a worker thread.

#include <troupe/framework/ref_counted.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>

namespace troupe::framework {

class executor;
class reactor;
class fiber;

/// Thrown out of a blocking call inside a fiber when the runtime stops while the fiber is
/// suspended; the fiber's stack unwinds and the fiber ends. Do not swallow it.
struct fiber_cancelled : std::exception {
  const char* what() const noexcept override { return "fiber cancelled: the runtime is stopping"; }
};

/// Options of a fiber scheduler.
struct fiber_options {
  /// Usable stack size of each fiber (rounded up to pages).
  std::size_t stack_size = 64 * 1024;
  /// An inaccessible page below each stack. On by default in debug builds.
#ifdef NDEBUG
  bool guard_page = false;
#else
  bool guard_page = true;
#endif
  /// Released stacks kept for reuse.
  std::size_t max_cached_stacks = 4096;
};

/// Runs fibers on an executor's workers. A fiber runs as a strand: while it runs it occupies
/// one worker; when it blocks (through a waiter) it suspends, freeing the worker, and later
/// resumes on whichever worker picks it up. Stacks come from a pool.
///
/// Because a fiber may resume on another thread, anything thread-local must not be carried
/// across a blocking call: read `errno` (or std::this_thread::get_id()) right after the
/// system call, in a function that does not block, since the compiler may cache the
/// thread-local address across the suspension.
class fiber_scheduler {
public:
  fiber_scheduler(executor& ex, reactor& io, fiber_options options = {});
  /// Cancels and waits for every live fiber (see cancel_all()).
  ~fiber_scheduler();
  fiber_scheduler(const fiber_scheduler&) = delete;
  fiber_scheduler& operator=(const fiber_scheduler&) = delete;

  /// Starts `body` on a new fiber. An exception escaping `body` is logged (fiber_cancelled
  /// silently ends the fiber). Throws std::bad_alloc if no stack can be had, and
  /// std::logic_error after cancel_all().
  void spawn(std::function<void()> body);

  /// Fibers spawned and not yet finished.
  std::size_t live() const noexcept;

  /// Blocks the calling thread (not a worker, not a fiber) until live() == 0.
  void wait_all() noexcept;

  /// Refuses further spawns and makes every blocking call of every live fiber (current or
  /// future) throw fiber_cancelled, then waits until they have all ended. Idempotent.
  void cancel_all() noexcept;

  executor& exec() const noexcept;
  reactor& io() const noexcept;
  const fiber_options& options() const noexcept;

private:
  friend class fiber;
  struct impl;
  std::unique_ptr<impl> impl_;
};

namespace this_fiber {
/// True when the caller runs on a fiber.
bool inside() noexcept;
/// Lets other queued work run, then continues (maybe on another worker). Fiber only.
void yield();
}  // namespace this_fiber

}  // namespace troupe::framework
