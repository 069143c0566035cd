#pragma once
// Load-balance: each message goes to the next pipe that has room (PUSH, DEALER, REQ).
// Pipes blocked at their HWM wait outside the active range until they report room.

#include "routing/active_array.hpp"
#include "socket_base.hpp"

namespace troupe::messaging::internal {

class lb {
public:
  void attach(pipe_end& p) { pipes_.attach(p); }
  void activated(pipe_end& p) noexcept { pipes_.activate(p); }  // writable again
  void terminated(pipe_end& p) noexcept;

  /// Sends one part. `again` when no pipe has room (nothing consumed). A multipart message
  /// stays on one pipe; if that pipe dies mid-message the rest is dropped.
  op_result send(message& m);
  /// As send(), and tells which pipe took it (REQ needs it).
  op_result send(message& m, pipe_end** chosen);
  bool has_out() noexcept;

private:
  void deactivate_current() noexcept;

  active_array<&pipe_end::lb_slot> pipes_;
  std::size_t current_ = 0;
  bool more_ = false;      // inside a multipart message
  bool dropping_ = false;  // its pipe died: drop the rest
};

}  // namespace troupe::messaging::internal
