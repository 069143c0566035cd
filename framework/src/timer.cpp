// Timers: an indexed binary heap under the reactor core's mutex. Insert and cancel are
// O(log n) with no bulk clean-up pauses, so 100,000 live timers cost a few MiB and every
// operation stays in the microseconds.
#include "reactor_core.hpp"

#include <troupe/framework/log.hpp>

#include <algorithm>
#include <thread>

namespace troupe::framework {
namespace internal {

timer_node::timer_node(reactor_core& core, std::chrono::milliseconds period, std::function<void()> fn)
    : strand(core.exec()), core_(&core), period_(period), fn_(std::move(fn)) {}

bool timer_node::cancel() noexcept {
  std::uint32_t expected = active;
  const bool won = status_.compare_exchange_strong(expected, cancelled, std::memory_order_seq_cst);
  if (won) core_->timer_cancelled(*this);
  // A callback already running elsewhere finishes before we return (not when called from it).
  if (!running_here()) {
    while (running()) std::this_thread::yield();
    // No run can touch the callback any more (later runs see `cancelled`): let go of what it
    // captured now rather than when the last handle goes.
    if (won) fn_ = nullptr;
  }
  return won;
}

bool timer_node::cancel_for_stop() noexcept {
  std::uint32_t expected = active;
  if (!status_.compare_exchange_strong(expected, cancelled, std::memory_order_seq_cst)) return false;
  core_->timer_fired();  // leaves the live count
  return true;
}

void timer_node::on_run() noexcept {
  if (periodic()) {
    if (status_.load(std::memory_order_seq_cst) != active) return;
  } else {
    std::uint32_t expected = active;
    if (!status_.compare_exchange_strong(expected, fired, std::memory_order_seq_cst)) return;
    core_->timer_fired();
  }
  try {
    fn_();
  } catch (...) {
    log_exception("timer callback", std::current_exception());
  }
  if (!periodic()) fn_ = nullptr;  // free what the callback captured now, not at the last handle
}

// ---- the heap ----

void reactor_core::place(std::size_t i, heap_entry e) noexcept {
  e.node->heap_index = i;
  heap_[i] = e;
}

void reactor_core::sift_up(std::size_t i) noexcept {
  heap_entry e = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!later{}(heap_[parent], e)) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void reactor_core::sift_down(std::size_t i) noexcept {
  heap_entry e = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && later{}(heap_[child], heap_[child + 1])) ++child;
    if (!later{}(e, heap_[child])) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, e);
}

void reactor_core::heap_push_locked(heap_entry e) {
  heap_.push_back(e);
  sift_up(heap_.size() - 1);
}

reactor_core::heap_entry reactor_core::heap_remove_locked(std::size_t i) noexcept {
  heap_entry out = heap_[i];
  out.node->heap_index = SIZE_MAX;
  heap_entry last = heap_.back();
  heap_.pop_back();
  if (i < heap_.size()) {
    place(i, last);
    sift_down(i);
    sift_up(last.node->heap_index);  // it may belong higher instead
  }
  return out;
}

ref_ptr<timer_node> reactor_core::add_timer(clock::time_point deadline, std::chrono::milliseconds period,
                                            std::function<void()> fn) {
  auto node = make_ref<timer_node>(*this, period, std::move(fn));
  bool need_wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) throw std::logic_error("reactor: timer added after stop()");
    heap_push_locked(heap_entry{deadline, next_seq_++, node.get()});
    node->add_ref();  // the heap's reference
    live_timers_.fetch_add(1, std::memory_order_relaxed);
    // Wake the reactor thread only if it sleeps past this deadline.
    if (deadline < sleeping_until_) {
      sleeping_until_ = deadline;
      need_wake = true;
    }
  }
  if (need_wake) wake();
  return node;
}

void reactor_core::timer_cancelled(timer_node& n) noexcept {
  live_timers_.fetch_sub(1, std::memory_order_relaxed);
  timer_node* dropped = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (n.heap_index != SIZE_MAX) dropped = heap_remove_locked(n.heap_index).node;
  }
  // Outside the lock: a last release destroys a callback that may own other reactor handles.
  if (dropped) dropped->release();
}

void reactor_core::fire_due_locked(clock::time_point now, std::vector<timer_node*>& dropped) noexcept {
  while (!heap_.empty() && heap_.front().deadline <= now) {
    heap_entry e = heap_remove_locked(0);
    if (!e.node->is_active()) {
      dropped.push_back(e.node);
      continue;
    }
    e.node->schedule();
    if (e.node->periodic()) {
      // Fixed rate: the next multiple of the period after now; late periods are skipped.
      const auto period = std::chrono::duration_cast<clock::duration>(e.node->period());
      auto next = e.deadline + period;
      if (next <= now) next += ((now - next) / period + 1) * period;
      try {
        heap_push_locked(heap_entry{next, next_seq_++, e.node});  // keeps the reference
      } catch (...) {
        dropped.push_back(e.node);  // out of memory: the periodic timer stops
      }
    } else {
      dropped.push_back(e.node);
    }
  }
}

int reactor_core::next_timeout_locked(clock::time_point now) noexcept {
  if (heap_.empty()) {
    sleeping_until_ = clock::time_point::max();
    return -1;
  }
  const auto deadline = heap_.front().deadline;
  sleeping_until_ = deadline;
  if (deadline <= now) return 0;
  // Round up: waking early would only cost another turn of the loop.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  return static_cast<int>(std::min<std::int64_t>(ms, 24 * 3600 * 1000));
}

}  // namespace internal

// ---- public handle ----

timer::timer() noexcept = default;
timer::timer(ref_ptr<internal::timer_node> n) noexcept : node_(std::move(n)) {}
timer::~timer() = default;
timer::timer(const timer&) noexcept = default;
timer::timer(timer&&) noexcept = default;
timer& timer::operator=(timer o) noexcept {
  node_.swap(o.node_);
  return *this;
}

bool timer::cancel() noexcept { return node_ && node_->cancel(); }
bool timer::active() const noexcept { return node_ && node_->is_active(); }

}  // namespace troupe::framework
