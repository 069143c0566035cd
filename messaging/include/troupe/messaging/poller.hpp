#pragma once
/// Poller: waits until any of several sockets and raw descriptors is ready, or a timeout.

#include <troupe/framework/reactor.hpp>
#include <troupe/messaging/socket.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace troupe::messaging {

namespace internal { struct poller_wake; }

/// Readiness bits, as ZMQ_POLLIN, ZMQ_POLLOUT and ZMQ_POLLERR.
enum class poll_events : unsigned {
  none = 0,
  in = 1,   ///< a socket: a whole message can be received; a descriptor: POLLIN
  out = 2,  ///< a socket: a message can be sent without blocking; a descriptor: POLLOUT
  err = 4,  ///< descriptors only: error or hang-up (always reported, never needs asking for)
};
constexpr poll_events operator|(poll_events a, poll_events b) noexcept {
  return static_cast<poll_events>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr poll_events operator&(poll_events a, poll_events b) noexcept {
  return static_cast<poll_events>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}
constexpr bool any(poll_events e) noexcept { return e != poll_events::none; }

/// A timeout meaning "until something is ready".
inline constexpr std::chrono::milliseconds poll_forever{-1};

/// One ready item reported by poller::wait().
struct poll_event {
  socket* sock = nullptr;  ///< the socket, or nullptr for a descriptor
  int fd = -1;             ///< the descriptor, or -1 for a socket
  poll_events events = poll_events::none;  ///< what is ready (of what was asked, plus err)
  void* user_data = nullptr;               ///< as given to add() / add_fd()
};

/// Waits on sockets and raw file descriptors for readability and writability, as
/// zmq_poller does.
///
/// A socket is `in` when readable() says so (a whole message is there: parts are published
/// together) and `out` when writable() does (a send would not block: room below the HWM, or a
/// type that drops instead; a ROUTER with ROUTER_MANDATORY while some peer has room, as libzmq;
/// an XPUB with XPUB_NODROP while no subscriber is full). A descriptor is checked with poll(2).
///
/// Waiting never spins and never sleeps in a loop: each socket is handed a one-shot
/// framework::waiter that its next event notifies, and each descriptor is watched by the
/// reactor (edge-triggered), which notifies the same waiter. Called from a fiber the wait
/// suspends the fiber and frees its worker; from a plain thread it blocks the thread.
///
/// Threads: a poller is used by one thread at a time, and that thread is then the user of
/// every socket in it (the one-thread-at-a-time rule of socket). Sockets and descriptors must
/// stay open (and sockets at the same address) while they are in the poller; remove a
/// descriptor before closing it.
///
/// Reactor: descriptors are watched by the reactor given at construction, or else by the
/// runtime of the first socket added. A poller with descriptors only and no reactor blocks in
/// poll(2) on a thread, and throws errc::invalid_argument on a fiber (it would block the
/// worker).
class poller {
public:
  poller();
  /// A poller that watches its descriptors with `io` (which must outlive it).
  explicit poller(framework::reactor& io);
  ~poller();
  poller(poller&&) noexcept;
  poller& operator=(poller&&) noexcept;
  poller(const poller&) = delete;
  poller& operator=(const poller&) = delete;

  /// Adds a socket. Throws errc::invalid_argument if it is already in.
  void add(socket& s, poll_events events, void* user_data = nullptr);
  /// Changes what a socket is polled for. Throws errc::invalid_argument if it is not in.
  void modify(socket& s, poll_events events);
  /// Removes a socket. Throws errc::invalid_argument if it is not in.
  void remove(socket& s);

  /// Adds a descriptor (not owned). Throws errc::invalid_argument if negative or already in.
  void add_fd(int fd, poll_events events, void* user_data = nullptr);
  void modify_fd(int fd, poll_events events);
  void remove_fd(int fd);

  /// Sockets and descriptors in the poller.
  std::size_t size() const noexcept;

  /// Waits until at least one item is ready or `timeout` passes (poll_forever: no limit;
  /// zero: just look). Fills `ready` (cleared first) with every ready item, sockets first in
  /// the order added, and returns how many; 0 means the timeout passed.
  ///
  /// Throws errc::terminated if a socket's context was terminated (also while waiting),
  /// errc::socket_closed if a socket was closed, errc::invalid_argument to wait forever on an
  /// empty poller, framework::fiber_cancelled if the runtime stops under a waiting fiber.
  std::size_t wait(std::vector<poll_event>& ready, std::chrono::milliseconds timeout);

private:
  struct socket_item {
    socket* sock;
    poll_events events;
    void* user_data;
  };
  struct fd_item {
    int fd;
    poll_events events;
    void* user_data;
    framework::io_watch_handle watch;  // made at the first wait that needs it
  };

  std::size_t check(std::vector<poll_event>& ready);  // clears `ready`
  void check_fds(std::vector<poll_event>& ready, int timeout_ms);  // appends; poll(2)'s timeout
  void disarm() noexcept;
  bool arm_descriptors();  // false: no reactor to watch them with
  framework::reactor* reactor_for_descriptors() const;
  std::vector<socket_item>::iterator find(const socket& s);
  std::vector<fd_item>::iterator find_fd(int fd);
  void check_terminated() const;

  framework::reactor* io_ = nullptr;
  std::vector<socket_item> sockets_;
  std::vector<fd_item> fds_;
  std::shared_ptr<internal::poller_wake> wake_;  // shared with the descriptor watches
};

/// One entry of poll(): a socket or a descriptor, what to wait for, and what was seen.
struct poll_item {
  socket* sock = nullptr;  ///< a socket, or nullptr to use `fd`
  int fd = -1;
  poll_events events = poll_events::none;
  poll_events revents = poll_events::none;  ///< set by poll()
};

/// zmq_poll in one call: waits as poller::wait() does, sets each item's revents and returns
/// the number of items with any. Each socket and descriptor may appear once. A
/// descriptor-only call waits in poll(2) (on a thread; a fiber needs a poller with a reactor).
std::size_t poll(std::span<poll_item> items, std::chrono::milliseconds timeout);

}  // namespace troupe::messaging
