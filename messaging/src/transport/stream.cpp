#include "transport/stream.hpp"

#include "context_core.hpp"
#include "wire/stream_engine.hpp"

#include <troupe/framework/log.hpp>
#include <troupe/framework/runtime.hpp>
#include <troupe/messaging/monitor.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace troupe::messaging::internal {

void apply_stream_options(int fd, const stream_address& a, const socket_options& o) noexcept {
  if (!a.tcp) return;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // ZMTP batches itself
  if (o.tcp_keepalive >= 0) {
    int on = o.tcp_keepalive;
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    if (on) {
      if (o.tcp_keepalive_cnt > 0) ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &o.tcp_keepalive_cnt, sizeof(int));
      if (o.tcp_keepalive_idle > 0) ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &o.tcp_keepalive_idle, sizeof(int));
      if (o.tcp_keepalive_intvl > 0) ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &o.tcp_keepalive_intvl, sizeof(int));
    }
  }
}

std::string describe_bound(int fd, const stream_address& a) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) ss = a.storage;
  if (!a.tcp) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&ss);
    if (un->sun_path[0] == '\0') return "ipc://@" + std::string(un->sun_path + 1, len - offsetof(sockaddr_un, sun_path) - 1);
    return "ipc://" + std::string(un->sun_path);
  }
  char host[INET6_ADDRSTRLEN] = {};
  int port = 0;
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return "tcp://[" + std::string(host) + "]:" + std::to_string(port);
  }
  const auto* in4 = reinterpret_cast<const sockaddr_in*>(&ss);
  ::inet_ntop(AF_INET, &in4->sin_addr, host, sizeof host);
  port = ntohs(in4->sin_port);
  return "tcp://" + std::string(host) + ":" + std::to_string(port);
}

// ---- listener ----

framework::ref_ptr<stream_listener> stream_listener::start(socket_base& s, const socket_options& o, stream_address a,
                                                           std::string_view endpoint) {
  const int fd = ::socket(a.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw error(errc::invalid_argument, "bind " + std::string(endpoint) + ": socket(): " + std::strerror(errno));
  if (a.tcp) {
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (a.family() == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  } else if (!a.ipc_path.empty()) {
    ::unlink(a.ipc_path.c_str());  // a stale file from a dead process; libzmq does the same
  }
  if (::bind(fd, a.get(), a.length) != 0 || ::listen(fd, o.backlog > 0 ? o.backlog : 100) != 0) {
    const int e = errno;
    ::close(fd);
    throw error(e == EADDRINUSE ? errc::address_in_use : errc::address_not_available,
                "bind " + std::string(endpoint) + ": " + std::strerror(e));
  }
  std::string bound = describe_bound(fd, a);
  framework::ref_ptr<stream_listener> l(new stream_listener(s, o, std::move(a), fd, std::move(bound)));
  stream_listener* raw = l.get();
  l->watch_ = s.ctx().rt().io().watch(fd, framework::io_events::readable, [raw](framework::io_events) { raw->on_ready(); });
  return l;
}

stream_listener::stream_listener(socket_base& s, const socket_options& o, stream_address a, int fd, std::string endpoint)
    : sock_(&s), opts_(o), addr_(std::move(a)), fd_(fd), endpoint_(std::move(endpoint)) {}

stream_listener::~stream_listener() {
  if (fd_ >= 0) ::close(fd_);
}

void stream_listener::on_ready() noexcept {
  for (;;) {
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        sock_->emit_event(monitor_event::accept_failed, errno, endpoint_);
        framework::log(framework::log_level::warning, endpoint_ + ": accept failed: " + std::strerror(errno));
      }
      return;
    }
    apply_stream_options(fd, addr_, opts_);
    sock_->emit_event(monitor_event::accepted, fd, endpoint_);
    std::lock_guard lock(mutex_);
    if (stopped_) {
      ::close(fd);
      return;
    }
    try {
      auto e = stream_engine::start(*sock_, opts_, fd, endpoint_, false, nullptr);
      engines_.push_back(std::move(e));
      // Forget engines whose connection ended (they dropped their self-reference).
      std::erase_if(engines_, [](const framework::ref_ptr<stream_engine>& x) { return x->use_count() == 1; });
    } catch (...) {
      ::close(fd);
      framework::log_exception(endpoint_ + ": starting a connection", std::current_exception());
    }
  }
}

void stream_listener::stop() noexcept {
  std::vector<framework::ref_ptr<stream_engine>> engines;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    engines.swap(engines_);
  }
  watch_.remove();
  ::close(fd_);
  fd_ = -1;
  if (!addr_.tcp && !addr_.ipc_path.empty()) ::unlink(addr_.ipc_path.c_str());
  for (auto& e : engines) e->shutdown();
}

