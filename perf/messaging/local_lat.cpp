// local_lat — troupe's version of libzmq's perf/local_lat, with the same command line and
// socket type, so either side can face libzmq's remote_lat (or our zmq_remote_lat):
//
//   local_lat <bind-to> <message-size> <roundtrip-count>
//
// Workload (as libzmq's tool): a REP socket bound at <bind-to> receives <roundtrip-count>
// requests, each of which must be <message-size> bytes, and sends each straight back. Prints
// nothing (as libzmq's tool); remote_lat measures. libzmq's tool then sleeps a second before
// closing so the last reply gets out; here the close itself delivers it (LINGER default).

#include "tool_args.hpp"

#include <troupe/messaging/context.hpp>
#include <troupe/messaging/message.hpp>
#include <troupe/messaging/socket.hpp>

#include <cstdio>

namespace tmsg = troupe::messaging;
namespace tools = troupe::perf::tools;

namespace {

constexpr const char* usage = "usage: local_lat <bind-to> <message-size> <roundtrip-count>";

int run(const char* bind_to, std::size_t size, long count) {
  tmsg::context ctx;
  tmsg::socket s(ctx, tmsg::socket_type::rep);
  s.bind(bind_to);
  tmsg::message m;
  for (long i = 0; i != count; ++i) {
    s.recv(m);
    if (m.size() != size) {
      std::printf("message of incorrect size received\n");
      return 1;
    }
    s.send(m);
  }
  s.close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return tools::wire_tool_main(argc, argv, usage, "roundtrip-count", run); }
