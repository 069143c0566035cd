#pragma once
// Fair-queue: takes messages round-robin from the pipes that have some (PULL, DEALER, REP,
// ROUTER, SUB). A multipart message is read whole from one pipe before moving on.
// Pipes found empty wait outside the active range until a `readable` event.

#include "routing/active_array.hpp"
#include "socket_base.hpp"

namespace troupe::messaging::internal {

class fq {
public:
  explicit fq(socket_base& owner) noexcept : owner_(owner) {}

  void attach(pipe_end& p) { pipes_.attach(p); }
  void activated(pipe_end& p) noexcept { pipes_.activate(p); }  // readable again
  void terminated(pipe_end& p) noexcept;

  /// Receives one part; `again` if none. `from` (if given) is the pipe it came from.
  op_result recv(message& m, pipe_end** from = nullptr);
  bool has_in() noexcept;

private:
  void deactivate_current() noexcept;

  socket_base& owner_;
  active_array<&pipe_end::fq_slot> pipes_;
  std::size_t current_ = 0;
  bool more_ = false;  // inside a multipart message: stay on current_
};

}  // namespace troupe::messaging::internal
