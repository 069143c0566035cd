// stack_pool: page-rounded stacks, reuse up to max_cached, guard pages, thread safety.

#include "support.hpp"

#include <troupe/framework/stack_pool.hpp>

#include <doctest/doctest.h>

#include <cstring>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace troupe::framework;
using namespace troupe_test;

namespace {
std::size_t page_size() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }
}  // namespace

TEST_SUITE("stack_pool") {

TEST_CASE("the stack size is rounded up to whole pages") {
  const auto page = page_size();
  stack_pool pool(10'000, false);
  CHECK(pool.stack_size() % page == 0);
  CHECK(pool.stack_size() >= 10'000);
  CHECK(pool.stack_size() < 10'000 + page);
  CHECK_FALSE(pool.guard_page());

  stack_pool exact(16 * 1024, true);
  CHECK(exact.stack_size() == 16 * 1024);
  CHECK(exact.guard_page());
}

TEST_CASE("a stack below 8 KiB is refused") {
  CHECK_THROWS_AS(stack_pool(4096, false), std::invalid_argument);
  CHECK_THROWS_AS(stack_pool(8 * 1024 - 1, true), std::invalid_argument);
  CHECK_NOTHROW(stack_pool(8 * 1024, false));
}

TEST_CASE("a stack is usable over its whole size and is reused after release") {
  stack_pool pool(64 * 1024, false, 4);
  auto s = pool.allocate();
  REQUIRE(s.base != nullptr);
  CHECK(s.size == pool.stack_size());
  std::memset(s.base, 0xab, s.size);  // every byte writable
  CHECK(pool.in_use() == 1);
  CHECK(pool.cached() == 0);

  pool.deallocate(s);
  CHECK(pool.in_use() == 0);
  CHECK(pool.cached() == 1);

  auto again = pool.allocate();
  CHECK(again.base == s.base);  // from the cache: no new mapping
  CHECK(pool.cached() == 0);
  pool.deallocate(again);
}

TEST_CASE("max_cached bounds the stacks kept for reuse") {
  stack_pool pool(16 * 1024, false, 4);
  std::vector<fiber_stack> held;
  for (int i = 0; i < 10; ++i) held.push_back(pool.allocate());
  CHECK(pool.in_use() == 10);
  std::set<void*> distinct;
  for (auto& s : held) distinct.insert(s.base);
  CHECK(distinct.size() == 10);

  const auto vm_held = vm_size_kib();
  for (auto& s : held) pool.deallocate(s);
  CHECK(pool.in_use() == 0);
  CHECK(pool.cached() == 4);
  // The six not cached went back to the system.
  CHECK(vm_held - vm_size_kib() >= 6 * 16);
}

TEST_CASE("a guard page sits below each stack") {
  stack_pool guarded(16 * 1024, true);
  auto s = guarded.allocate();
  const auto* base = static_cast<const char*>(s.base);
  CHECK(mapping_perms(base).substr(0, 2) == "rw");
  CHECK(mapping_perms(base + s.size - 1).substr(0, 2) == "rw");
  CHECK(mapping_perms(base - 1).substr(0, 3) == "---");
  guarded.deallocate(s);

  // And none without it: the byte below the stack is not a PROT_NONE page of ours.
  stack_pool plain(16 * 1024, false);
  auto p = plain.allocate();
  CHECK(mapping_perms(static_cast<const char*>(p.base) + p.size - 1).substr(0, 2) == "rw");
  plain.deallocate(p);
}

TEST_CASE("allocate and deallocate from many threads") {
  stack_pool pool(16 * 1024, true, 8);
  std::atomic<int> clashes{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int round = 0; round < 500; ++round) {
        fiber_stack mine[3];
        for (auto& s : mine) {
          s = pool.allocate();
          // Tag the top word: if another thread held the same stack it would overwrite it.
          *static_cast<int*>(s.base) = t * 1000 + round;
        }
        std::this_thread::yield();
        for (auto& s : mine) {
          if (*static_cast<int*>(s.base) != t * 1000 + round) clashes.fetch_add(1);
          pool.deallocate(s);
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  CHECK(clashes.load() == 0);
  CHECK(pool.in_use() == 0);
  CHECK(pool.cached() <= 8);
}

}  // TEST_SUITE
