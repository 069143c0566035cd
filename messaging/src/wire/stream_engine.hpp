#pragma once
// ZMTP 3.x over one connected stream socket (tcp or ipc). One engine per connection; it runs
// entirely in the strand of its descriptor's reactor watch (readiness, pipe events and timers
// all funnel into that one handler), so it never runs on two threads at once and needs no lock.
//
// Life: greeting -> READY exchange (socket types checked, peer Identity learnt) -> attached to
// its session (wire/session.hpp), whose pipe joins it to the socket -> messages both ways,
// commands handled here (SUBSCRIBE/CANCEL <-> subscription messages, PING/PONG) -> closed, for
// a reason that is logged and sent to the monitor. A protocol violation closes this connection
// only. When the socket lets go (close, disconnect, unbind) the engine keeps reading its pipe
// and writing until the pipe has ended and everything is written, or LINGER runs out.

#include <troupe/framework/reactor.hpp>
#include <troupe/framework/timer.hpp>
#include <troupe/messaging/socket_type.hpp>

#include "pipe/pipe.hpp"
#include "socket_options.hpp"
#include "wire/session.hpp"
#include "wire/write_queue.hpp"
#include "zmtp/decoder.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::messaging::internal {

class socket_base;

class stream_engine final : public pipe_owner {
public:
  /// Called (on the engine's strand) once the connection is gone, with the reason; a
  /// connecter uses it to schedule a reconnect.
  using closed_fn = std::function<void(std::string_view reason, bool handshake_done)>;

  /// Takes ownership of the connected, non-blocking descriptor `fd`. `opts` is a snapshot of
  /// the socket's options taken on its thread.
  static framework::ref_ptr<stream_engine> start(const socket_options& opts, int fd,
                                                 framework::ref_ptr<stream_session> session, closed_fn on_closed);

  /// Any thread: the socket is letting go (close, disconnect, unbind). With LINGER 0, or with
  /// nothing that could be queued yet, the connection closes now; otherwise it delivers what
  /// the socket left, for at most LINGER ms if positive.
  void shutdown() noexcept;
  /// Any thread: closes now, dropping whatever is still queued (LINGER ran out).
  void abort() noexcept;

  void on_pipe_event(pipe_end& end, pipe_event ev) noexcept override;
  ~stream_engine() override;

private:
  enum class phase { greeting, ready, active, closed };

  stream_engine(const socket_options& opts, int fd, framework::ref_ptr<stream_session> session, closed_fn on_closed);

  void handle(framework::io_events ev) noexcept;
  void run_once() noexcept;
  // The steps of run_once(). They may throw (std::bad_alloc: a peer's input or our output
  // needs memory we cannot get); run_once() then closes this connection only.
  void run_rounds();
  bool read_socket();   // false: closed
  void note_read(std::size_t got, std::size_t asked) noexcept;
  bool consume_input(); // false: closed
  bool on_greeting_bytes();
  bool on_frame(message&& m);
  bool on_command(const message& m);
  bool deliver(message&& m);
  void pull_from_pipe();
  void queue_frame(message&& m);
  bool write_socket();
  void become_active(std::string peer_identity);
  void begin_linger() noexcept;
  /// How a connection ends: decides what the peer sees and what becomes of the messages it
  /// sent that the socket has not read yet.
  enum class ending {
    broken,     // reset, error, protocol violation, silence: the peer's queue is destroyed
    peer_done,  // the peer ended its stream between whole messages: what it sent stays readable
    ours,       // our socket let go and what it left is written: an orderly end (FIN)
    dropped,    // our socket dropped it (LINGER 0 or expired): the peer must see it broken
  };
  /// `monitor_event` 0: our own side closed (no event). Any other is followed by DISCONNECTED,
  /// as libzmq does. Never throws, whatever memory is left.
  void close(std::string_view reason, int monitor_event, ending how = ending::broken) noexcept;
  /// The peer closed its stream: an orderly end if it stopped between whole messages.
  void close_at_end_of_stream() noexcept;
  /// Makes the peer see a broken connection rather than an orderly end: a reset over tcp; over
  /// ipc, which has none, a stream that ends inside a frame.
  void break_connection() noexcept;
  void tick();
  framework::timer start_timer(std::chrono::milliseconds after, bool periodic);

  framework::ref_ptr<stream_session> session_;
  socket_base& sock_;  // kept alive by session_
  socket_options opts_;
  socket_type type_;
  int fd_;
  const std::string& endpoint_;  // the session's
  closed_fn on_closed_;
  framework::io_watch_handle watch_;
  framework::ref_ptr<stream_engine> self_;  // keeps us alive while the connection is open

  phase phase_ = phase::greeting;
  std::uint8_t peer_minor_ = 0;
  bool sock_readable_ = true;  // edge-triggered: assume ready until EAGAIN
  bool sock_writable_ = true;
  bool watching_writable_ = false;  // writable is in the watch's interest (only while blocked)
  bool peer_hung_up_ = false;       // the watch reported a hang-up: read until recv() says 0
  bool after_large_frame_ = false;  // the last frame read was large: read little at the next boundary
  std::uint64_t progress_ = 0;  // bumped per read, write and message pulled: run_once's rounds
  std::atomic<bool> started_{false};  // start() has set watch_ and the timers
  std::atomic<bool> wake_pending_{false};
  // When bytes were last written (clock ticks): read by on_pipe_event() on the socket's
  // thread to choose between writing there and waking a worker.
  std::atomic<framework::clock::rep> last_write_{0};
  static constexpr std::chrono::microseconds inline_send_after{20};
  std::atomic<bool> tick_pending_{false};
  std::atomic<bool> shutdown_requested_{false};
  std::atomic<bool> abort_requested_{false};
  bool lingering_ = false;  // shutdown seen (strand)
  bool let_go_ = false;     // our pipe read `ended`: the socket closed its end (strand)

  // Input.
  std::vector<std::byte> in_;
  std::size_t in_begin_ = 0, in_end_ = 0;
  zmtp::decoder decoder_;
  message held_;           // a message part waiting for room in the pipe
  bool have_held_ = false;
  framework::clock::time_point last_input_;
  framework::clock::time_point handshake_deadline_;
  framework::clock::time_point linger_deadline_;
  std::uint32_t peer_ttl_ms_ = 0;

  // Output.
  write_queue out_;
  bool out_more_ = false;  // inside a multipart message from the pipe
  bool in_more_ = false;   // inside a multipart message from the peer

  pipe_end* end_ = nullptr;  // our end of the session's pipe, once attached

  framework::timer handshake_timer_;
  framework::timer heartbeat_timer_;
  framework::timer linger_timer_;
};

}  // namespace troupe::messaging::internal
