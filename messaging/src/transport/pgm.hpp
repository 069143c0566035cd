#pragma once
// pgm:// (PGM over raw IP: needs root or CAP_NET_RAW) and epgm:// (PGM in UDP) transport rows
// (see registry.cpp), for PUB/XPUB (sending) and SUB/XSUB (receiving): pgm/engine.hpp.
// bind and connect mean the same for multicast (as in libzmq); unbind/disconnect are the
// stream transports' (stop the endpoint, drop its pipe).

#include <string>
#include <string_view>

namespace troupe::messaging::internal {

class socket_base;

std::string pgm_bind(socket_base& s, std::string_view endpoint, std::string_view address);
void pgm_connect(socket_base& s, std::string_view endpoint, std::string_view address);
std::string epgm_bind(socket_base& s, std::string_view endpoint, std::string_view address);
void epgm_connect(socket_base& s, std::string_view endpoint, std::string_view address);

}  // namespace troupe::messaging::internal
