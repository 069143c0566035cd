#pragma once
// The sending engine of a PUB/XPUB (see engine.hpp): takes whole messages from the pipe,
// packs them into packets of the transport's TSDU (pgm/codec.hpp) and hands them to OpenPGM,
// which paces them at RATE and keeps RECOVERY_IVL's worth for repairs. It also runs OpenPGM's
// upstream side: NAKs from receivers, repairs, SPM heartbeats.

#include "pgm/engine.hpp"

namespace troupe::messaging::internal::pgm {

framework::ref_ptr<engine> make_sender(socket_base& s, std::string endpoint, std::unique_ptr<socket> sock);

}  // namespace troupe::messaging::internal::pgm
