#pragma once
/// Executor: a fixed pool of workers (a oneTBB task_arena) that runs small tasks.

#include <troupe/framework/log.hpp>
#include <troupe/framework/task.hpp>

#include <cstdint>
#include <memory>
#include <utility>

namespace troupe::framework {

/// Options of an executor.
struct executor_options {
  /// Number of worker threads; 0 means one per hardware thread.
  int concurrency = 0;
};

/// A pool of worker threads (a oneTBB task_arena with no slots reserved for outside threads)
/// that runs task_nodes in roughly FIFO order. submit() and post() are safe from any thread,
/// including workers. There is no thread per actor, socket or connection: everything runs here.
///
/// Shutdown: shutdown() waits until every submitted task (and every task those tasks submit)
/// has run, then releases the arena. Submitting after shutdown() has returned is a bug.
class executor {
public:
  explicit executor(executor_options options = {});
  ~executor();
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;

  /// Number of workers.
  int concurrency() const noexcept;

  /// Queues `t` to run once on a worker. Allocation-free on our side (oneTBB pools its task
  /// objects). `t` must stay alive until its run() returns.
  void submit(task_node& t) noexcept;

  /// Queues a callable (allocates one node). An exception thrown by `f` is reported on stderr
  /// and otherwise ignored: tasks have nobody to return an error to.
  template <class F>
  void post(F&& f) {
    struct node final : task_node {
      explicit node(F&& fn) : fn_(std::forward<F>(fn)) {}
      void run() noexcept override {
        std::unique_ptr<node> self(this);
        try {
          fn_();
        } catch (...) {
          log_exception("task posted to the executor", std::current_exception());
        }
      }
      std::decay_t<F> fn_;
    };
    submit(*new node(std::forward<F>(f)));
  }

  /// Blocks the calling (non-worker) thread until no task is queued or running.
  void wait_idle() noexcept;

  /// Tasks queued or running now (a snapshot).
  std::int64_t outstanding() const noexcept;

  /// Drains all work (see class comment) and stops the workers. Idempotent.
  void shutdown() noexcept;

  /// The executor whose worker runs the calling thread, or nullptr on any other thread.
  static executor* current() noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace troupe::framework
