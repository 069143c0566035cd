#pragma once
// The receiving engine of a SUB/XSUB (see engine.hpp): one decoder per source (TSI) in the
// group; whole messages go to the pipe (the SUB filters them itself). A source joins at the
// first packet where a message starts; after unrecoverable loss (OpenPGM reports a reset) that
// source's unfinished message is dropped and it rejoins at its next message start. While the
// pipe is full (RCVHWM) nothing more is read from OpenPGM, as libzmq does: a receiver that
// falls behind by more than the recovery window loses data and resynchronises.

#include "pgm/engine.hpp"

namespace troupe::messaging::internal::pgm {

framework::ref_ptr<engine> make_receiver(socket_base& s, std::string endpoint, std::unique_ptr<socket> sock);

}  // namespace troupe::messaging::internal::pgm
