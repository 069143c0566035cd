// White-box tests of the message-body block pool (messaging/src/body_pool): size classes,
// blocks recycled between a thread that allocates and one that frees, and the depot's bound.
#include "body_pool.hpp"

#include <troupe/messaging/message.hpp>

#include <doctest/doctest.h>

#include <cstring>
#include <set>
#include <thread>
#include <vector>

namespace pool = troupe::messaging::internal::body_pool;

TEST_SUITE("message") {
  TEST_CASE("every body size gets a block at least as large and bodies past 64 KiB go unpooled") {
    for (std::size_t bytes = 1; bytes <= 70000; bytes += (bytes < 300 ? 1 : 97)) {
      std::uint8_t c = 0;
      void* p = pool::allocate(bytes, c);
      REQUIRE(p != nullptr);
      if (c != pool::unpooled) CHECK_MESSAGE(pool::block_bytes(c) >= bytes, "bytes " << bytes);
      std::memset(p, 0xab, bytes);  // the whole request is usable
      pool::free(p, c);
    }
    std::uint8_t c = 0;
    void* p = pool::allocate(64 * 1024 + 24, c);  // a 64 KiB body and its header stay pooled
    CHECK((c != pool::unpooled) == pool::recycling());
    pool::free(p, c);
    p = pool::allocate(1 << 20, c);
    CHECK(c == pool::unpooled);
    pool::free(p, c);
  }

  TEST_CASE("blocks freed on one thread are reused by the thread that allocates") {
    if (!pool::recycling()) return;  // ASan builds hand every block back to the system
    constexpr int rounds = 50;
    constexpr int batch = 512;
    std::set<void*> seen;
    std::size_t reused = 0;
    std::vector<void*> blocks(batch);
    std::vector<std::uint8_t> classes(batch);
    for (int r = 0; r != rounds; ++r) {
      for (int i = 0; i != batch; ++i) {
        blocks[i] = pool::allocate(1024 + 24, classes[i]);
        std::memset(blocks[i], r, 1024 + 24);
        if (!seen.insert(blocks[i]).second) ++reused;
      }
      std::thread freer([&] {  // a fresh thread each round: its magazines go back at exit
        for (int i = 0; i != batch; ++i) pool::free(blocks[i], classes[i]);
      });
      freer.join();
    }
    CHECK(reused > std::size_t{rounds - 2} * batch / 2);
    CHECK(pool::depot_bytes_held() <= pool::depot_bytes_bound());
  }

  TEST_CASE("the depot keeps no more than its bound when one thread frees what another made") {
    constexpr int count = 4000;  // 4,000 x 16 KiB = 64 MiB, well past the per-class bound
    std::vector<std::pair<void*, std::uint8_t>> held(count);
    for (auto& [p, c] : held) {
      p = pool::allocate(16 * 1024, c);
      std::memset(p, 1, 64);
    }
    std::thread freer([&] {
      for (auto& [p, c] : held) pool::free(p, c);
    });
    freer.join();
    const std::size_t kept = pool::depot_bytes_held();
    CHECK(kept <= pool::depot_bytes_bound());
    CHECK(kept < std::size_t{count} * 16 * 1024 / 2);
    if (pool::recycling()) CHECK(kept > 0);
  }

  TEST_CASE("large message bodies survive a trip through the pool intact") {
    std::vector<troupe::messaging::message> made;
    std::thread maker([&] {
      for (int i = 0; i != 3000; ++i) made.emplace_back(std::string(100 + i * 7 % 5000, static_cast<char>('a' + i % 26)));
    });
    maker.join();
    for (int i = 0; i != 3000; ++i)
      REQUIRE(made[i].view() == std::string(100 + i * 7 % 5000, static_cast<char>('a' + i % 26)));
    made.clear();
    troupe::messaging::message again(std::string(2000, 'z'));
    CHECK(again.view() == std::string(2000, 'z'));
  }
}
