#pragma once
// The spin before a socket parks its thread.
//
// Why: parking a thread and waking it costs ~20 us of syscalls and scheduling, while a peer on
// the other core often answers within a microsecond. So a waiting thread first looks again
// and again for spin_window (with `pause` between looks), and parks only after that.
//
// Measured alternatives (docs/performance.md): a window that halves after each miss lowered
// ping-pong latency on a loaded machine but cost 3-4x in PUB -> 16 SUB fan-out (woken
// subscribers cost the publisher more than spinning ones); yielding the core between looks
// starved the publisher when 16 subscribers spun. Fibers never spin: they park at once.

#include <troupe/framework/timer.hpp>

#include <chrono>
#include <immintrin.h>

namespace troupe::messaging::internal {

inline constexpr std::chrono::microseconds spin_window{25};

/// Calls `ready()` until it returns true (→ true) or spin_window passes (→ false).
template <class Ready>
bool spin_until(Ready&& ready) {
  const auto until = framework::clock::now() + spin_window;
  for (unsigned i = 1;; ++i) {
    if (ready()) return true;
    _mm_pause();
    if ((i & 15) == 0 && framework::clock::now() >= until) return false;
  }
}

}  // namespace troupe::messaging::internal
