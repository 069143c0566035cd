#include "routing/lb.hpp"

namespace troupe::messaging::internal {

void lb::terminated(pipe_end& p) noexcept {
  const auto [slot, was_active] = pipes_.remove(p);
  if (slot == SIZE_MAX) return;
  if (slot == current_ && more_) dropping_ = true;
  if (current_ >= pipes_.active()) current_ = 0;
}

void lb::deactivate_current() noexcept {
  pipes_.deactivate(current_);
  if (current_ >= pipes_.active()) current_ = 0;
}

op_result lb::send(message& m) { return send(m, nullptr); }

op_result lb::send(message& m, pipe_end** chosen) {
  if (dropping_) {
    more_ = m.more();
    dropping_ = more_;
    m.clear();
    return op_result::done;
  }
  while (pipes_.active() > 0) {
    pipe_end& p = pipes_[current_];
    if (p.check_write()) {
      if (chosen) *chosen = &p;
      more_ = m.more();
      p.write(std::move(m));
      m.clear();
      if (!more_) {
        p.flush();
        if (++current_ >= pipes_.active()) current_ = 0;  // no division per message
      }
      return op_result::done;
    }
    deactivate_current();  // full (or dying): wait among the inactive until it has room
  }
  return op_result::again;
}

bool lb::has_out() noexcept {
  if (more_) return true;
  while (pipes_.active() > 0) {
    if (pipes_[current_].check_write()) return true;
    deactivate_current();
  }
  return false;
}

}  // namespace troupe::messaging::internal
