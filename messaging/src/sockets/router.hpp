#pragma once
// ROUTER (RFC 28/REQREP): receives fair-queued, each message prefixed with a part holding
// the routing id of the pipe it came from; sends to the pipe named by the first part.
// Unknown ids drop the message (or raise host_unreachable with ROUTER_MANDATORY); a full
// pipe drops it (or makes send wait with ROUTER_MANDATORY). REP builds on it.

#include "routing/fq.hpp"
#include "socket_base.hpp"

#include <string>
#include <string_view>
#include <unordered_map>

namespace troupe::messaging::internal {

class router_socket : public socket_base {
public:
  explicit router_socket(context_core& ctx, socket_type type = socket_type::router)
      : socket_base(ctx, type), fq_(*this) {}

protected:
  void xattach_pipe(pipe_end& p, bool locally_initiated) override;
  void xread_activated(pipe_end& p) override { fq_.activated(p); }
  void xpipe_terminated(pipe_end& p) override;
  op_result xsend(message& m) override;
  op_result xrecv(message& m) override;
  bool xhas_in() override;
  bool xhas_out() override;

private:
  struct id_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct id_equal {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
  };

  fq fq_;
  std::unordered_map<std::string, pipe_end*, id_hash, id_equal> by_id_;
  std::uint32_t next_id_ = 1;
  // Receiving: the id part goes out first, the message's first part waits here.
  bool more_in_ = false;
  bool prefetched_ = false;
  message prefetched_msg_;
  std::string prefetched_id_;
  // Sending.
  bool more_out_ = false;
  pipe_end* current_out_ = nullptr;  // null while dropping a message
};

}  // namespace troupe::messaging::internal
