// inproc_fanout — PUB -> N SUB over inproc with prefix filtering, troupe side. The same
// workload runs on libzmq in zmq_peer/zmq_inproc_fanout.c; keep the two in step.
//
//   inproc_fanout <message-size> <message-count> <subscriber-count>
//
// Workload:
// - One PUB bound at inproc://fanout_test on the main thread, with XPUB_NODROP set, so that a
//   full subscriber queue makes the publisher wait instead of dropping: every subscriber then
//   receives exactly its share and both libraries deliver the same counts (with the default
//   dropping PUB a publisher faster than its subscribers just throws messages away, and the
//   count delivered would depend on timing). HWMs are the defaults (1000).
// - <subscriber-count> SUB sockets, each on its own thread, each connected to the PUB.
//   Subscriber i subscribes to the prefix "A" (i even) or "B" (i odd).
// - The publisher sends <message-count> messages of <message-size> bytes (>= 2), a new
//   message each: the first byte alternates 'A', 'B', 'A', ... so HALF of the messages match
//   each subscriber's prefix (with one subscriber, the 'B' half matches nobody and the
//   publisher drops it unsent, as both libraries do).
// - Before timing, the publisher waits for the subscriptions: it sends probe messages
//   ("AP", "BP": second byte 'P'; data messages carry 'D') every millisecond until every
//   subscriber has seen one and said so through a shared atomic counter. Subscribers skip
//   probes. Then the clock starts.
// - Each subscriber reads until it has its <message-count>/2 data messages and records the time;
//   the clock stops at the last subscriber's last message.
// Value: messages delivered per second, summed over subscribers:
//   subscriber-count * (message-count / 2) / elapsed.
//
// Output:
//   message size: 64 [B]
//   message count: 1000000
//   subscriber count: 4
//   messages delivered: 2000000
//   mean throughput: 1234567 [msg/s]
//   mean throughput: 632.098 [Mb/s]

#include <troupe/messaging/context.hpp>
#include <troupe/messaging/message.hpp>
#include <troupe/messaging/options.hpp>
#include <troupe/messaging/socket.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace tmsg = troupe::messaging;
using clk = std::chrono::steady_clock;

namespace {

struct shared_state {
  std::atomic<int> ready{0};
  std::mutex mutex;
  std::exception_ptr failure;
};

void subscriber(tmsg::context& ctx, int index, long expected, std::size_t size, shared_state& st,
                clk::time_point& done) {
  try {
    tmsg::socket s(ctx, tmsg::socket_type::sub);
    s.set(tmsg::option::subscribe, index % 2 == 0 ? "A" : "B");
    s.connect("inproc://fanout_test");
    tmsg::message m;
    bool said_ready = false;
    long got = 0;
    while (got < expected) {
      s.recv(m);
      if (m.size() >= 2 && static_cast<char>(m.data()[1]) == 'P') {
        if (!said_ready) {
          said_ready = true;
          st.ready.fetch_add(1, std::memory_order_acq_rel);
        }
        continue;
      }
      if (m.size() != size) {
        std::printf("message of incorrect size received\n");
        std::exit(1);
      }
      ++got;
    }
    done = clk::now();
    s.close();
  } catch (...) {
    std::lock_guard lock(st.mutex);
    if (!st.failure) st.failure = std::current_exception();
    st.ready.fetch_add(1, std::memory_order_acq_rel);  // do not keep the publisher waiting
  }
}

int run(std::size_t size, long count, int subs) {
  tmsg::context ctx;
  tmsg::socket pub(ctx, tmsg::socket_type::pub);
  pub.set(tmsg::option::xpub_nodrop, 1);
  pub.bind("inproc://fanout_test");

  shared_state st;
  const long expected = count / 2;
  std::vector<clk::time_point> done(static_cast<std::size_t>(subs));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(subs));
  for (int i = 0; i < subs; ++i)
    threads.emplace_back(subscriber, std::ref(ctx), i, expected, size, std::ref(st),
                         std::ref(done[static_cast<std::size_t>(i)]));

  std::printf("message size: %d [B]\n", static_cast<int>(size));
  std::printf("message count: %d\n", static_cast<int>(count));
  std::printf("subscriber count: %d\n", subs);

  // Wait for every subscription to reach the publisher.
  while (st.ready.load(std::memory_order_acquire) < subs) {
    pub.send(tmsg::message("AP"));
    pub.send(tmsg::message("BP"));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  const auto start = clk::now();
  for (long i = 0; i != count; ++i) {
    tmsg::message m(size);
    m.data()[0] = static_cast<std::byte>(i % 2 == 0 ? 'A' : 'B');
    m.data()[1] = static_cast<std::byte>('D');
    pub.send(m);
  }
  for (auto& t : threads) t.join();
  if (st.failure) std::rethrow_exception(st.failure);
  const auto stop = *std::max_element(done.begin(), done.end());
  pub.close();

  double elapsed_us = std::chrono::duration<double, std::micro>(stop - start).count();
  if (elapsed_us <= 0) elapsed_us = 1;
  const long delivered = expected * subs;
  const auto throughput = static_cast<unsigned long>(static_cast<double>(delivered) / elapsed_us * 1000000);
  const double megabits = static_cast<double>(throughput * size * 8) / 1000000;
  std::printf("messages delivered: %ld\n", delivered);
  std::printf("mean throughput: %d [msg/s]\n", static_cast<int>(throughput));
  std::printf("mean throughput: %.3f [Mb/s]\n", megabits);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || std::atol(argv[1]) < 2 || std::atol(argv[2]) < 2 || std::atol(argv[3]) < 1) {
    std::printf("usage: inproc_fanout <message-size >= 2> <message-count >= 2> <subscriber-count >= 1>\n");
    return 1;
  }
  try {
    return run(static_cast<std::size_t>(std::atol(argv[1])), std::atol(argv[2]) / 2 * 2,
               std::atoi(argv[3]));
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
}
