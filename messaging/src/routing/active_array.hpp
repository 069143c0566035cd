#pragma once
// The pipe array every routing part keeps: [0, active) are usable now (room to write, or
// something to read), the rest wait for an event. Each pipe remembers its slot in its own
// field (lb_slot, fq_slot, ...) so moves are O(1).

#include "pipe/pipe.hpp"

#include <cstddef>
#include <utility>
#include <vector>

namespace troupe::messaging::internal {

template <std::size_t pipe_end::*Slot>
class active_array {
public:
  std::size_t size() const noexcept { return pipes_.size(); }
  std::size_t active() const noexcept { return active_; }
  pipe_end& operator[](std::size_t i) const noexcept { return *pipes_[i]; }

  /// Adds `p` as active.
  void attach(pipe_end& p) {
    p.*Slot = pipes_.size();
    pipes_.push_back(&p);
    swap_slots(p.*Slot, active_);
    ++active_;
  }
  /// Makes `p` active again (after its event). No-op if unknown or already active.
  void activate(pipe_end& p) noexcept {
    if (p.*Slot == SIZE_MAX || p.*Slot < active_) return;
    swap_slots(p.*Slot, active_);
    ++active_;
  }
  /// Moves the active pipe in slot i out of the active range.
  void deactivate(std::size_t i) noexcept {
    --active_;
    swap_slots(i, active_);
  }
  /// Forgets `p`; returns its old slot (SIZE_MAX if unknown) and whether it was active.
  std::pair<std::size_t, bool> remove(pipe_end& p) noexcept {
    std::size_t i = p.*Slot;
    if (i == SIZE_MAX) return {SIZE_MAX, false};
    const std::size_t old = i;
    const bool was_active = i < active_;
    if (was_active) {
      deactivate(i);
      i = active_;
    }
    swap_slots(i, pipes_.size() - 1);
    pipes_.pop_back();
    p.*Slot = SIZE_MAX;
    return {old, was_active};
  }
  void swap_slots(std::size_t i, std::size_t j) noexcept {
    if (i == j) return;
    std::swap(pipes_[i], pipes_[j]);
    pipes_[i]->*Slot = i;
    pipes_[j]->*Slot = j;
  }

private:
  std::vector<pipe_end*> pipes_;
  std::size_t active_ = 0;
};

}  // namespace troupe::messaging::internal
