// remote_lat — troupe's version of libzmq's perf/remote_lat, with the same command line,
// socket type and output, so either side can face libzmq's local_lat (or our zmq_local_lat):
//
//   remote_lat <connect-to> <message-size> <roundtrip-count>
//
// Workload (as libzmq's tool): a REQ socket connected to <connect-to> sends one
// <message-size>-byte message (zeroed) and waits for the echo, <roundtrip-count> times,
// between two clock readings (the first round trip includes completing the connection, as in
// libzmq's tool). The latency printed is HALF the mean round trip (elapsed / (2 * count)):
// libzmq's one-way figure.
//
// Output (libzmq's format):
//   message size: 64 [B]
//   roundtrip count: 10000
//   average latency: 45.678 [us]

#include "tool_args.hpp"

#include <troupe/messaging/context.hpp>
#include <troupe/messaging/message.hpp>
#include <troupe/messaging/socket.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>

namespace tmsg = troupe::messaging;
namespace tools = troupe::perf::tools;

namespace {

constexpr const char* usage = "usage: remote_lat <connect-to> <message-size> <roundtrip-count>";

int run(const char* connect_to, std::size_t size, long count) {
  tmsg::context ctx;
  tmsg::socket s(ctx, tmsg::socket_type::req);
  s.connect(connect_to);
  tmsg::message m(size);
  if (size != 0) std::memset(m.data(), 0, size);

  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i != count; ++i) {
    s.send(m);
    s.recv(m);
    if (m.size() != size) {
      std::printf("message of incorrect size received\n");
      return 1;
    }
  }
  const auto stop = std::chrono::steady_clock::now();
  s.close();

  const double elapsed_us = std::chrono::duration<double, std::micro>(stop - start).count();
  const double latency = elapsed_us / (static_cast<double>(count) * 2);
  std::printf("message size: %d [B]\n", static_cast<int>(size));
  std::printf("roundtrip count: %d\n", static_cast<int>(count));
  std::printf("average latency: %.3f [us]\n", latency);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return tools::wire_tool_main(argc, argv, usage, "roundtrip-count", run); }
