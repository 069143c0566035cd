#include "fiber_impl.hpp"

#include "current.hpp"
#include "wait_core.hpp"

#include <troupe/framework/executor.hpp>
#include <troupe/framework/log.hpp>
#include <troupe/framework/reactor.hpp>

#include <stdexcept>

namespace troupe::framework {

// ---- fiber ----

fiber::fiber(fiber_scheduler::impl& sched, std::function<void()> body)
    : strand(sched.ex), sched_(&sched), body_(std::move(body)) {
  internal::init_frame(frame_, sched.stacks.allocate(), &fiber::entry);
  frame_.owner = this;
}

fiber::~fiber() {
  // Normally returned when the fiber ends; a fiber that never ran still owns its stack.
  if (frame_.stack.base) {
    internal::destroy_frame(frame_);
    sched_->stacks.deallocate(frame_.stack);
  }
}

fiber* fiber::current() noexcept { return internal::current_fiber(); }

void fiber::entry(internal::fiber_frame& fr) noexcept {
  auto* self = static_cast<fiber*>(fr.owner);
  try {
    self->body_();
  } catch (const fiber_cancelled&) {
    // The runtime is stopping: the stack has unwound, which is all cancellation asks.
  } catch (...) {
    log_exception("fiber", std::current_exception());
  }
  self->body_ = nullptr;  // destroy what the body captured while still on this fiber
  internal::leave_for_good(fr);
}

void fiber::on_run() noexcept {
  if (frame_.finished) return;
  fiber* const previous = internal::current_fiber();
  internal::set_current_fiber(this);
  internal::enter(frame_);
  internal::set_current_fiber(previous);
  if (frame_.finished) {
    internal::destroy_frame(frame_);
    sched_->stacks.deallocate(frame_.stack);
    frame_.stack = {};
    sched_->finished(*this);
  }
}

void fiber::cancel() noexcept {
  cancelled_.store(true, std::memory_order_seq_cst);
  internal::wait_core* w = nullptr;
  {
    std::lock_guard lock(wait_mutex_);
    w = current_wait_;
    if (w) w->add_ref();
  }
  if (w) {
    w->finish(internal::wait_core::cancelled);
    w->release();
  }
}

void fiber::set_current_wait(internal::wait_core* w) noexcept {
  std::lock_guard lock(wait_mutex_);
  current_wait_ = w;
}

// ---- scheduler ----

fiber_scheduler::impl::impl(executor& e, reactor& r, fiber_options o)
    : ex(e), io(r), options(o), stacks(o.stack_size, o.guard_page, o.max_cached_stacks) {}

void fiber_scheduler::impl::finished(fiber& f) noexcept {
  {
    std::lock_guard lock(mutex);
    fibers.erase(&f);
  }
  if (live.fetch_sub(1, std::memory_order_acq_rel) == 1) live.notify_all();
  f.release();  // the live set's reference; the running strand still holds its own
}

fiber_scheduler::fiber_scheduler(executor& ex, reactor& io, fiber_options options)
    : impl_(std::make_unique<impl>(ex, io, options)) {}

fiber_scheduler::~fiber_scheduler() { cancel_all(); }

void fiber_scheduler::spawn(std::function<void()> body) {
  auto* f = new fiber(*impl_, std::move(body));
  f->add_ref();  // the live set's reference
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->refusing) {
      f->release();
      throw std::logic_error("fiber_scheduler: spawn() after cancel_all() (the runtime is stopping)");
    }
    impl_->fibers.insert(f);
    impl_->live.fetch_add(1, std::memory_order_relaxed);
  }
  f->resume();
}

std::size_t fiber_scheduler::live() const noexcept { return impl_->live.load(std::memory_order_acquire); }

void fiber_scheduler::wait_all() noexcept {
  for (;;) {
    const std::size_t n = impl_->live.load(std::memory_order_acquire);
    if (n == 0) return;
    impl_->live.wait(n, std::memory_order_acquire);
  }
}

void fiber_scheduler::cancel_all() noexcept {
  std::vector<fiber*> all;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->refusing = true;
    try {
      all.reserve(impl_->fibers.size());
    } catch (...) {
    }
    for (fiber* f : impl_->fibers) {
      f->add_ref();
      all.push_back(f);
    }
  }
  for (fiber* f : all) {
    f->cancel();
    f->release();
  }
  wait_all();
}

executor& fiber_scheduler::exec() const noexcept { return impl_->ex; }
reactor& fiber_scheduler::io() const noexcept { return impl_->io; }
const fiber_options& fiber_scheduler::options() const noexcept { return impl_->options; }

// ---- this_fiber ----

namespace this_fiber {

bool inside() noexcept { return fiber::current() != nullptr; }

void yield() {
  fiber* f = fiber::current();
  if (!f) throw std::logic_error("this_fiber::yield() called outside a fiber");
  f->resume();   // we are running: this owes us exactly one more run...
  f->suspend();  // ...which resumes us after the work queued before it
  if (f->cancelled()) throw fiber_cancelled();
}

}  // namespace this_fiber
}  // namespace troupe::framework
