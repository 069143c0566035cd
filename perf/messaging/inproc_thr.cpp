// inproc_thr — troupe's version of libzmq's perf/inproc_thr, with the same command line, the
// same workload and the same output, so the two can be run side by side:
//
//   inproc_thr <message-size> <message-count>
//
// Workload (as libzmq's tool): one context; a PULL socket bound at inproc://thr_test on the
// main thread; a second thread connects a PUSH socket and sends <message-count> messages of
// <message-size> bytes, making a new message for each send. The main thread receives the
// first message, starts the clock, receives the remaining <message-count> - 1 and stops the
// clock. Throughput is <message-count> / elapsed time (libzmq's formula, kept so the numbers
// compare), megabits = throughput * size * 8 / 10^6.
//
// Output (libzmq's format):
//   message size: 64 [B]
//   message count: 1000000
//   mean throughput: 6500000 [msg/s]
//   mean throughput: 3328.000 [Mb/s]

#include <troupe/messaging/context.hpp>
#include <troupe/messaging/message.hpp>
#include <troupe/messaging/socket.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>

namespace tmsg = troupe::messaging;

namespace {

void sender(tmsg::context& ctx, std::size_t size, long count) {
  tmsg::socket s(ctx, tmsg::socket_type::push);
  s.connect("inproc://thr_test");
  for (long i = 0; i != count; ++i) {
    tmsg::message m(size);
    s.send(m);
  }
  s.close();
}

int run(std::size_t size, long count) {
  tmsg::context ctx;
  tmsg::socket s(ctx, tmsg::socket_type::pull);
  s.bind("inproc://thr_test");
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      sender(ctx, size, count);
    } catch (...) {
      failure = std::current_exception();
    }
  });

  std::printf("message size: %d [B]\n", static_cast<int>(size));
  std::printf("message count: %d\n", static_cast<int>(count));

  tmsg::message m;
  s.recv(m);
  if (m.size() != size) {
    std::printf("message of incorrect size received\n");
    std::exit(1);
  }
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i != count - 1; ++i) {
    s.recv(m);
    if (m.size() != size) {
      std::printf("message of incorrect size received\n");
      std::exit(1);
    }
  }
  const auto stop = std::chrono::steady_clock::now();
  worker.join();
  if (failure) std::rethrow_exception(failure);
  s.close();

  double elapsed_us = std::chrono::duration<double, std::micro>(stop - start).count();
  if (elapsed_us <= 0) elapsed_us = 1;
  const auto throughput = static_cast<unsigned long>(static_cast<double>(count) / elapsed_us * 1000000);
  const double megabits = static_cast<double>(throughput * size * 8) / 1000000;
  std::printf("mean throughput: %d [msg/s]\n", static_cast<int>(throughput));
  std::printf("mean throughput: %.3f [Mb/s]\n", megabits);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::printf("usage: inproc_thr <message-size> <message-count>\n");
    return 1;
  }
  const long size = std::atol(argv[1]);
  const long count = std::atol(argv[2]);
  if (size < 0 || count < 1) {
    std::printf("usage: inproc_thr <message-size> <message-count>\n");
    return 1;
  }
  try {
    return run(static_cast<std::size_t>(size), count);
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
}
