// PULL (RFC 30/PIPELINE): receives fair-queued from its PUSH peers; never sends.
#include "routing/fq.hpp"
#include "socket_base.hpp"
#include "sockets/socket_types.hpp"

namespace troupe::messaging::internal {
namespace {

class pull_socket final : public socket_base {
public:
  explicit pull_socket(context_core& ctx) : socket_base(ctx, socket_type::pull), fq_(*this) {}

private:
  void xattach_pipe(pipe_end& p, bool) override { fq_.attach(p); }
  void xread_activated(pipe_end& p) override { fq_.activated(p); }
  void xpipe_terminated(pipe_end& p) override { fq_.terminated(p); }
  op_result xrecv(message& m) override { return fq_.recv(m); }
  bool xhas_in() override { return fq_.has_in(); }

  fq fq_;
};

}  // namespace

framework::ref_ptr<socket_base> make_pull_socket(context_core& ctx) {
  return framework::make_ref<pull_socket>(ctx);
}

}  // namespace troupe::messaging::internal
