#include "sockets/dealer.hpp"

#include "sockets/socket_types.hpp"

namespace troupe::messaging::internal {

framework::ref_ptr<socket_base> make_dealer_socket(context_core& ctx) {
  return framework::make_ref<dealer_socket>(ctx);
}

}  // namespace troupe::messaging::internal
