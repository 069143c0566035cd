// timer_insert_cancel — what it measures: the cost of arming a timer and cancelling it before
// it fires, with many other timers live (value: wall time / (insert + cancel) pairs). This is
// the timeout pattern of every blocking call with a deadline. Deadlines are about an hour out
// and later than the earliest live timer, so neither side ever has a timer fire or needs to
// wake a timer thread: the cost is the data structure, the locking and the allocation.
// Also reported: the slowest run of 64 consecutive pairs, where a rare expensive operation
// (e.g. a bulk clean-up of cancelled timers) shows up even when the mean hides it. The mean
// includes such clean-ups amortised only when the loop is long compared with the live count,
// so keep --scale at 1 or more for this case.
//   troupe:   reactor::after(delay, fn) then timer::cancel(), from a plain thread;
//   baseline: a std::multimap<deadline, std::function> under a std::mutex: lock, emplace,
//             unlock; lock, erase, unlock. Same callable, same clock read per insert.

#include "cases.hpp"

#include <troupe/framework/executor.hpp>
#include <troupe/framework/reactor.hpp>
#include <troupe/framework/timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

namespace troupe::perf::framework_cases {
namespace {

namespace tf = troupe::framework;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

/// Delay of the i-th timer: an hour plus a spread of up to ~10 s, in a scattered order so
/// inserts land all over the structure.
milliseconds delay_of(std::uint64_t i) noexcept {
  return 1h + milliseconds((i * 7919) % 10'007);
}

/// The plain alternative: an ordered multimap of deadlines under a mutex.
class locked_timer_table {
public:
  using table = std::multimap<tf::clock::time_point, std::function<void()>>;

  table::iterator insert(milliseconds delay, std::function<void()> fn) {
    const auto deadline = tf::clock::now() + delay;
    std::lock_guard lock(mutex_);
    return entries_.emplace(deadline, std::move(fn));
  }
  void erase(table::iterator it) noexcept {
    std::lock_guard lock(mutex_);
    entries_.erase(it);
  }

private:
  std::mutex mutex_;
  table entries_;
};

/// Runs `op` n times after a warm-up. Returns the mean time per op over the whole loop (ns)
/// and the slowest of its consecutive chunks of `chunk` ops (µs): a rare expensive op (a bulk
/// clean-up, a rehash) shows there while the mean hides it. One clock read per chunk keeps
/// the timing out of the mean.
template <class InsertCancel>
sample time_pairs(std::uint64_t n, InsertCancel op) {
  constexpr std::uint64_t chunk = 64;
  for (std::uint64_t i = 0; i < 1000; ++i) op(i);
  double worst_ns = 0;
  const stopwatch total;
  auto chunk_start = stopwatch::clock::now();
  for (std::uint64_t i = 0; i < n; ++i) {
    op(i);
    if ((i + 1) % chunk == 0) {
      const auto now = stopwatch::clock::now();
      worst_ns = std::max(worst_ns, std::chrono::duration<double, std::nano>(now - chunk_start).count());
      chunk_start = now;
    }
  }
  return {total.elapsed_ns() / static_cast<double>(n), worst_ns / 1000};
}

sample run_troupe(std::uint64_t live, std::uint64_t n) {
  tf::executor ex;
  tf::reactor io(ex);
  std::vector<tf::timer> keep_alive;
  keep_alive.reserve(live);
  for (std::uint64_t i = 0; i < live; ++i) keep_alive.push_back(io.after(delay_of(i), [] {}));
  const sample s = time_pairs(n, [&io](std::uint64_t i) {
    tf::timer t = io.after(delay_of(i), [] {});
    t.cancel();
  });
  keep_alive.clear();
  io.stop();
  ex.shutdown();
  return s;
}

sample run_baseline(std::uint64_t live, std::uint64_t n) {
  locked_timer_table table;
  for (std::uint64_t i = 0; i < live; ++i) table.insert(delay_of(i), [] {});
  return time_pairs(n, [&table](std::uint64_t i) { table.erase(table.insert(delay_of(i), [] {})); });
}

}  // namespace

comparison timer_insert_cancel(const options& o) {
  const std::uint64_t live = 100'000;  // the "100,000 live timers are cheap"
  const std::uint64_t n = o.scaled(300'000);
  return {"timer_insert_cancel",
          "arm a one-shot timer and cancel it before it fires, among 100,000 live timers",
          {{"insert+cancel", "ns/op", better::lower},
           {"worst 64 ops", "us", better::lower}},
          {"troupe reactor timer", [live, n] { return run_troupe(live, n); }},
          side{"multimap+mutex", [live, n] { return run_baseline(live, n); }},
          {{"live_timers", static_cast<double>(live)}, {"pairs", static_cast<double>(n)},
           {"chunk", 64}}};
}

}  // namespace troupe::perf::framework_cases
