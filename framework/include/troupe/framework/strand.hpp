#pragma once
/// Strand: a schedulable unit that never runs concurrently with itself.

#include <troupe/framework/ref_counted.hpp>
#include <troupe/framework/task.hpp>

#include <atomic>
#include <cstdint>
#include <functional>

namespace troupe::framework {

class executor;

/// A resumable unit of work, the base of actors, connections, fibers and timers.
///
/// schedule() may be called from any thread at any time:
/// - while idle, it queues one run on the executor;
/// - while queued, it does nothing (the queued run will see the new work);
/// - while running, it guarantees exactly one more run after the current one returns.
/// So a wake-up is never lost and on_run() is never entered by two threads at once.
/// A run that was re-scheduled goes to the back of the executor's queue, so a busy strand
/// cannot starve others. A queued or running strand holds a reference to itself.
class strand : public ref_counted, private task_node {
public:
  explicit strand(executor& ex) noexcept : ex_(&ex) {}

  /// Requests a run (see class comment). Thread-safe, lock-free, allocation-free.
  void schedule() noexcept;

  /// True when neither queued nor running (a snapshot).
  bool idle() const noexcept { return state_.load(std::memory_order_acquire) == 0; }

  /// True while on_run() executes (a snapshot).
  bool running() const noexcept { return (state_.load(std::memory_order_seq_cst) & running_bit) != 0; }

  /// True when called from inside this strand's on_run().
  bool running_here() const noexcept;

  executor& exec() const noexcept { return *ex_; }

protected:
  /// The work. Never runs concurrently with itself; all of it happens-after the schedule()
  /// call that caused it.
  virtual void on_run() noexcept = 0;

  /// As schedule(), but when idle the run happens right here on the calling thread instead
  /// of on the executor (a re-run it asks for still goes to the executor). For a caller that
  /// is itself a dispatcher (the reactor thread), never from inside another strand's run.
  void run_here_or_schedule() noexcept;

private:
  void run() noexcept final;

  static constexpr std::uint32_t pending = 1;
  static constexpr std::uint32_t running_bit = 2;
  std::atomic<std::uint32_t> state_{0};
  executor* ex_;
};

/// A strand whose work is a function object.
class function_strand final : public strand {
public:
  function_strand(executor& ex, std::function<void()> fn) : strand(ex), fn_(std::move(fn)) {}

private:
  void on_run() noexcept override;
  std::function<void()> fn_;
};

}  // namespace troupe::framework
