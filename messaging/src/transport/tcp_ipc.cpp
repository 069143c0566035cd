#include "transport/tcp_ipc.hpp"

#include "transport/stream.hpp"

#include <troupe/messaging/error.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstring>

namespace troupe::messaging::internal {
namespace {

[[noreturn]] void bad(std::string_view endpoint, const std::string& why) {
  throw error(errc::invalid_argument, "endpoint '" + std::string(endpoint) + "': " + why);
}

// tcp address: host:port, [v6]:port, *:port; port may be * when binding.
stream_address resolve_tcp(std::string_view endpoint, std::string_view address, bool for_bind) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) bad(endpoint, "expected host:port");
  std::string_view host = address.substr(0, colon);
  const std::string_view port_text = address.substr(colon + 1);
  int port = 0;
  if (port_text == "*" || port_text == "0") {
    if (!for_bind) bad(endpoint, "a wildcard port can only be bound, not connected to");
  } else {
    const auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port < 1 || port > 65535)
      bad(endpoint, "port '" + std::string(port_text) + "' is not a number from 1 to 65535");
  }
  bool v6_literal = false;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    v6_literal = true;
  }
  stream_address a;
  a.tcp = true;
  if (host == "*") {
    if (!for_bind) bad(endpoint, "'*' can only be bound, not connected to");
    auto* in4 = reinterpret_cast<sockaddr_in*>(&a.storage);
    in4->sin_family = AF_INET;
    in4->sin_addr.s_addr = htonl(INADDR_ANY);
    in4->sin_port = htons(static_cast<std::uint16_t>(port));
    a.length = sizeof(sockaddr_in);
    return a;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = v6_literal ? AF_INET6 : AF_UNSPEC;
  hints.ai_flags = for_bind ? AI_PASSIVE : 0;
  addrinfo* res = nullptr;
  const std::string host_s(host);
  if (const int rc = ::getaddrinfo(host_s.c_str(), nullptr, &hints, &res); rc != 0 || !res)
    throw error(errc::address_not_available,
                "endpoint '" + std::string(endpoint) + "': cannot resolve '" + host_s + "': " + ::gai_strerror(rc));
  // Prefer IPv4 when a name has both (as libzmq does without IPV6).
  const addrinfo* pick = res;
  for (const addrinfo* r = res; r; r = r->ai_next)
    if (r->ai_family == AF_INET) {
      pick = r;
      break;
    }
  std::memcpy(&a.storage, pick->ai_addr, pick->ai_addrlen);
  a.length = static_cast<socklen_t>(pick->ai_addrlen);
  ::freeaddrinfo(res);
  if (a.family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_port = htons(static_cast<std::uint16_t>(port));
  else reinterpret_cast<sockaddr_in*>(&a.storage)->sin_port = htons(static_cast<std::uint16_t>(port));
  return a;
}

// ipc address: a path, "@name" (Linux abstract namespace), or "*" (a fresh path, bind only).
stream_address resolve_ipc(std::string_view endpoint, std::string_view address, bool for_bind) {
  stream_address a;
  a.tcp = false;
  auto* un = reinterpret_cast<sockaddr_un*>(&a.storage);
  un->sun_family = AF_UNIX;
  std::string path(address);
  if (path == "*") {
    if (!for_bind) bad(endpoint, "'*' can only be bound, not connected to");
    static std::atomic<unsigned> counter{0};
    path = "/tmp/troupe-ipc-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  }
  if (path.size() >= sizeof(un->sun_path)) bad(endpoint, "path longer than " + std::to_string(sizeof(un->sun_path) - 1) + " bytes");
  if (path.front() == '@') {
    un->sun_path[0] = '\0';  // abstract: no file
    std::memcpy(un->sun_path + 1, path.data() + 1, path.size() - 1);
    a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  } else {
    std::memcpy(un->sun_path, path.data(), path.size());
    a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
    a.ipc_path = path;
  }
  return a;
}

std::string stream_bind(socket_base& s, std::string_view endpoint, stream_address a) {
  auto l = stream_listener::start(s, s.opts(), std::move(a), endpoint);
  std::string bound = l->bound_endpoint();
  s.add_endpoint_object(bound, l);
  if (bound != endpoint) s.add_endpoint_object(std::string(endpoint), l);  // unbind by either name
  return bound;
}

}  // namespace

std::string tcp_bind(socket_base& s, std::string_view endpoint, std::string_view address) {
  return stream_bind(s, endpoint, resolve_tcp(endpoint, address, true));
}

void tcp_connect(socket_base& s, std::string_view endpoint, std::string_view address) {
  s.add_endpoint_object(std::string(endpoint), stream_connecter::start(s, s.opts(), &resolve_tcp, std::string(endpoint),
                                                                       std::string(address)));
}

std::string ipc_bind(socket_base& s, std::string_view endpoint, std::string_view address) {
  return stream_bind(s, endpoint, resolve_ipc(endpoint, address, true));
}

void ipc_connect(socket_base& s, std::string_view endpoint, std::string_view address) {
  s.add_endpoint_object(std::string(endpoint), stream_connecter::start(s, s.opts(), &resolve_ipc, std::string(endpoint),
                                                                       std::string(address)));
}

void stream_unbind(socket_base& s, std::string_view endpoint, std::string_view) {
  if (!s.stop_endpoint_objects(endpoint))
    throw error(errc::address_not_available, "unbind: '" + std::string(endpoint) + "' is not bound by this socket");
  s.close_pipes(endpoint, false);
}

void stream_disconnect(socket_base& s, std::string_view endpoint, std::string_view) {
  if (!s.stop_endpoint_objects(endpoint))
    throw error(errc::address_not_available, "disconnect: '" + std::string(endpoint) + "' is not connected by this socket");
  s.close_pipes(endpoint, true);
}

}  // namespace troupe::messaging::internal
