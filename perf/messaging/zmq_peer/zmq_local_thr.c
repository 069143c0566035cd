/* zmq_local_thr — the local_thr workload on real libzmq, our own peer program (built only when
 * libzmq is found; never linked into troupe's libraries). Same command line, socket type and
 * output as libzmq's perf/local_thr and troupe's perf/messaging/local_thr.cpp:
 *
 *   zmq_local_thr <bind-to> <message-size> <message-count>
 *
 * A PULL bound at <bind-to>; the clock starts at the first message received and stops at the
 * last; throughput = count / elapsed. Prints message size, count and the two throughputs. */

#include "zmq_tool_args.h"

static const char* const usage = "usage: zmq_local_thr <bind-to> <message-size> <message-count>";

int main(int argc, char* argv[]) {
  long size = 0, count = 0;
  if (!zmq_tool_args(argc, argv, usage, "message-count", &size, &count)) return 1;

  void* ctx = zmq_ctx_new();
  if (!ctx) return zmq_tool_fail("zmq_ctx_new");
  void* s = zmq_socket(ctx, ZMQ_PULL);
  if (!s) return zmq_tool_fail("zmq_socket");
  if (zmq_bind(s, argv[1]) != 0) return zmq_tool_fail("zmq_bind");

  zmq_msg_t msg;
  zmq_msg_init(&msg);
  if (zmq_msg_recv(&msg, s, 0) < 0) return zmq_tool_fail("zmq_msg_recv");
  if (zmq_msg_size(&msg) != (size_t)size) {
    printf("message of incorrect size received\n");
    return 1;
  }
  const double start = zmq_tool_now_us();
  for (long i = 0; i != count - 1; i++) {
    if (zmq_msg_recv(&msg, s, 0) < 0) return zmq_tool_fail("zmq_msg_recv");
    if (zmq_msg_size(&msg) != (size_t)size) {
      printf("message of incorrect size received\n");
      return 1;
    }
  }
  double elapsed = zmq_tool_now_us() - start;
  if (elapsed <= 0) elapsed = 1;
  zmq_msg_close(&msg);
  if (zmq_close(s) != 0) return zmq_tool_fail("zmq_close");
  if (zmq_ctx_term(ctx) != 0) return zmq_tool_fail("zmq_ctx_term");

  const unsigned long throughput = (unsigned long)((double)count / elapsed * 1000000);
  const double megabits = (double)(throughput * (unsigned long)size * 8) / 1000000;
  printf("message size: %d [B]\n", (int)size);
  printf("message count: %d\n", (int)count);
  printf("mean throughput: %d [msg/s]\n", (int)throughput);
  printf("mean throughput: %.3f [Mb/s]\n", megabits);
  return 0;
}
