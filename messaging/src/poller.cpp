// The poller's wait: look at everything; if nothing is ready, hand one fresh waiter to every
// socket (socket_base::add_waiter) and to the descriptor watches, look again (whatever became
// ready before the waiter was handed out has no event left to wake us), then block on the
// waiter. Every wake-up, useful or not, leads back to a full look.
#include <troupe/messaging/poller.hpp>

#include "context_core.hpp"
#include "socket_base.hpp"

#include <troupe/framework/fiber.hpp>
#include <troupe/framework/runtime.hpp>
#include <troupe/framework/waiter.hpp>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <optional>
#include <system_error>

namespace troupe::messaging {
namespace internal {

// The waiter of the wait in progress, if any. Descriptor watches notify it from reactor tasks.
struct poller_wake {
  std::mutex mutex;
  std::optional<framework::waiter> current;

  void notify() noexcept {
    std::lock_guard lock(mutex);
    if (current) current->notify();
  }
  void set(const framework::waiter& w) {
    std::lock_guard lock(mutex);
    current = w;
  }
  void reset() noexcept {
    std::lock_guard lock(mutex);
    current.reset();
  }
};

}  // namespace internal

namespace {

framework::io_events io_interest(poll_events e) noexcept {
  framework::io_events r = framework::io_events::none;
  if (any(e & poll_events::in)) r = r | framework::io_events::readable;
  if (any(e & poll_events::out)) r = r | framework::io_events::writable;
  return r;
}

short poll_bits(poll_events e) noexcept {
  short r = 0;
  if (any(e & poll_events::in)) r |= POLLIN;
  if (any(e & poll_events::out)) r |= POLLOUT;
  return r;
}

poll_events from_revents(short r, poll_events asked) noexcept {
  poll_events e = poll_events::none;
  if ((r & POLLIN) != 0 && any(asked & poll_events::in)) e = e | poll_events::in;
  if ((r & POLLOUT) != 0 && any(asked & poll_events::out)) e = e | poll_events::out;
  if ((r & (POLLERR | POLLHUP | POLLNVAL)) != 0) e = e | poll_events::err;
  return e;
}

template <class F>
struct scope_exit {
  F fn;
  ~scope_exit() { fn(); }
};
template <class F>
scope_exit(F) -> scope_exit<F>;

}  // namespace

poller::poller() = default;
poller::poller(framework::reactor& io) : io_(&io) {}
poller::~poller() = default;
poller::poller(poller&&) noexcept = default;
poller& poller::operator=(poller&&) noexcept = default;

std::vector<poller::socket_item>::iterator poller::find(const socket& s) {
  return std::find_if(sockets_.begin(), sockets_.end(), [&](const socket_item& i) { return i.sock == &s; });
}

std::vector<poller::fd_item>::iterator poller::find_fd(int fd) {
  return std::find_if(fds_.begin(), fds_.end(), [&](const fd_item& i) { return i.fd == fd; });
}

void poller::add(socket& s, poll_events events, void* user_data) {
  if (s.closed()) throw error(errc::socket_closed, "poller: cannot add a closed socket");
  if (find(s) != sockets_.end()) throw error(errc::invalid_argument, "poller: the socket is already in the poller");
  sockets_.push_back(socket_item{&s, events, user_data});
}

void poller::modify(socket& s, poll_events events) {
  auto it = find(s);
  if (it == sockets_.end()) throw error(errc::invalid_argument, "poller: modify of a socket not in the poller");
  it->events = events;
}

void poller::remove(socket& s) {
  auto it = find(s);
  if (it == sockets_.end()) throw error(errc::invalid_argument, "poller: remove of a socket not in the poller");
  sockets_.erase(it);
}

void poller::add_fd(int fd, poll_events events, void* user_data) {
  if (fd < 0) throw error(errc::invalid_argument, "poller: bad descriptor " + std::to_string(fd));
  if (find_fd(fd) != fds_.end())
    throw error(errc::invalid_argument, "poller: descriptor " + std::to_string(fd) + " is already in the poller");
  fds_.push_back(fd_item{fd, events, user_data, {}});
}

void poller::modify_fd(int fd, poll_events events) {
  auto it = find_fd(fd);
  if (it == fds_.end())
    throw error(errc::invalid_argument, "poller: modify of descriptor " + std::to_string(fd) + ", not in the poller");
  it->events = events;
  if (it->watch) it->watch.modify(io_interest(events));
}

void poller::remove_fd(int fd) {
  auto it = find_fd(fd);
  if (it == fds_.end())
    throw error(errc::invalid_argument, "poller: remove of descriptor " + std::to_string(fd) + ", not in the poller");
  it->watch.remove();  // no handler call runs past this point
  fds_.erase(it);
}

std::size_t poller::size() const noexcept { return sockets_.size() + fds_.size(); }

void poller::check_terminated() const {
  for (const socket_item& i : sockets_)
    if (i.sock->base().ctx().terminated()) throw error(errc::terminated, "poller: the context was terminated");
}

framework::reactor* poller::reactor_for_descriptors() const {
  if (io_) return io_;
  if (!sockets_.empty()) return &sockets_.front().sock->base().ctx().rt().io();
  return nullptr;
}

bool poller::arm_descriptors() {
  if (fds_.empty()) return true;
  framework::reactor* io = reactor_for_descriptors();
  if (!io) return false;
  for (fd_item& i : fds_) {
    if (i.watch) continue;
    // Kept until remove_fd(): edge-triggered, so it fires on each new readiness, and a
    // readiness that predates the watch is seen by the look that follows arming.
    i.watch = io->watch(i.fd, io_interest(i.events), [wake = wake_](framework::io_events) { wake->notify(); });
  }
  return true;
}

std::size_t poller::check(std::vector<poll_event>& ready) {
  ready.clear();
  check_terminated();
  for (const socket_item& i : sockets_) {
    poll_events seen = poll_events::none;
    if (any(i.events & poll_events::in) && i.sock->readable()) seen = seen | poll_events::in;
    if (any(i.events & poll_events::out) && i.sock->writable()) seen = seen | poll_events::out;
    if (any(seen)) ready.push_back(poll_event{i.sock, -1, seen, i.user_data});
  }
  if (!fds_.empty()) check_fds(ready, 0);
  return ready.size();
}

void poller::check_fds(std::vector<poll_event>& ready, int timeout_ms) {
  constexpr std::size_t on_stack = 16;
  pollfd stack_fds[on_stack];
  std::vector<pollfd> heap_fds;
  pollfd* pfds = stack_fds;
  if (fds_.size() > on_stack) {
    heap_fds.resize(fds_.size());
    pfds = heap_fds.data();
  }
  for (std::size_t k = 0; k < fds_.size(); ++k) pfds[k] = pollfd{fds_[k].fd, poll_bits(fds_[k].events), 0};
  int n;
  do {
    n = ::poll(pfds, fds_.size(), timeout_ms);
  } while (n < 0 && errno == EINTR && timeout_ms == 0);
  if (n < 0) {
    if (errno == EINTR) return;  // a signal: the caller looks again
    throw std::system_error(errno, std::generic_category(), "poller: poll(2) failed");
  }
  for (std::size_t k = 0; k < fds_.size() && n > 0; ++k) {
    const poll_events seen = from_revents(pfds[k].revents, fds_[k].events);
    if (any(seen)) ready.push_back(poll_event{nullptr, fds_[k].fd, seen, fds_[k].user_data});
  }
}

void poller::disarm() noexcept {
  if (wake_) wake_->reset();
  for (const socket_item& i : sockets_)
    if (!i.sock->closed()) i.sock->base().clear_waiters();
}

std::size_t poller::wait(std::vector<poll_event>& ready, std::chrono::milliseconds timeout) {
  using framework::clock;
  if (sockets_.empty() && fds_.empty() && timeout < std::chrono::milliseconds::zero())
    throw error(errc::invalid_argument, "poller: waiting forever on an empty poller");
  std::optional<clock::time_point> deadline;
  if (timeout >= std::chrono::milliseconds::zero()) deadline = clock::now() + timeout;
  for (;;) {
    if (check(ready) != 0 || timeout == std::chrono::milliseconds::zero()) return ready.size();
    if (deadline && clock::now() >= *deadline) return 0;
    if (sockets_.empty() && !fds_.empty() && !reactor_for_descriptors()) {
      // Descriptors only and no reactor: poll(2) is the wait, which a fiber must not do.
      if (framework::this_fiber::inside())
        throw error(errc::invalid_argument,
                    "poller: waiting on descriptors only from a fiber needs a reactor (poller(reactor&))");
      int ms = -1;
      if (deadline) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - clock::now());
        ms = static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, left.count()));
      }
      ready.clear();
      check_fds(ready, ms);
      if (!ready.empty()) return ready.size();
      continue;
    }
    if (!wake_) wake_ = std::make_shared<internal::poller_wake>();
    framework::waiter w;
    scope_exit guard{[this]() noexcept { disarm(); }};
    wake_->set(w);
    for (const socket_item& i : sockets_)
      if (any(i.events)) i.sock->base().add_waiter(w);
    arm_descriptors();
    if (check(ready) != 0) return ready.size();
    if (!deadline) {
      w.wait();
    } else if (w.wait_until(*deadline) == framework::wait_result::timed_out) {
      return check(ready);  // one last look: readiness racing with the deadline counts
    }
  }
}

std::size_t poll(std::span<poll_item> items, std::chrono::milliseconds timeout) {
  poller p;
  for (poll_item& i : items) {
    i.revents = poll_events::none;
    if (i.sock) {
      p.add(*i.sock, i.events, &i);
    } else {
      p.add_fd(i.fd, i.events, &i);
    }
  }
  std::vector<poll_event> ready;
  const std::size_t n = p.wait(ready, timeout);
  for (const poll_event& e : ready) static_cast<poll_item*>(e.user_data)->revents = e.events;
  return n;
}

}  // namespace troupe::messaging
