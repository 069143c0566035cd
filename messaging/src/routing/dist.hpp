#pragma once
// Distribute: one message to many pipes (PUB, XPUB, and XSUB's subscriptions upstream).
// The body is shared, never copied. Pipes are kept in one array:
//   [0, matching_)        chosen for the message being sent,
//   [matching_, active_)  have room,
//   [active_, size)       blocked at their HWM: they miss messages (PUB drops) until writable.

#include "pipe/pipe.hpp"
#include "socket_base.hpp"

#include <vector>

namespace troupe::messaging::internal {

class dist {
public:
  void attach(pipe_end& p);
  void activated(pipe_end& p) noexcept;
  void terminated(pipe_end& p) noexcept;

  /// Chooses `p` for the next message (call before its first part).
  void match(pipe_end& p) noexcept;
  void match_all() noexcept { matching_ = active_; }
  void unmatch() noexcept { matching_ = 0; }

  /// Sends one part to the chosen pipes (or, inside a multipart message, to the same ones).
  /// Always consumes `m`; pipes that are full at the first part miss the whole message.
  void send_to_matching(message& m);
  /// True if every chosen pipe has room now (XPUB_NODROP asks before sending).
  bool matching_have_room() noexcept;
  /// True if no pipe is full now (a pipe whose peer left does not count): then no message can
  /// find a chosen pipe without room (XPUB_NODROP's writable). A full pipe found here will
  /// report `writable`. O(pipes).
  bool all_have_room() noexcept;
  bool has_out() const noexcept { return true; }
  std::size_t size() const noexcept { return pipes_.size(); }
  pipe_end& at(std::size_t i) noexcept { return *pipes_[i]; }

private:
  void swap_slots(std::size_t i, std::size_t j) noexcept;
  void deactivate(std::size_t i) noexcept;

  std::vector<pipe_end*> pipes_;
  std::size_t matching_ = 0;
  std::size_t active_ = 0;
  bool more_ = false;
};

}  // namespace troupe::messaging::internal
