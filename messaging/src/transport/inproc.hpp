#pragma once
// inproc://name: a pipe between two sockets of one context, no copy, no syscall.

#include <string>
#include <string_view>

namespace troupe::messaging::internal {

class socket_base;

std::string inproc_bind(socket_base& s, std::string_view endpoint, std::string_view name);
void inproc_connect(socket_base& s, std::string_view endpoint, std::string_view name);
void inproc_unbind(socket_base& s, std::string_view endpoint, std::string_view name);
void inproc_disconnect(socket_base& s, std::string_view endpoint, std::string_view name);

}  // namespace troupe::messaging::internal
