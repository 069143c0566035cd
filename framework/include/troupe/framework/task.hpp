#pragma once
/// The unit the executor runs.

namespace troupe::framework {

/// Intrusive unit of work: the executor queues a pointer, never a copy, so submitting an
/// existing node allocates nothing of ours. Whoever submits keeps the node alive until run()
/// has returned (strands do this with their reference count).
class task_node {
public:
  /// Runs on an executor worker. Must not throw.
  virtual void run() noexcept = 0;

protected:
  ~task_node() = default;
};

}  // namespace troupe::framework