// ---- connecter ----

framework::ref_ptr<stream_connecter> stream_connecter::start(socket_base& s, const socket_options& o, resolver r,
                                                             std::string endpoint, std::string address) {
  // A bad address is the caller's error now, not a retry loop later.
  r(endpoint, address, false);
  framework::ref_ptr<stream_connecter> c(new stream_connecter(s, o, r, std::move(endpoint), std::move(address)));
  c->attempt();
  return c;
}

stream_connecter::stream_connecter(socket_base& s, const socket_options& o, resolver r, std::string endpoint,
                                   std::string address)
    : sock_(&s), opts_(o), resolve_(r), endpoint_(std::move(endpoint)), address_(std::move(address)),
      current_ivl_(o.reconnect_ivl) {}

void stream_connecter::attempt() noexcept {
  std::string failure;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    failure = try_connect_locked();
  }
  if (!failure.empty()) retry_later(failure);
}

std::string stream_connecter::try_connect_locked() noexcept {
  try {
    target_ = resolve_(endpoint_, address_, false);
  } catch (const std::exception& e) {
    return e.what();
  }
  fd_ = ::socket(target_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return std::string("socket(): ") + std::strerror(errno);
  apply_stream_options(fd_, target_, opts_);
  if (::connect(fd_, target_.get(), target_.length) != 0 && errno != EINPROGRESS) {
    std::string why = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    return why;
  }
  framework::ref_ptr<stream_connecter> self(this);
  try {
    watch_ = sock_->ctx().rt().io().watch(fd_, framework::io_events::writable,
                                          [self](framework::io_events) { self->on_connect_ready(); });
    if (opts_.connect_timeout > 0) {
      timeout_timer_ = sock_->ctx().rt().io().after(std::chrono::milliseconds(opts_.connect_timeout), [self] {
        framework::io_watch_handle w;
        int fd;
        {
          std::lock_guard guard(self->mutex_);
          if (self->fd_ < 0 || self->stopped_) return;
          fd = std::exchange(self->fd_, -1);
          w = std::move(self->watch_);
        }
        w.remove();  // outside the lock: it waits for a running on_connect_ready, which takes it
        ::close(fd);
        self->retry_later("connect timed out");
      });
    }
  } catch (const std::exception& e) {
    ::close(fd_);
    fd_ = -1;
    return e.what();
  }
  return {};
}

void stream_connecter::on_connect_ready() noexcept {
  std::unique_lock lock(mutex_);
  if (fd_ < 0 || stopped_) return;
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  const int fd = fd_;
  fd_ = -1;
  watch_.remove();  // before the engine watches the same descriptor
  timeout_timer_.cancel();
  if (err != 0) {
    ::close(fd);
    lock.unlock();
    retry_later(std::strerror(err));
    return;
  }
  current_ivl_ = opts_.reconnect_ivl;  // connected: the back-off starts over
  sock_->emit_event(monitor_event::connected, fd, endpoint_);
  framework::ref_ptr<stream_connecter> self(this);
  try {
    engine_ = stream_engine::start(*sock_, opts_, fd, endpoint_, true, [self](const std::string& why, bool) {
      self->retry_later(why);
    });
  } catch (...) {
    ::close(fd);
    lock.unlock();
    retry_later("could not start the connection");
  }
}

void stream_connecter::retry_later(const std::string& why) noexcept {
  std::lock_guard lock(mutex_);
  if (stopped_) return;
  engine_.reset();
  if (opts_.reconnect_ivl < 0) {
    framework::log(framework::log_level::info, endpoint_ + ": not reconnecting (RECONNECT_IVL is -1): " + why);
    return;
  }
  const int ivl = std::max(1, current_ivl_);
  if (opts_.reconnect_ivl_max > opts_.reconnect_ivl)
    current_ivl_ = std::min(current_ivl_ * 2, opts_.reconnect_ivl_max);  // exponential back-off
  sock_->emit_event(monitor_event::connect_retried, ivl, endpoint_);
  framework::ref_ptr<stream_connecter> self(this);
  try {
    retry_timer_ = sock_->ctx().rt().io().after(std::chrono::milliseconds(ivl), [self] { self->attempt(); });
  } catch (...) {
    // The runtime is stopping: nothing to retry on.
  }
}

void stream_connecter::stop() noexcept {
  framework::ref_ptr<stream_engine> e;
  framework::io_watch_handle w;
  int fd = -1;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    e = std::move(engine_);
    fd = std::exchange(fd_, -1);
    w = std::move(watch_);
  }
  w.remove();  // outside the lock (see the connect timeout)
  if (fd >= 0) ::close(fd);
  retry_timer_.cancel();
  timeout_timer_.cancel();
  if (e) e->shutdown();
}

}  // namespace troupe::messaging::internal
