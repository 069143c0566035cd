#pragma once
// tcp:// and ipc:// transport rows (see registry.cpp). Both are streams: see stream.hpp.

#include <string>
#include <string_view>

namespace troupe::messaging::internal {

class socket_base;

std::string tcp_bind(socket_base& s, std::string_view endpoint, std::string_view address);
void tcp_connect(socket_base& s, std::string_view endpoint, std::string_view address);
std::string ipc_bind(socket_base& s, std::string_view endpoint, std::string_view address);
void ipc_connect(socket_base& s, std::string_view endpoint, std::string_view address);
/// unbind / disconnect are the same for every stream transport.
void stream_unbind(socket_base& s, std::string_view endpoint, std::string_view address);
void stream_disconnect(socket_base& s, std::string_view endpoint, std::string_view address);

}  // namespace troupe::messaging::internal
