// fiber_yield — what it measures: the cost of a fiber giving up its thread and getting it
// back, one round trip per operation (value: wall time / round trips).
//   troupe:   one fiber calls this_fiber::yield() in a loop: switch to the worker's context,
//             requeue on the executor, switch back (maybe on the other worker);
//   baseline: a raw boost::context::fiber resumed by the main thread in a loop, switching
//             straight back each time: the same two context switches per round trip with no
//             scheduler in between. The plain alternative is the floor troupe builds on.

#include "cases.hpp"

#include <troupe/framework/fiber.hpp>
#include <troupe/framework/runtime.hpp>

#include <boost/context/fiber.hpp>
#include <boost/context/fixedsize_stack.hpp>

#include <cstdint>
#include <memory>

namespace troupe::perf::framework_cases {
namespace {

namespace tf = troupe::framework;
namespace ctx = boost::context;

constexpr std::size_t stack_size = 64 * 1024;  // troupe's default fiber stack

sample run_troupe(std::uint64_t n) {
  tf::runtime_options ro;
  ro.fibers.stack_size = stack_size;
  tf::runtime rt(ro);
  double ns = 0;
  rt.spawn([&ns, n] {
    for (int i = 0; i < 100; ++i) tf::this_fiber::yield();
    stopwatch sw;
    for (std::uint64_t i = 0; i < n; ++i) tf::this_fiber::yield();
    ns = sw.elapsed_ns() / static_cast<double>(n);
  });
  rt.fibers().wait_all();
  rt.stop();
  return {ns};
}

sample run_baseline(std::uint64_t n) {
  bool stop = false;
  ctx::fiber f{std::allocator_arg, ctx::fixedsize_stack(stack_size),
               [&stop](ctx::fiber&& caller) {
                 while (!stop) caller = std::move(caller).resume();
                 return std::move(caller);
               }};
  for (int i = 0; i < 100; ++i) f = std::move(f).resume();
  stopwatch sw;
  for (std::uint64_t i = 0; i < n; ++i) f = std::move(f).resume();
  const double ns = sw.elapsed_ns() / static_cast<double>(n);
  stop = true;
  f = std::move(f).resume();  // lets the fiber return; f is then empty
  return {ns};
}

}  // namespace

comparison fiber_yield(const options& o) {
  const std::uint64_t n = o.scaled(300'000);
  return {"fiber_yield",
          "a fiber suspends and is resumed, in a loop (one round trip = two context switches)",
          {{"round trip", "ns/op", better::lower}},
          {"troupe this_fiber::yield", [n] { return run_troupe(n); }},
          side{"raw boost::context", [n] { return run_baseline(n); }},
          {{"round_trips", static_cast<double>(n)}, {"stack_bytes", stack_size}}};
}

}  // namespace troupe::perf::framework_cases
