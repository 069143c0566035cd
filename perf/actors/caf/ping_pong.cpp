// Ping-pong, CAF side: two event-based actors; pong's handler returns the ball (CAF sends a
// handler's result back to the sender). The ball is a std::uint64_t count.
#include "env.hpp"

#include "../common/workload_state.hpp"
#include "../common/workloads.hpp"

namespace perf_actors {
namespace {

using state = ping_pong_state;

caf::behavior ponger(caf::event_based_actor*) {
  return {[](std::uint64_t v) { return v; }};
}

class pinger : public caf::event_based_actor {
public:
  pinger(caf::actor_config& cfg, caf::actor pong, state* s)
      : caf::event_based_actor(cfg), pong_(std::move(pong)), s_(s) {}

  caf::behavior make_behavior() override {
    left_ = s_->rounds;
    s_->t0 = clock::now();
    send(pong_, left_);
    return {[this](std::uint64_t v) {
      if (v != left_) s_->in_order = false;
      if (--left_ == 0) {
        s_->finish();
        return;
      }
      send(pong_, left_);
    }};
  }

private:
  caf::actor pong_;
  state* s_;
  std::uint64_t left_ = 0;
};

}  // namespace

void ping_pong(int threads, std::uint64_t rounds) {
  state s;
  s.rounds = rounds;
  caf::actor_system_config cfg;
  caf::actor_system sys{caf_config(cfg, threads)};
  auto pong = sys.spawn(ponger);
  auto ping = sys.spawn<pinger>(pong, &s);
  require(s.done.wait(), "every round trip completes");
  caf::anon_send_exit(ping, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(pong, caf::exit_reason::user_shutdown);
  require(s.in_order, "each ball comes back unchanged");
  report("round trips", static_cast<double>(rounds) / seconds(s.t0, s.t1), "rt/s");
}

}  // namespace perf_actors
