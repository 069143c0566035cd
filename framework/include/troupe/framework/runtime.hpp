#pragma once
/// Runtime: the executor, the reactor and the fiber scheduler, owned together.

#include <troupe/framework/executor.hpp>
#include <troupe/framework/fiber.hpp>
#include <troupe/framework/reactor.hpp>

namespace troupe::framework {

/// Options of a runtime.
struct runtime_options {
  executor_options executor;
  fiber_options fibers;
};

/// The process's engine: a oneTBB worker pool, one epoll reactor with its timers, and the
/// fibers that run on the pool. Messaging contexts and actor systems attach to one.
///
/// stop() is deterministic, in this order: (1) every live fiber is cancelled and waited for;
/// (2) every timer is cancelled and every descriptor watch removed, and the reactor thread
/// joined; (3) every task still queued runs (handlers see their watch removed), then the
/// workers stop. After stop() nothing of the runtime runs and nothing it owns is allocated.
class runtime {
public:
  explicit runtime(runtime_options options = {});
  ~runtime();  ///< stop()
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  executor& exec() noexcept { return exec_; }
  reactor& io() noexcept { return io_; }
  fiber_scheduler& fibers() noexcept { return fibers_; }

  /// Shorthands.
  template <class F>
  void post(F&& f) { exec_.post(std::forward<F>(f)); }
  void spawn(std::function<void()> body) { fibers_.spawn(std::move(body)); }

  /// See the class comment. Call from a thread that is not a worker or fiber. Idempotent.
  void stop() noexcept;

private:
  executor exec_;
  reactor io_;
  fiber_scheduler fibers_;
  bool stopped_ = false;
};

}  // namespace troupe::framework
