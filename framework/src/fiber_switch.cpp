#include "fiber_switch.hpp"

#include <boost/context/detail/fcontext.hpp>

#include <cstdlib>

#if defined(TROUPE_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(TROUPE_TSAN)
extern "C" {
void* __tsan_get_current_fiber(void);
void* __tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void* fiber);
void __tsan_switch_to_fiber(void* fiber, unsigned flags);
}
#endif

namespace troupe::framework::internal {
namespace bc = boost::context::detail;

namespace {

// Runs on the fiber's own stack, first thing after the first jump.
void trampoline(bc::transfer_t t) noexcept {
  auto& f = *static_cast<fiber_frame*>(t.data);
  f.worker_ctx = t.fctx;
#if defined(TROUPE_ASAN)
  __sanitizer_finish_switch_fiber(nullptr, &f.worker_stack_bottom, &f.worker_stack_size);
#endif
  f.entry(f);
  std::abort();  // entry must end with leave_for_good()
}

}  // namespace

void init_frame(fiber_frame& f, fiber_stack stack, fiber_frame::entry_fn entry) noexcept {
  f.stack = stack;
  f.entry = entry;
  f.finished = false;
  char* top = static_cast<char*>(stack.base) + stack.size;
  f.fiber_ctx = bc::make_fcontext(top, stack.size, &trampoline);
#if defined(TROUPE_TSAN)
  f.tsan_fiber = __tsan_create_fiber(0);
#endif
}

void enter(fiber_frame& f) noexcept {
#if defined(TROUPE_TSAN)
  f.tsan_worker = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(f.tsan_fiber, 0);
#endif
#if defined(TROUPE_ASAN)
  void* worker_fake = nullptr;
  __sanitizer_start_switch_fiber(&worker_fake, f.stack.base, f.stack.size);
#endif
  bc::transfer_t t = bc::jump_fcontext(f.fiber_ctx, &f);
#if defined(TROUPE_ASAN)
  __sanitizer_finish_switch_fiber(worker_fake, nullptr, nullptr);
#endif
  f.fiber_ctx = t.fctx;
}

void leave(fiber_frame& f) noexcept {
#if defined(TROUPE_TSAN)
  __tsan_switch_to_fiber(f.tsan_worker, 0);
#endif
#if defined(TROUPE_ASAN)
  __sanitizer_start_switch_fiber(&f.fiber_fake_stack, f.worker_stack_bottom, f.worker_stack_size);
#endif
  bc::transfer_t t = bc::jump_fcontext(f.worker_ctx, nullptr);
  // Resumed, possibly by another worker thread.
  f.worker_ctx = t.fctx;
#if defined(TROUPE_ASAN)
  __sanitizer_finish_switch_fiber(f.fiber_fake_stack, &f.worker_stack_bottom, &f.worker_stack_size);
#endif
}

void leave_for_good(fiber_frame& f) noexcept {
  f.finished = true;
#if defined(TROUPE_TSAN)
  __tsan_switch_to_fiber(f.tsan_worker, 0);
#endif
#if defined(TROUPE_ASAN)
  __sanitizer_start_switch_fiber(nullptr, f.worker_stack_bottom, f.worker_stack_size);
#endif
  bc::jump_fcontext(f.worker_ctx, nullptr);
  std::abort();  // a finished fiber is never entered again
}

void destroy_frame(fiber_frame& f) noexcept {
#if defined(TROUPE_TSAN)
  if (f.tsan_fiber) __tsan_destroy_fiber(f.tsan_fiber);
  f.tsan_fiber = nullptr;
#else
  static_cast<void>(f);
#endif
}

}  // namespace troupe::framework::internal
