#pragma once
// Shared state of a waiter. See waiter.hpp for the contract and waiter.cpp for the protocol.

#include <troupe/framework/ref_counted.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace troupe::framework {
class fiber;
}

namespace troupe::framework::internal {

class wait_core final : public ref_counted {
public:
  enum state_t : std::uint32_t { empty, waiting, notified, timed_out, cancelled };

  explicit wait_core(fiber* f) noexcept;
  ~wait_core() override;

  /// Ends the wait with `how` if nothing ended it yet; wakes the waiting side. Thread-safe.
  bool finish(state_t how) noexcept;
  state_t state() const noexcept { return static_cast<state_t>(state_.load(std::memory_order_acquire)); }

  /// The waiting side. Returns the final state (notified, timed_out or cancelled).
  state_t wait_until(const std::chrono::steady_clock::time_point* deadline) noexcept;

private:
  state_t wait_thread(const std::chrono::steady_clock::time_point* deadline) noexcept;
  state_t wait_fiber(const std::chrono::steady_clock::time_point* deadline) noexcept;

  std::atomic<std::uint32_t> state_{empty};
  fiber* fiber_;  // referenced; nullptr when the waiting side is a plain thread
};

}  // namespace troupe::framework::internal
