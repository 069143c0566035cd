// remote_thr — troupe's version of libzmq's perf/remote_thr, with the same command line and
// socket type, so either side can face libzmq's local_thr (or our zmq_local_thr):
//
//   remote_thr <connect-to> <message-size> <message-count>
//
// Workload (as libzmq's tool): a PUSH socket connected to <connect-to> sends <message-count>
// messages of <message-size> bytes, a new message for each send (contents not set), then
// closes the socket and the context. LINGER stays at its default (deliver everything), so the
// process ends only once the last message is written. Prints nothing (as libzmq's tool).
//
// With TROUPE_PERF_HOLD_STDIN set in the environment (wire_bench sets it; libzmq's tool has no
// such thing) the socket stays open after the last send until stdin reaches end-of-file. A
// libzmq 4.3.4 receiver drops what it has not read yet when its peer closes (seen here over
// ipc: local_thr then waits for ever); holding the connection until the receiver is done
// avoids that without touching the timed part, which ends at the receiver's last message.

#include "tool_args.hpp"

#include <troupe/messaging/context.hpp>
#include <troupe/messaging/message.hpp>
#include <troupe/messaging/socket.hpp>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace tmsg = troupe::messaging;
namespace tools = troupe::perf::tools;

namespace {

constexpr const char* usage = "usage: remote_thr <connect-to> <message-size> <message-count>";

int run(const char* connect_to, std::size_t size, long count) {
  tmsg::context ctx;
  tmsg::socket s(ctx, tmsg::socket_type::push);
  s.connect(connect_to);
  for (long i = 0; i != count; ++i) {
    tmsg::message m(size);
    s.send(m);
  }
  if (std::getenv("TROUPE_PERF_HOLD_STDIN")) {
    char c;
    while (::read(0, &c, 1) > 0) {
    }
  }
  s.close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return tools::wire_tool_main(argc, argv, usage, "message-count", run); }
