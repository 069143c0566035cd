#include <troupe/framework/executor.hpp>
#include <troupe/framework/strand.hpp>

#include "current.hpp"

namespace troupe::framework {

void strand::schedule() noexcept {
  const std::uint32_t old = state_.fetch_or(pending, std::memory_order_acq_rel);
  if (old == 0) {
    add_ref();  // the queued run owns a reference until it ends
    ex_->submit(*this);
  }
}

void strand::run_here_or_schedule() noexcept {
  const std::uint32_t old = state_.fetch_or(pending, std::memory_order_acq_rel);
  if (old == 0) {
    add_ref();  // as a queued run: run() releases it
    run();
  }
}

bool strand::running_here() const noexcept { return internal::current_strand() == this; }

void strand::run() noexcept {
  // pending -> running. schedule() calls from now on set `pending` again and are owed a run.
  state_.exchange(running_bit, std::memory_order_seq_cst);
  strand* const previous = internal::current_strand();
  internal::set_current_strand(this);
  on_run();
  internal::set_current_strand(previous);
  std::uint32_t expected = running_bit;
  if (state_.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
    release();
    return;
  }
  // Scheduled while running: exactly one more run, at the back of the queue for fairness.
  state_.store(pending, std::memory_order_release);
  ex_->submit(*this);  // keeps the reference
}

void function_strand::on_run() noexcept {
  try {
    fn_();
  } catch (...) {
    log_exception("strand", std::current_exception());
  }
}

}  // namespace troupe::framework
