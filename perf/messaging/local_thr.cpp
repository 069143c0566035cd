// local_thr — troupe's version of libzmq's perf/local_thr, with the same command line, socket
// type and output, so either side can face libzmq's remote_thr (or our zmq_remote_thr):
//
//   local_thr <bind-to> <message-size> <message-count>
//
// Workload (as libzmq's tool): a PULL socket bound at <bind-to> (tcp://..., ipc://...,
// inproc is useless here: the sender is another process). It receives the first message,
// starts the clock, receives the remaining <message-count> - 1 and stops the clock; every
// message must be <message-size> bytes. Throughput = <message-count> / elapsed (libzmq's
// formula, kept so the numbers compare), megabits = throughput * size * 8 / 10^6.
//
// Output (libzmq's format, printed once the count is in):
//   message size: 64 [B]
//   message count: 1000000
//   mean throughput: 4500000 [msg/s]
//   mean throughput: 2304.000 [Mb/s]

#include "tool_args.hpp"

#include <troupe/messaging/context.hpp>
#include <troupe/messaging/message.hpp>
#include <troupe/messaging/socket.hpp>

#include <chrono>
#include <cstdio>

namespace tmsg = troupe::messaging;
namespace tools = troupe::perf::tools;

namespace {

constexpr const char* usage = "usage: local_thr <bind-to> <message-size> <message-count>";

bool receive(tmsg::socket& s, tmsg::message& m, std::size_t size) {
  s.recv(m);
  if (m.size() == size) return true;
  std::printf("message of incorrect size received\n");
  return false;
}

int run(const char* bind_to, std::size_t size, long count) {
  tmsg::context ctx;
  tmsg::socket s(ctx, tmsg::socket_type::pull);
  s.bind(bind_to);

  tmsg::message m;
  if (!receive(s, m, size)) return 1;
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i != count - 1; ++i)
    if (!receive(s, m, size)) return 1;
  const auto stop = std::chrono::steady_clock::now();
  s.close();

  tools::print_throughput(size, count, std::chrono::duration<double, std::micro>(stop - start).count());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return tools::wire_tool_main(argc, argv, usage, "message-count", run); }
