#pragma once
// DEALER (RFC 28/REQREP): load-balances what it sends, fair-queues what it receives, keeps
// no envelopes. REQ builds on it.

#include "routing/fq.hpp"
#include "routing/lb.hpp"
#include "socket_base.hpp"

namespace troupe::messaging::internal {

class dealer_socket : public socket_base {
public:
  explicit dealer_socket(context_core& ctx, socket_type type = socket_type::dealer)
      : socket_base(ctx, type), fq_(*this) {}

protected:
  void xattach_pipe(pipe_end& p, bool) override {
    fq_.attach(p);
    lb_.attach(p);
  }
  void xread_activated(pipe_end& p) override { fq_.activated(p); }
  void xwrite_activated(pipe_end& p) override { lb_.activated(p); }
  void xpipe_terminated(pipe_end& p) override {
    fq_.terminated(p);
    lb_.terminated(p);
  }
  op_result xsend(message& m) override { return lb_.send(m); }
  op_result xrecv(message& m) override { return fq_.recv(m); }
  bool xhas_in() override { return fq_.has_in(); }
  bool xhas_out() override { return lb_.has_out(); }

  fq fq_;
  lb lb_;
};

}  // namespace troupe::messaging::internal
