#pragma once
// What tcp:// and ipc:// share: a resolved socket address, a listener that accepts and
// starts one ZMTP engine per connection (stream.cpp), and a connecter that connects,
// reconnects with back-off, and starts an engine per successful connection, all feeding one
// session (stream_connecter.cpp).

#include "socket_base.hpp"
#include "socket_options.hpp"

#include <troupe/framework/reactor.hpp>
#include <troupe/framework/timer.hpp>

#include <sys/socket.h>

#include <mutex>
#include <string>
#include <vector>

namespace troupe::messaging::internal {

class stream_engine;
class stream_session;

struct stream_address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  bool tcp = true;  // false: a Unix domain socket
  std::string ipc_path;  // the file to remove at unbind (not for abstract names)

  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const noexcept { return storage.ss_family; }
};

/// Turns an address (after "scheme://") into a socket address; throws messaging::error naming
/// the endpoint and the reason.
using resolver = stream_address (*)(std::string_view endpoint, std::string_view address, bool for_bind);

/// Descriptor options for a fresh connection (TCP_NODELAY, keep-alive, ...).
void apply_stream_options(int fd, const stream_address& a, const socket_options& o) noexcept;

/// "tcp://127.0.0.1:5555" / "ipc:///tmp/x" / "ipc://@name" for a bound descriptor.
std::string describe_bound(int fd, const stream_address& a);

class stream_listener final : public endpoint_object {
public:
  /// Binds and listens; throws messaging::error naming the endpoint (address in use, ...).
  static framework::ref_ptr<stream_listener> start(socket_base& s, const socket_options& o, stream_address a,
                                                   std::string_view endpoint);
  void stop() noexcept override;
  const std::string& bound_endpoint() const noexcept { return endpoint_; }
  ~stream_listener() override;

private:
  stream_listener(socket_base& s, const socket_options& o, stream_address a, int fd, std::string endpoint);
  void on_ready() noexcept;

  framework::ref_ptr<socket_base> sock_;
  socket_options opts_;
  stream_address addr_;
  int fd_;
  std::string endpoint_;
  framework::io_watch_handle watch_;
  std::mutex mutex_;
  bool stopped_ = false;
  std::vector<framework::ref_ptr<stream_engine>> engines_;
};

/// A connecter (stream_connecter.cpp): connects without blocking, retries every RECONNECT_IVL
/// with back-off, and starts an engine per connection, all attached to one session whose pipe
/// the socket holds from connect() on. When the socket lets go with LINGER other than 0, it
/// goes on (re)connecting while messages are queued, until they are written, LINGER runs out
/// or the context terminates; meanwhile the context counts it as an open connection.
///
/// Threads: start() and stop() on the socket's thread; attempts on reactor timers; completions
/// on the connecting descriptor's watch; engine_closed() on the engine's strand. mutex_ guards
/// the state; timers are cancelled and watches removed outside it (their callbacks take it).
class stream_connecter final : public endpoint_object {
public:
  static framework::ref_ptr<stream_connecter> start(socket_base& s, const socket_options& o, resolver r,
                                                    std::string endpoint, std::string address);
  void stop() noexcept override;

private:
  stream_connecter(socket_base& s, const socket_options& o, resolver r, std::string endpoint, std::string address);
  void attempt() noexcept;
  std::string try_connect_locked() noexcept;  // "" on success (connecting), else why not
  void on_connect_ready() noexcept;
  void engine_closed(std::string_view why) noexcept;
  /// Schedules the next attempt; false if there will be none (RECONNECT_IVL -1, runtime gone).
  bool retry_later_locked(std::string_view why) noexcept;
  void closed_attempt_locked(int fd, const std::string& why) noexcept;
  /// Nothing more to do: gives up the session's queue. Call unlocked; idempotent.
  void finish() noexcept;

  framework::ref_ptr<socket_base> sock_;
  socket_options opts_;
  resolver resolve_;
  std::string endpoint_;
  std::string address_;
  framework::ref_ptr<stream_session> session_;
  std::mutex mutex_;
  bool stopped_ = false;    // the socket let go
  bool lingering_ = false;  // stopped, still delivering (counted by the context)
  bool finished_ = false;
  int fd_ = -1;  // connecting descriptor
  stream_address target_;
  framework::io_watch_handle watch_;
  framework::timer retry_timer_;
  framework::timer timeout_timer_;
  framework::timer linger_timer_;
  int current_ivl_ = 0;
  framework::ref_ptr<stream_engine> engine_;
};

}  // namespace troupe::messaging::internal
