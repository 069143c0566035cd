#include "transport/inproc.hpp"

#include "context_core.hpp"
#include "socket_base.hpp"

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

void inproc_disconnect(socket_base& s, std::string_view endpoint, std::string_view) {
  s.close_pipes(endpoint, true);
}

}  // namespace troupe::messaging::internal
