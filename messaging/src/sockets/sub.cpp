// SUB (RFC 29/PUBSUB): receives, fair-queued, the messages of its publishers that match its
// subscriptions (ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE, counted); never sends. It is XSUB whose
// subscriptions are options (sockets/xsub.hpp).
#include "sockets/socket_types.hpp"
#include "sockets/xsub.hpp"

namespace troupe::messaging::internal {

framework::ref_ptr<socket_base> make_sub_socket(context_core& ctx) {
  return framework::make_ref<xsub_socket>(ctx, socket_type::sub);
}

}  // namespace troupe::messaging::internal
