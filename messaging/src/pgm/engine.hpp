#pragma once
// The wire side of a pgm:// or epgm:// endpoint of a PUB/XPUB (a sender) or SUB/XSUB (a
// receiver): one OpenPGM socket and one pipe to the socket, made at bind/connect (both mean
// the same for multicast, as in libzmq) and kept until unbind/disconnect/close.
//
// Threads: everything runs in one strand, the handler of the watch on OpenPGM's receive
// descriptor. OpenPGM's other descriptors (pending data, repairs to send, room to send) have
// watches of their own whose handlers only wake that strand; so do the pipe's events, the
// timers OpenPGM asks for (PGM_TIME_REMAIN: NAKs, SPMs, repairs; PGM_RATE_REMAIN: RATE) and
// stop(). OpenPGM is never entered from two threads at once, and starts no thread itself.

#include "pgm/socket.hpp"
#include "pipe/pipe.hpp"
#include "socket_base.hpp"

#include <troupe/framework/reactor.hpp>
#include <troupe/framework/timer.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace troupe::messaging::internal::pgm {

class engine : public pipe_owner {
public:
  /// Socket's thread: opens the OpenPGM socket (throws messaging::error naming the endpoint),
  /// makes the pipe, attaches the socket's end and starts watching. `bound`: made by bind().
  static framework::ref_ptr<engine> start(socket_base& s, std::string endpoint, std::string_view address, bool udp,
                                          bool bound);

  /// Any thread: the socket lets go. A sender goes on until what the socket queued is sent
  /// (for at most LINGER ms if positive; at once with LINGER 0); a receiver stops now.
  void stop() noexcept;
  void on_pipe_event(pipe_end& end, pipe_event ev) noexcept override;
  ~engine() override;

protected:
  engine(socket_base& s, std::string endpoint, std::unique_ptr<socket> sock);
  /// One bounded run in the strand; true if there is more to do at once.
  virtual bool run() = 0;
  virtual void attached() {}
  /// One pgm_recvmsg (MSG_ERRQUEUE: loss is reported with the source's TSI). When OpenPGM
  /// says it has timers or a rate limit pending, schedules the next run for them.
  int receive(pgm_msgv_t& msgv) noexcept;
  /// Asks to run again in `ms` (OpenPGM's timers, RATE); the earliest request wins.
  void run_in(int ms) noexcept;
  /// Strand: ends this endpoint (watches, timers, OpenPGM socket, pipe end).
  void close(std::string_view why) noexcept;

  framework::ref_ptr<socket_base> sock_;
  socket_options opts_;
  std::string endpoint_;
  std::unique_ptr<socket> pgm_;
  pipe_end* end_ = nullptr;  // ours; the socket has the other
  bool closed_ = false;
  std::atomic<bool> stop_requested_{false};

private:
  void handle() noexcept;
  void watch_all(const std::vector<std::pair<int, framework::io_events>>& fds);

  framework::ref_ptr<pipe> pipe_;
  framework::io_watch_handle watch_;               // the strand
  std::vector<framework::io_watch_handle> others_;  // wake the strand
  framework::timer timer_;
  framework::clock::time_point timer_due_{};
  std::atomic<bool> started_{false};
  std::atomic<bool> pipe_woke_{false};  // a pipe event since the last run
  framework::ref_ptr<engine> self_;  // alive while open
};

/// The socket's handle on an engine (unbind/disconnect/close stop it).
class endpoint final : public endpoint_object {
public:
  explicit endpoint(framework::ref_ptr<engine> e) : engine_(std::move(e)) {}
  void stop() noexcept override { engine_->stop(); }

private:
  framework::ref_ptr<engine> engine_;
};

}  // namespace troupe::messaging::internal::pgm
