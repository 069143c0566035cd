// The wire engine's output queue: frames written in order with sendmsg, large bodies written
// in place (held, not copied), partial writes resumed mid-header and mid-body.
#include <troupe/messaging/message.hpp>

#include "wire/write_queue.hpp"
#include "zmtp/commands.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

using troupe::messaging::message;
using troupe::messaging::internal::write_queue;
namespace zmtp = troupe::messaging::internal::zmtp;

namespace {

struct socket_pair {
  int w = -1, r = -1;
  socket_pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
    w = fds[0];
    r = fds[1];
    const int small = 4096;  // the kernel rounds it up; still far below what is queued
    ::setsockopt(w, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    ::setsockopt(r, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  }
  ~socket_pair() {
    ::close(w);
    ::close(r);
  }
  /// Reads what is there now.
  void drain(std::string& into) const {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(r, buf, sizeof buf);
      if (n <= 0) return;
      into.append(buf, static_cast<std::size_t>(n));
    }
  }
};

message body_of(std::size_t n, unsigned seed) {
  message m(n);
  for (std::size_t i = 0; i < n; ++i) m.data()[i] = std::byte{static_cast<unsigned char>((i * 13 + seed) & 0xff)};
  return m;
}

std::string encoded(const message& m) {
  std::byte h[9];
  const std::size_t n = zmtp::encode_header(m, h);
  return std::string(reinterpret_cast<const char*>(h), n) + std::string(m.view());
}

}  // namespace

TEST_SUITE("wire") {
  TEST_CASE("write queue: small and large frames come out in order through partial writes") {
    socket_pair p;
    write_queue q;
    std::string expected;
    const std::size_t sizes[] = {0, 5, 300, write_queue::zero_copy_threshold - 1, write_queue::zero_copy_threshold,
                                 3, 200000, 200001, 17, 1 << 20, 1};
    unsigned seed = 0;
    for (std::size_t n : sizes) {
      message m = body_of(n, seed++);
      m.set_more(seed % 2 == 0);
      expected += encoded(m);
      q.add_frame(std::move(m));
    }
    CHECK(q.pending() == expected.size());
    std::string got;
    int blocked = 0;
    for (int round = 0; round < 100000 && !q.empty(); ++round) {
      const auto r = q.write_to(p.w);
      REQUIRE(r.what != write_queue::status::failed);
      if (r.what == write_queue::status::blocked) ++blocked;
      p.drain(got);
      CHECK(q.pending() == expected.size() - got.size());
    }
    p.drain(got);
    CHECK(q.empty());
    CHECK(blocked > 0);  // the small buffers forced partial writes
    CHECK(got.size() == expected.size());
    CHECK(got == expected);
  }

  TEST_CASE("write queue: a large body is written in place - held until written then released") {
    socket_pair p;
    write_queue q;
    message big = body_of(64 * 1024, 7);
    const message mine = big.share();
    q.add_frame(std::move(big));
    CHECK(mine.use_count() == 2);  // the queue holds the body itself, not a copy
    // Changed after queueing: what goes out is the message's memory as it is now.
    std::memset(const_cast<std::byte*>(mine.data()) + 100, 'Z', 10);
    message small = body_of(100, 3);
    const message small_mine = small.share();  // below the threshold: copied into the batch
    q.add_frame(std::move(small));
    std::string got;
    for (int round = 0; round < 100000 && !q.empty(); ++round) {
      REQUIRE(q.write_to(p.w).what != write_queue::status::failed);
      p.drain(got);
    }
    p.drain(got);
    REQUIRE(q.empty());
    CHECK(mine.use_count() == 1);  // released once written
    CHECK(got == encoded(mine) + encoded(small_mine));
    CHECK(got.substr(9 + 100, 10) == std::string(10, 'Z'));
  }

  TEST_CASE("write queue: a closed peer fails the write with its errno") {
    socket_pair p;
    write_queue q;
    q.add_frame(body_of(100000, 1));
    ::close(p.r);
    p.r = ::open("/dev/null", O_RDONLY);  // so the destructor closes something harmless
    const auto r = q.write_to(p.w);
    CHECK(r.what == write_queue::status::failed);
    CHECK(r.error == EPIPE);
  }
}
