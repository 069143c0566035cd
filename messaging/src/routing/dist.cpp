#include "routing/dist.hpp"

#include <utility>

namespace troupe::messaging::internal {

void dist::swap_slots(std::size_t i, std::size_t j) noexcept {
  if (i == j) return;
  std::swap(pipes_[i], pipes_[j]);
  pipes_[i]->dist_slot = i;
  pipes_[j]->dist_slot = j;
}

void dist::attach(pipe_end& p) {
  p.dist_slot = pipes_.size();
  pipes_.push_back(&p);
  // A pipe joining mid-message must not get the message's tail: keep it out of matching.
  swap_slots(p.dist_slot, active_);
  ++active_;
}

void dist::activated(pipe_end& p) noexcept {
  if (p.dist_slot == SIZE_MAX || p.dist_slot < active_) return;
  swap_slots(p.dist_slot, active_);
  ++active_;
}

void dist::match(pipe_end& p) noexcept {
  const std::size_t i = p.dist_slot;
  if (i == SIZE_MAX || i < matching_ || i >= active_) return;
  swap_slots(i, matching_);
  ++matching_;
}

void dist::deactivate(std::size_t i) noexcept {
  // i is in [0, matching_): move it to the end of matching, then out of active.
  --matching_;
  swap_slots(i, matching_);
  --active_;
  swap_slots(matching_, active_);
}

void dist::terminated(pipe_end& p) noexcept {
  std::size_t i = p.dist_slot;
  if (i == SIZE_MAX) return;
  if (i < matching_) {
    --matching_;
    swap_slots(i, matching_);
    i = matching_;
  }
  if (i < active_) {
    --active_;
    swap_slots(i, active_);
    i = active_;
  }
  swap_slots(i, pipes_.size() - 1);
  pipes_.pop_back();
  p.dist_slot = SIZE_MAX;
}

bool dist::matching_have_room() noexcept {
  if (more_) return true;
  for (std::size_t i = 0; i < matching_; ++i)
    if (!pipes_[i]->check_write()) return false;
  return true;
}

bool dist::all_have_room() noexcept {
  if (more_) return true;
  for (pipe_end* p : pipes_)
    if (!p->check_write() && !p->peer_closed()) return false;
  return true;
}

void dist::send_to_matching(message& m) {
  const bool more = m.more();
  if (!more_) {
    // First part: pipes without room for a whole message miss it (PUB semantics).
    for (std::size_t i = 0; i < matching_;) {
      if (pipes_[i]->check_write()) {
        ++i;
      } else {
        deactivate(i);
      }
    }
  }
  if (matching_ == 0) {
    m.clear();
  } else {
    for (std::size_t i = 0; i + 1 < matching_; ++i) pipes_[i]->write(m.share());
    pipes_[matching_ - 1]->write(std::move(m));
    m.clear();
  }
  if (!more) {
    for (std::size_t i = 0; i < matching_; ++i) pipes_[i]->flush();
    matching_ = 0;
  }
  more_ = more;
}

}  // namespace troupe::messaging::internal
