// REP (RFC 28/REQREP): a ROUTER that alternates recv and send. It keeps the envelope of each
// request (routing id and any parts up to the empty delimiter) and puts it in front of the
// reply, so the reply travels back the way the request came. Malformed requests are dropped.
#include "sockets/router.hpp"
#include "sockets/socket_types.hpp"

#include <vector>

namespace troupe::messaging::internal {
namespace {

class rep_socket final : public router_socket {
public:
  explicit rep_socket(context_core& ctx) : router_socket(ctx, socket_type::rep) {}

private:
  op_result xrecv(message& m) override {
    if (sending_reply_)
      throw error(errc::wrong_state, "REP: recv called while a reply is pending (REP alternates recv and send)");
    if (request_begins_) {
      // Read the envelope: everything up to and including the empty delimiter.
      for (;;) {
        message part;
        if (router_socket::xrecv(part) != op_result::done) return op_result::again;
        if (!part.more()) {  // no delimiter: not a request
          envelope_.clear();
          continue;
        }
        const bool bottom = part.empty() && !envelope_.empty();
        envelope_.push_back(std::move(part));
        if (bottom) break;
      }
      request_begins_ = false;
    }
    if (router_socket::xrecv(m) != op_result::done) return op_result::again;  // never mid-message
    if (!m.more()) {
      sending_reply_ = true;
      request_begins_ = true;
    }
    return op_result::done;
  }

  op_result xsend(message& m) override {
    if (!sending_reply_)
      throw error(errc::wrong_state, "REP: send called without a request to answer (recv a request first)");
    if (!envelope_.empty()) {
      for (message& e : envelope_) {
        e.set_more(true);
        router_socket::xsend(e);  // never waits: REP has no ROUTER_MANDATORY
      }
      envelope_.clear();
    }
    const bool more = m.more();
    router_socket::xsend(m);
    if (!more) sending_reply_ = false;
    return op_result::done;
  }

  bool xhas_in() override { return !sending_reply_ && router_socket::xhas_in(); }
  bool xhas_out() override { return sending_reply_; }

  bool sending_reply_ = false;
  bool request_begins_ = true;
  std::vector<message> envelope_;
};

}  // namespace

framework::ref_ptr<socket_base> make_rep_socket(context_core& ctx) {
  return framework::make_ref<rep_socket>(ctx);
}

}  // namespace troupe::messaging::internal
