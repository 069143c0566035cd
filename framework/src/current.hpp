#pragma once
// Per-thread "what is running here". Accessors are out of line on purpose: a fiber may resume
// on another thread, and an inlined thread_local address could be cached across the switch.

namespace troupe::framework {
class strand;
class fiber;
}

namespace troupe::framework::internal {

[[gnu::noinline]] strand* current_strand() noexcept;
[[gnu::noinline]] void set_current_strand(strand* s) noexcept;

[[gnu::noinline]] fiber* current_fiber() noexcept;
[[gnu::noinline]] void set_current_fiber(fiber* f) noexcept;

}  // namespace troupe::framework::internal
