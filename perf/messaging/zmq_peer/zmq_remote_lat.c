/* zmq_remote_lat — the remote_lat workload on real libzmq, our own peer program (built only
 * when libzmq is found; never linked into troupe's libraries). Same command line, socket type
 * and output as libzmq's perf/remote_lat and troupe's perf/messaging/remote_lat.cpp:
 *
 *   zmq_remote_lat <connect-to> <message-size> <roundtrip-count>
 *
 * A REQ connected to <connect-to> sends a zeroed <message-size>-byte message and waits for the
 * echo, <roundtrip-count> times, between two clock readings. Prints half the mean round trip
 * (libzmq's one-way figure). */

#include "zmq_tool_args.h"

#include <string.h>
#include <zmq.h>

static const char* const usage = "usage: zmq_remote_lat <connect-to> <message-size> <roundtrip-count>";

int main(int argc, char* argv[]) {
  long size = 0, count = 0;
  if (!zmq_tool_args(argc, argv, usage, "roundtrip-count", &size, &count)) return 1;

  void* ctx = zmq_ctx_new();
  if (!ctx) return zmq_tool_fail("zmq_ctx_new");
  void* s = zmq_socket(ctx, ZMQ_REQ);
  if (!s) return zmq_tool_fail("zmq_socket");
  if (zmq_connect(s, argv[1]) != 0) return zmq_tool_fail("zmq_connect");

  zmq_msg_t msg;
  if (zmq_msg_init_size(&msg, (size_t)size) != 0) return zmq_tool_fail("zmq_msg_init_size");
  if (size != 0) memset(zmq_msg_data(&msg), 0, (size_t)size);
  const double start = zmq_tool_now_us();
  for (long i = 0; i != count; i++) {
    if (zmq_msg_send(&msg, s, 0) < 0) return zmq_tool_fail("zmq_msg_send");
    if (zmq_msg_recv(&msg, s, 0) < 0) return zmq_tool_fail("zmq_msg_recv");
    if (zmq_msg_size(&msg) != (size_t)size) {
      printf("message of incorrect size received\n");
      return 1;
    }
  }
  const double elapsed = zmq_tool_now_us() - start;
  zmq_msg_close(&msg);
  if (zmq_close(s) != 0) return zmq_tool_fail("zmq_close");
  if (zmq_ctx_term(ctx) != 0) return zmq_tool_fail("zmq_ctx_term");

  printf("message size: %d [B]\n", (int)size);
  printf("roundtrip count: %d\n", (int)count);
  printf("average latency: %.3f [us]\n", elapsed / ((double)count * 2));
  return 0;
}
