#pragma once
/// Pool of fiber stacks: mmap'd once, reused many times.

#include <cstddef>
#include <mutex>
#include <vector>

namespace troupe::framework {

/// A fiber stack: [base, base + size) is usable; the stack grows down from base + size.
struct fiber_stack {
  void* base = nullptr;
  std::size_t size = 0;
};

/// Hands out fixed-size stacks and keeps released ones for reuse (up to `max_cached`), so a
/// fiber spawn in the steady state costs no system call. With `guard_page` each stack has an
/// inaccessible page below it, so an overflow faults instead of corrupting memory (debug
/// builds turn it on by default). Thread-safe.
class stack_pool {
public:
  /// `stack_size` is rounded up to whole pages. Throws std::invalid_argument below 8 KiB.
  stack_pool(std::size_t stack_size, bool guard_page, std::size_t max_cached = 4096);
  ~stack_pool();
  stack_pool(const stack_pool&) = delete;
  stack_pool& operator=(const stack_pool&) = delete;

  /// A stack; throws std::bad_alloc if the system has no memory for it.
  fiber_stack allocate();
  void deallocate(fiber_stack s) noexcept;

  std::size_t stack_size() const noexcept { return size_; }
  bool guard_page() const noexcept { return guard_; }
  /// Stacks kept for reuse right now.
  std::size_t cached() const noexcept;
  /// Stacks handed out and not yet returned.
  std::size_t in_use() const noexcept;

private:
  std::size_t size_;
  std::size_t page_;
  bool guard_;
  std::size_t max_cached_;
  mutable std::mutex mutex_;
  std::vector<fiber_stack> free_;
  std::size_t in_use_ = 0;
};

}  // namespace troupe::framework
