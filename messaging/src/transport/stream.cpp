#include "transport/stream.hpp"

#include "context_core.hpp"
#include "wire/session.hpp"
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
    std::lock_guard lock(mutex_);
    if (stopped_) {
      ::close(fd);
      return;
    }
    sock_->emit_event(monitor_event::accepted, fd, endpoint_);
    try {
      // Each accepted connection has a session of its own: its pipe ends with it.
      auto e = stream_engine::start(opts_, fd, stream_session::make(*sock_, opts_, endpoint_, false), nullptr);
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

}  // namespace troupe::messaging::internal
