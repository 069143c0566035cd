// PUSH (RFC 30/PIPELINE): sends load-balanced to its PULL peers; blocks at the HWM; never
// receives.
#include "routing/lb.hpp"
#include "socket_base.hpp"
#include "sockets/socket_types.hpp"

namespace troupe::messaging::internal {
namespace {

class push_socket final : public socket_base {
public:
  explicit push_socket(context_core& ctx) : socket_base(ctx, socket_type::push) {}

private:
  void xattach_pipe(pipe_end& p, bool) override { lb_.attach(p); }
  void xwrite_activated(pipe_end& p) override { lb_.activated(p); }
  void xpipe_terminated(pipe_end& p) override { lb_.terminated(p); }
  op_result xsend(message& m) override { return lb_.send(m); }
  bool xhas_out() override { return lb_.has_out(); }

  lb lb_;
};

}  // namespace

framework::ref_ptr<socket_base> make_push_socket(context_core& ctx) {
  return framework::make_ref<push_socket>(ctx);
}

}  // namespace troupe::messaging::internal
