// inproc_lat — troupe's version of libzmq's perf/inproc_lat, with the same command line, the
// same workload and the same output, so the two can be run side by side:
//
//   inproc_lat <message-size> <roundtrip-count>
//
// Workload (as libzmq's tool): one context; a REQ socket bound at inproc://lat_test on the
// main thread; a second thread connects a REP socket and echoes every request. The main thread
// sends one <message-size>-byte message and waits for the echo, <roundtrip-count> times,
// between two clock readings. As libzmq, the latency printed is HALF the mean round trip
// (elapsed / (2 * roundtrip-count)): a one-way figure.
//
// Output (libzmq's format):
//   message size: 64 [B]
//   roundtrip count: 10000
//   average latency: 12.345 [us]

#include <troupe/messaging/context.hpp>
#include <troupe/messaging/message.hpp>
#include <troupe/messaging/socket.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <thread>

namespace tmsg = troupe::messaging;

namespace {

void echo(tmsg::context& ctx, long count) {
  tmsg::socket s(ctx, tmsg::socket_type::rep);
  s.connect("inproc://lat_test");
  tmsg::message m;
  for (long i = 0; i != count; ++i) {
    s.recv(m);
    s.send(m);
  }
  s.close();
}

int run(std::size_t size, long count) {
  tmsg::context ctx;
  tmsg::socket s(ctx, tmsg::socket_type::req);
  s.bind("inproc://lat_test");
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      echo(ctx, count);
    } catch (...) {
      failure = std::current_exception();
    }
  });

  tmsg::message m(size);
  if (size != 0) std::memset(m.data(), 0, size);

  std::printf("message size: %d [B]\n", static_cast<int>(size));
  std::printf("roundtrip count: %d\n", static_cast<int>(count));

  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i != count; ++i) {
    s.send(m);
    s.recv(m);
    if (m.size() != size) {
      std::printf("message of incorrect size received\n");
      std::exit(1);
    }
  }
  const auto stop = std::chrono::steady_clock::now();
  worker.join();
  if (failure) std::rethrow_exception(failure);

  const double elapsed_us = std::chrono::duration<double, std::micro>(stop - start).count();
  const double latency = elapsed_us / (static_cast<double>(count) * 2);
  std::printf("average latency: %.3f [us]\n", latency);
  s.close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::printf("usage: inproc_lat <message-size> <roundtrip-count>\n");
    return 1;
  }
  const long size = std::atol(argv[1]);
  const long count = std::atol(argv[2]);
  if (size < 0 || count < 1) {
    std::printf("usage: inproc_lat <message-size> <roundtrip-count>\n");
    return 1;
  }
  try {
    return run(static_cast<std::size_t>(size), count);
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
}
