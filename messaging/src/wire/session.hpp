#pragma once
// The socket's side of one tcp/ipc peer: the pipe between the socket and the wire, which
// outlives any one connection (libzmq's session). A connecter makes its session at connect()
// and, unless IMMEDIATE or a ROUTER, its pipe at once (RFC 28-31: a queue exists while the
// connection is being made or re-made, so sends queue up to the HWM); every connection's engine
// attaches to it after its handshake and detaches when the connection goes, and the pipe stays
// with the socket. An accepted connection has a session of its own whose pipe lives and dies
// with that one connection, as does a connecter's with IMMEDIATE or a ROUTER.
//
// Threads: make() runs on the socket's thread. The pipe end and the subscription sets are used
// by the attached engine's strand only (one engine at a time; attach/detach take mutex_, which
// orders one engine's use before the next's), or by the connecter under its own lock when no
// engine is attached. on_pipe_event() comes from the socket's thread and is forwarded to the
// attached engine.

#include <troupe/messaging/socket_type.hpp>

#include "pipe/pipe.hpp"

#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace troupe::messaging::internal {

class socket_base;
struct socket_options;
class stream_engine;

class stream_session final : public pipe_owner {
public:
  /// Socket's thread. A persistent session (a connecter's, not IMMEDIATE, not a ROUTER) makes
  /// its pipe now and attaches the socket's end on the spot.
  static framework::ref_ptr<stream_session> make(socket_base& s, const socket_options& o, std::string endpoint,
                                                 bool initiated_here);

  bool persistent() const noexcept { return persistent_; }
  const std::string& endpoint() const noexcept { return endpoint_; }
  socket_base& sock() const noexcept { return *sock_; }

  // ---- the attached engine's strand ----

  /// The handshake is done: returns the engine's end of the pipe (made now unless persistent,
  /// and then handed to the socket), or nullptr if it could not be made.
  pipe_end* attach(stream_engine& e, std::string peer_identity) noexcept;
  /// The connection is gone. An unfinished inbound message is taken back (the receiver never
  /// sees half a message). `peer_lost`: the connection broke (reset, error, protocol error,
  /// silence) rather than ending in order: the pipe is closed with what the peer sent and the
  /// socket has not read (discarded) and what was queued for it; a persistent session starts a
  /// new, empty pipe. Otherwise a persistent pipe drops the rest of an outbound message the
  /// engine had begun (`out_mid_message`) and withdraws the lost peer's subscriptions from a
  /// publisher; any other pipe is closed, what the peer sent staying readable.
  /// `socket_let_go`: the socket closed its end.
  void detach(bool out_mid_message, bool socket_let_go, bool peer_lost) noexcept;

  /// Subscriber side: a (un)subscription the engine sent upstream; the set is re-sent to each
  /// new connection (libzmq's "hiccup", without waiting for the socket's user).
  void sent_subscription(bool subscribe, std::string_view topic) noexcept;
  const std::set<std::string, std::less<>>& sent_subscriptions() const noexcept { return sent_; }
  /// Publisher side: a (un)subscription the peer made, withdrawn when the connection goes.
  void got_subscription(bool subscribe, std::string_view topic) noexcept;

  // ---- the connecter, with no engine attached ----

  /// Messages are queued for the peer (read side of our end; no engine may be attached).
  bool has_queued() noexcept;
  /// Gives up on the peer: closes our end, dropping what was queued. Idempotent.
  void abandon() noexcept;

  // ---- any thread ----
  void on_pipe_event(pipe_end& end, pipe_event ev) noexcept override;

private:
  stream_session(socket_base& s, std::string endpoint, bool initiated_here, bool persistent, std::uint64_t rcvhwm,
                 std::uint64_t sndhwm, bool conflate);
  bool make_pipe_locked() noexcept;

  framework::ref_ptr<socket_base> sock_;
  std::string endpoint_;
  const bool initiated_here_;
  const bool persistent_;
  const std::uint64_t rcvhwm_, sndhwm_;
  const bool conflate_;

  std::mutex mutex_;  // engine_ (read by on_pipe_event), and the hand-over between engines
  framework::ref_ptr<stream_engine> engine_;

  framework::ref_ptr<pipe> pipe_;
  pipe_end* end_ = nullptr;  // ours (side a); the socket has side b
  std::set<std::string, std::less<>> sent_;  // subscriber: what the peer has been asked for
  std::set<std::string, std::less<>> got_;   // publisher: what the current peer asked for
};

}  // namespace troupe::messaging::internal
