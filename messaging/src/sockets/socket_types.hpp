#pragma once
// Factories of the socket types (one source file each), listed in registry.cpp.

#include <troupe/framework/ref_counted.hpp>

namespace troupe::messaging::internal {

class context_core;
class socket_base;
using socket_factory = framework::ref_ptr<socket_base> (*)(context_core&);

framework::ref_ptr<socket_base> make_pair_socket(context_core& ctx);
framework::ref_ptr<socket_base> make_pub_socket(context_core& ctx);
framework::ref_ptr<socket_base> make_sub_socket(context_core& ctx);
framework::ref_ptr<socket_base> make_req_socket(context_core& ctx);
framework::ref_ptr<socket_base> make_rep_socket(context_core& ctx);
framework::ref_ptr<socket_base> make_dealer_socket(context_core& ctx);
framework::ref_ptr<socket_base> make_router_socket(context_core& ctx);
framework::ref_ptr<socket_base> make_pull_socket(context_core& ctx);
framework::ref_ptr<socket_base> make_push_socket(context_core& ctx);
framework::ref_ptr<socket_base> make_xpub_socket(context_core& ctx);
framework::ref_ptr<socket_base> make_xsub_socket(context_core& ctx);

}  // namespace troupe::messaging::internal
