// fiber_ping_pong — what it measures: one fiber waking another and suspending itself, the
// shape of every blocking hand-off between actors (value: wall time / hand-offs; a round of
// ping and pong is two hand-offs).
//   troupe:   fibers A and B each make a fresh waiter, publish it, notify the other's waiter
//             and wait on their own: a waiter allocation, a notify (which queues the other
//             fiber on the executor), a suspend and a resume per hand-off;
//   baseline: two raw boost::context::fibers and a dispatcher loop on the main thread: each
//             fiber marks the other as next and switches to the dispatcher, which resumes it.
//             Two context switches per hand-off, single-threaded, no allocation: the floor.

#include "cases.hpp"

#include <troupe/framework/fiber.hpp>
#include <troupe/framework/runtime.hpp>
#include <troupe/framework/waiter.hpp>

#include <boost/context/fiber.hpp>
#include <boost/context/fixedsize_stack.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

namespace troupe::perf::framework_cases {
namespace {

namespace tf = troupe::framework;
namespace ctx = boost::context;

constexpr std::size_t stack_size = 64 * 1024;  // troupe's default fiber stack

/// Each player's current waiter. A slot is written only by its owner, before it notifies the
/// other player, and read by the other only after that notify woke it: the waiter's
/// notify/wait orders the accesses. A player copies the other's waiter before notifying it, so
/// an overwrite by the woken owner cannot free it under the notifier.
struct court {
  std::array<std::optional<tf::waiter>, 2> slot;
  std::atomic<bool> b_ready{false};
  double ns = 0;
};

void wake(const std::optional<tf::waiter>& slot) {
  const tf::waiter peer = *slot;
  peer.notify();
}

void player_a(court& c, std::uint64_t rounds) {
  while (!c.b_ready.load(std::memory_order_acquire)) tf::this_fiber::yield();
  auto round = [&c] {
    tf::waiter mine;
    c.slot[0] = mine;
    wake(c.slot[1]);
    mine.wait();
  };
  for (int i = 0; i < 100; ++i) round();
  stopwatch sw;
  for (std::uint64_t i = 0; i < rounds; ++i) round();
  c.ns = sw.elapsed_ns() / (2.0 * static_cast<double>(rounds));
}

void player_b(court& c, std::uint64_t rounds) {
  tf::waiter mine;
  c.slot[1] = mine;
  c.b_ready.store(true, std::memory_order_release);
  for (std::uint64_t i = 0; i < rounds + 100; ++i) {
    mine.wait();
    tf::waiter next;
    c.slot[1] = next;  // published before A can run again
    wake(c.slot[0]);
    mine = next;
  }
}

sample run_troupe(std::uint64_t rounds) {
  tf::runtime_options ro;
  ro.fibers.stack_size = stack_size;
  tf::runtime rt(ro);
  court c;
  rt.spawn([&c, rounds] { player_b(c, rounds); });
  rt.spawn([&c, rounds] { player_a(c, rounds); });
  rt.fibers().wait_all();
  rt.stop();
  return {c.ns};
}

sample run_baseline(std::uint64_t rounds) {
  std::array<ctx::fiber, 2> fibers;
  int next = 0;
  auto body = [&next](int other, std::uint64_t handoffs) {
    return [&next, other, handoffs](ctx::fiber&& dispatcher) {
      for (std::uint64_t i = 0; i < handoffs; ++i) {
        next = other;
        dispatcher = std::move(dispatcher).resume();
      }
      return std::move(dispatcher);
    };
  };
  fibers[0] = ctx::fiber{std::allocator_arg, ctx::fixedsize_stack(stack_size), body(1, rounds + 100)};
  fibers[1] = ctx::fiber{std::allocator_arg, ctx::fixedsize_stack(stack_size), body(0, rounds + 100)};
  auto dispatch = [&](std::uint64_t handoffs) {
    for (std::uint64_t i = 0; i < handoffs; ++i) {
      const int current = next;
      fibers[current] = std::move(fibers[current]).resume();
    }
  };
  dispatch(200);  // warm-up: 100 rounds
  stopwatch sw;
  dispatch(2 * rounds);
  const double ns = sw.elapsed_ns() / (2.0 * static_cast<double>(rounds));
  // Each fiber has made all its hand-offs; one more resume each lets it return.
  for (auto& f : fibers) f = std::move(f).resume();
  return {ns};
}

}  // namespace

comparison fiber_ping_pong(const options& o) {
  const std::uint64_t rounds = o.scaled(100'000);
  return {"fiber_ping_pong",
          "two fibers alternately wake each other and suspend (one hand-off = wake + suspend)",
          {{"hand-off", "ns/op", better::lower}},
          {"troupe waiter", [rounds] { return run_troupe(rounds); }},
          side{"raw boost::context", [rounds] { return run_baseline(rounds); }},
          {{"rounds", static_cast<double>(rounds)}, {"stack_bytes", stack_size}}};
}

}  // namespace troupe::perf::framework_cases
