// Message parts: inline storage, shared bodies, adopted buffers, moves.
#include <troupe/messaging/message.hpp>

#include <doctest/doctest.h>

#include <cstring>
#include <string>

using troupe::messaging::message;

TEST_SUITE("message") {
  TEST_CASE("small bodies live inline and large ones in shared storage") {
    message small(std::string(message::inline_capacity, 'a'));
    CHECK_FALSE(small.is_shared_storage());
    CHECK(small.size() == message::inline_capacity);
    message large(std::string(message::inline_capacity + 1, 'b'));
    CHECK(large.is_shared_storage());
    CHECK(large.view() == std::string(message::inline_capacity + 1, 'b'));
  }

  TEST_CASE("share() references a large body instead of copying it") {
    message a(std::string(1000, 'x'));
    message b = a.share();
    CHECK(a.data() == b.data());
    CHECK(a.use_count() == 2);
    {
      message c = b.share();
      CHECK(a.use_count() == 3);
    }
    CHECK(a.use_count() == 2);
    message s("tiny");
    message t = s.share();
    CHECK(t.view() == "tiny");
    CHECK(s.data() != t.data());  // inline bytes are copied: no shared state to race on
  }

  TEST_CASE("an adopted buffer is freed exactly once - by the last share") {
    static int frees = 0;
    frees = 0;
    char* buf = new char[64];
    std::memset(buf, 'z', 64);
    {
      message a(buf, 64, [](void* d, void*) noexcept {
        delete[] static_cast<char*>(d);
        ++frees;
      });
      CHECK(reinterpret_cast<const char*>(a.data()) == buf);  // zero copy
      message b = a.share();
      a.clear();
      CHECK(frees == 0);
      CHECK(b.view() == std::string(64, 'z'));
    }
    CHECK(frees == 1);
  }

  TEST_CASE("moving leaves an empty part and carries the MORE flag") {
    message a(std::string(100, 'q'));
    a.set_more(true);
    message b(std::move(a));
    CHECK(a.empty());
    CHECK_FALSE(a.more());
    CHECK(b.more());
    CHECK(b.size() == 100);
    message c;
    c = std::move(b);
    CHECK(c.size() == 100);
    CHECK(b.size() == 0);
  }
}
