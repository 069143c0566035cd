#include "routing/fq.hpp"


namespace troupe::messaging::internal {

void fq::terminated(pipe_end& p) noexcept {
  const auto [slot, was_active] = pipes_.remove(p);
  if (slot == SIZE_MAX) return;
  if (slot == current_ && more_) more_ = false;  // its message can never complete
  if (current_ >= pipes_.active()) current_ = 0;
}

void fq::deactivate_current() noexcept {
  pipes_.deactivate(current_);
  if (current_ >= pipes_.active()) current_ = 0;
}

op_result fq::recv(message& m, pipe_end** from) {
  std::size_t scanned = 0;
  while (pipes_.active() > 0) {
    pipe_end& p = pipes_[current_];
    switch (p.read(m, owner_.may_sleep())) {
      case read_result::part:
        if (from) *from = &p;
        more_ = m.more();
        if (!more_ && ++current_ >= pipes_.active()) current_ = 0;  // no division per message
        return op_result::done;
      case read_result::empty:
        if (!owner_.may_sleep()) {
          // Spinning: leave every pipe awake and look at the next one.
          if (++scanned >= pipes_.active()) return op_result::again;
          if (++current_ >= pipes_.active()) current_ = 0;
          break;
        }
        deactivate_current();
        break;
      case read_result::ended:
        owner_.terminate_pipe(p);  // calls back terminated()
        break;
    }
  }
  return op_result::again;
}

bool fq::has_in() noexcept {
  if (more_) return true;
  while (pipes_.active() > 0) {
    pipe_end& p = pipes_[current_];
    if (p.check_read()) return true;
    if (p.ended()) {
      owner_.terminate_pipe(p);
    } else {
      deactivate_current();
    }
  }
  return false;
}

}  // namespace troupe::messaging::internal
