// PAIR (RFC 31/EXPAIR): exactly one peer; a second connection is refused. Sends block at the
// HWM; a multipart message is delivered whole.
#include "socket_base.hpp"
#include "sockets/socket_types.hpp"

#include <troupe/framework/log.hpp>

namespace troupe::messaging::internal {
namespace {

class pair_socket final : public socket_base {
public:
  explicit pair_socket(context_core& ctx) : socket_base(ctx, socket_type::pair) {}

private:
  void xattach_pipe(pipe_end& p, bool) override {
    if (peer_) {
      framework::log(framework::log_level::warning,
                     "PAIR socket: refused a second peer on " + p.endpoint + " (PAIR talks to one peer only)");
      terminate_pipe(p);
      return;
    }
    peer_ = &p;
  }
  void xpipe_terminated(pipe_end& p) override {
    if (peer_ == &p) {
      peer_ = nullptr;
      more_out_ = false;
    }
  }
  op_result xsend(message& m) override {
    if (!peer_ || !peer_->check_write()) return op_result::again;
    const bool more = m.more();
    peer_->write(std::move(m));
    m.clear();
    if (!more) peer_->flush();
    more_out_ = more;
    return op_result::done;
  }
  op_result xrecv(message& m) override {
    if (!peer_) return op_result::again;
    switch (peer_->read(m)) {
      case read_result::part: return op_result::done;
      case read_result::empty: return op_result::again;
      case read_result::ended: terminate_pipe(*peer_); return op_result::again;
    }
    return op_result::again;
  }
  bool xhas_in() override {
    if (!peer_) return false;
    if (peer_->check_read()) return true;
    if (peer_->ended()) terminate_pipe(*peer_);
    return false;
  }
  bool xhas_out() override { return peer_ && (more_out_ || peer_->check_write()); }

  pipe_end* peer_ = nullptr;
  bool more_out_ = false;
};

}  // namespace

framework::ref_ptr<socket_base> make_pair_socket(context_core& ctx) {
  return framework::make_ref<pair_socket>(ctx);
}

}  // namespace troupe::messaging::internal
