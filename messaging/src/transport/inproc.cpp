#include "transport/inproc.hpp"

#include "context_core.hpp"
#include "socket_base.hpp"

#include <troupe/messaging/error.hpp>

namespace troupe::messaging::internal {

std::string inproc_bind(socket_base& s, std::string_view endpoint, std::string_view name) {
  s.ctx().inproc_bind(std::string(name), s);
  return std::string(endpoint);
}

void inproc_connect(socket_base& s, std::string_view, std::string_view name) {
  s.ctx().inproc_connect(std::string(name), s);
}

void inproc_unbind(socket_base& s, std::string_view endpoint, std::string_view name) {
  s.ctx().inproc_unbind(std::string(name), s);
  s.close_pipes(endpoint, false);
}

void inproc_disconnect(socket_base& s, std::string_view endpoint, std::string_view name) {
  // A connect still waiting for its bind is cancelled: the binder will never see it, and what
  // was queued in its pipe is dropped with the pipe.
  const bool pending = s.ctx().inproc_cancel_connect(std::string(name), s);
  s.process_events();  // a bind that completed our connect just now: take its pipe first
  if (!s.close_pipes(endpoint, true) && !pending)
    throw error(errc::address_not_available,
                "disconnect: '" + std::string(endpoint) + "' is not connected by this socket");
}

}  // namespace troupe::messaging::internal
