// PUB (RFC 29/PUBSUB): distributes each message to the subscribers whose subscription
// matches its first part; drops at the HWM (unless XPUB_NODROP); never receives. It is XPUB
// without passing anything up (sockets/xpub.hpp).
#include "sockets/socket_types.hpp"
#include "sockets/xpub.hpp"

namespace troupe::messaging::internal {

framework::ref_ptr<socket_base> make_pub_socket(context_core& ctx) {
  return framework::make_ref<xpub_socket>(ctx, socket_type::pub);
}

}  // namespace troupe::messaging::internal
