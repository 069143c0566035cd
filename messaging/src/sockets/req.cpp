// REQ (RFC 28/REQREP): a DEALER that alternates send and recv, puts an empty delimiter in
// front of each request and accepts only the reply from the pipe its request went to.
// REQ_RELAXED allows a new request before the reply (the old reply is then ignored);
// REQ_CORRELATE puts a request id in front and accepts only the reply carrying it.
#include "sockets/dealer.hpp"
#include "sockets/socket_types.hpp"

#include <cstring>

namespace troupe::messaging::internal {
namespace {

class req_socket final : public dealer_socket {
public:
  explicit req_socket(context_core& ctx) : dealer_socket(ctx, socket_type::req) {}

private:
  op_result xsend(message& m) override {
    if (receiving_reply_) {
      if (!opts_.req_relaxed)
        throw error(errc::wrong_state,
                    "REQ: send called twice without a recv (REQ alternates send and recv; set ZMQ_REQ_RELAXED "
                    "to allow a new request)");
      receiving_reply_ = false;
      reply_pipe_ = nullptr;
      message_begins_ = true;
    }
    if (message_begins_) {
      reply_pipe_ = nullptr;
      if (opts_.req_correlate) {
        ++request_id_;
        message id(&request_id_, sizeof request_id_);
        id.set_more(true);
        if (lb_.send(id, &reply_pipe_) != op_result::done) {
          --request_id_;
          return op_result::again;
        }
      }
      message delimiter;
      delimiter.set_more(true);
      if (lb_.send(delimiter, reply_pipe_ ? nullptr : &reply_pipe_) != op_result::done) return op_result::again;
      message_begins_ = false;
    }
    const bool more = m.more();
    const op_result r = lb_.send(m);
    if (r == op_result::done && !more) {
      receiving_reply_ = true;
      message_begins_ = true;
    }
    return r;
  }

  op_result xrecv(message& m) override {
    if (!receiving_reply_)
      throw error(errc::wrong_state, "REQ: recv called without a pending request (send a request first)");
    for (;;) {
      pipe_end* from = nullptr;
      if (message_begins_) {
        if (fq_.recv(m, &from) != op_result::done) return op_result::again;
        // Only the pipe our request went to may answer, and only in the right shape.
        bool ok = from == reply_pipe_ && m.more();
        if (ok && opts_.req_correlate) {
          std::uint32_t id = 0;
          ok = m.size() == sizeof id;
          if (ok) std::memcpy(&id, m.data(), sizeof id);
          ok = ok && id == request_id_;
          if (ok) {
            if (fq_.recv(m, &from) != op_result::done) return op_result::again;  // cannot happen mid-message
            ok = m.more();
          }
        }
        ok = ok && m.empty();
        if (!ok) {
          discard_rest(m);
          continue;
        }
        message_begins_ = false;
      }
      if (fq_.recv(m, &from) != op_result::done) return op_result::again;
      if (!m.more()) {
        receiving_reply_ = false;
        message_begins_ = true;
      }
      return op_result::done;
    }
  }

  bool xhas_in() override { return receiving_reply_ && fq_.has_in(); }
  bool xhas_out() override { return !receiving_reply_ && lb_.has_out(); }

  void xpipe_terminated(pipe_end& p) override {
    if (reply_pipe_ == &p) reply_pipe_ = nullptr;
    dealer_socket::xpipe_terminated(p);
  }

  // Reads and drops the remaining parts of the message whose first part is `m`.
  void discard_rest(message& m) {
    while (m.more()) {
      if (fq_.recv(m) != op_result::done) break;
    }
    m.clear();
  }

  bool receiving_reply_ = false;
  bool message_begins_ = true;
  pipe_end* reply_pipe_ = nullptr;
  std::uint32_t request_id_ = 0;
};

}  // namespace

framework::ref_ptr<socket_base> make_req_socket(context_core& ctx) {
  return framework::make_ref<req_socket>(ctx);
}

}  // namespace troupe::messaging::internal
