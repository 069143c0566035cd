#pragma once
/// The framework micro-benchmarks, each a troupe case and its plain alternative.

#include <troupe/perf/harness.hpp>

namespace troupe::perf::framework_cases {

/// executor::submit → task runs → poster wakes, one at a time, vs a std::thread fed through
/// a std::condition_variable.
comparison task_handoff(const options& o);

/// strand::schedule() from `producers` threads vs a std::thread consumer woken by a
/// condition variable with the same coalescing rule.
comparison strand_wakeup(const options& o, int producers);

/// this_fiber::yield() in a loop vs a raw boost::context::fiber resume round trip.
comparison fiber_yield(const options& o);

/// Two fibers waking each other through waiters vs two raw Boost.Context fibers handing
/// control to each other through a dispatcher loop.
comparison fiber_ping_pong(const options& o);

/// reactor::after() + timer::cancel() among many live timers vs a mutex-guarded
/// std::multimap insert + erase among as many entries.
comparison timer_insert_cancel(const options& o);

}  // namespace troupe::perf::framework_cases
