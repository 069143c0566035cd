/* zmq_local_lat — the local_lat workload on real libzmq, our own peer program (built only when
 * libzmq is found; never linked into troupe's libraries). Same command line and socket type as
 * libzmq's perf/local_lat and troupe's perf/messaging/local_lat.cpp:
 *
 *   zmq_local_lat <bind-to> <message-size> <roundtrip-count>
 *
 * A REP bound at <bind-to> echoes <roundtrip-count> requests of <message-size> bytes. Prints
 * nothing. libzmq's own tool sleeps a second before closing; this one relies on the default
 * LINGER to deliver the last reply, as troupe's does, so a run is not a second longer. */

#include "zmq_tool_args.h"

static const char* const usage = "usage: zmq_local_lat <bind-to> <message-size> <roundtrip-count>";

int main(int argc, char* argv[]) {
  long size = 0, count = 0;
  if (!zmq_tool_args(argc, argv, usage, "roundtrip-count", &size, &count)) return 1;

  void* ctx = zmq_ctx_new();
  if (!ctx) return zmq_tool_fail("zmq_ctx_new");
  void* s = zmq_socket(ctx, ZMQ_REP);
  if (!s) return zmq_tool_fail("zmq_socket");
  if (zmq_bind(s, argv[1]) != 0) return zmq_tool_fail("zmq_bind");

  zmq_msg_t msg;
  zmq_msg_init(&msg);
  for (long i = 0; i != count; i++) {
    if (zmq_msg_recv(&msg, s, 0) < 0) return zmq_tool_fail("zmq_msg_recv");
    if (zmq_msg_size(&msg) != (size_t)size) {
      printf("message of incorrect size received\n");
      return 1;
    }
    if (zmq_msg_send(&msg, s, 0) < 0) return zmq_tool_fail("zmq_msg_send");
  }
  zmq_msg_close(&msg);
  if (zmq_close(s) != 0) return zmq_tool_fail("zmq_close");
  if (zmq_ctx_term(ctx) != 0) return zmq_tool_fail("zmq_ctx_term");
  return 0;
}
