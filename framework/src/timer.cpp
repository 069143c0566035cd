// Timers: a binary heap under the reactor core's mutex. Cancellation is O(1) (a flag); the
// cancelled entries are purged in bulk once they make up half of a large heap, so 100,000 live
// timers cost a few MiB and insert/cancel stay O(log n) / O(1).
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
  if (won) core_->timer_cancelled();
  // A callback already running elsewhere finishes before we return (not when called from it).
  if (!running_here()) {
    while (running()) std::this_thread::yield();
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

ref_ptr<timer_node> reactor_core::add_timer(clock::time_point deadline, std::chrono::milliseconds period,
                                            std::function<void()> fn) {
  auto node = make_ref<timer_node>(*this, period, std::move(fn));
  bool need_wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) throw std::logic_error("reactor: timer added after stop()");
    node->add_ref();  // the heap's reference
    heap_.push_back(heap_entry{deadline, next_seq_++, node.get()});
    std::push_heap(heap_.begin(), heap_.end(), later{});
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

void reactor_core::timer_cancelled() noexcept {
  live_timers_.fetch_sub(1, std::memory_order_relaxed);
  std::vector<timer_node*> dropped;
  {
    std::lock_guard lock(mutex_);
    ++cancelled_in_heap_;  // an over-estimate for one-shots already popped; purge recounts
    if (cancelled_in_heap_ > 1024 && cancelled_in_heap_ * 2 > heap_.size())
      purge_cancelled_locked(dropped);
  }
  // Outside the lock: a last release destroys a callback that may own other reactor handles.
  for (timer_node* n : dropped) n->release();
}

void reactor_core::purge_cancelled_locked(std::vector<timer_node*>& dropped) noexcept {
  auto keep_end = std::partition(heap_.begin(), heap_.end(),
                                 [](const heap_entry& e) { return e.node->is_active(); });
  for (auto it = keep_end; it != heap_.end(); ++it) dropped.push_back(it->node);
  heap_.erase(keep_end, heap_.end());
  std::make_heap(heap_.begin(), heap_.end(), later{});
  cancelled_in_heap_ = 0;
}

void reactor_core::fire_due_locked(clock::time_point now, std::vector<timer_node*>& dropped) noexcept {
  while (!heap_.empty() && heap_.front().deadline <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), later{});
    heap_entry e = heap_.back();
    heap_.pop_back();
    if (!e.node->is_active()) {
      if (cancelled_in_heap_ > 0) --cancelled_in_heap_;
      dropped.push_back(e.node);
      continue;
    }
    e.node->schedule();
    if (e.node->periodic()) {
      // Fixed rate: the next multiple of the period after now; late periods are skipped.
      const auto period = std::chrono::duration_cast<clock::duration>(e.node->period());
      auto next = e.deadline + period;
      if (next <= now) next += ((now - next) / period + 1) * period;
      heap_.push_back(heap_entry{next, next_seq_++, e.node});  // keeps the reference
      std::push_heap(heap_.begin(), heap_.end(), later{});
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
