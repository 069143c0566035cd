/* zmq_remote_thr — the remote_thr workload on real libzmq, our own peer program (built only
 * when libzmq is found; never linked into troupe's libraries). Same command line and socket
 * type as libzmq's perf/remote_thr and troupe's perf/messaging/remote_thr.cpp:
 *
 *   zmq_remote_thr <connect-to> <message-size> <message-count>
 *
 * A PUSH connected to <connect-to> sends <message-count> messages of <message-size> bytes, a
 * new zmq_msg_t each, then closes the socket and terminates the context (default LINGER:
 * everything queued is delivered first). Prints nothing. With TROUPE_PERF_HOLD_STDIN set it
 * first waits for end-of-file on stdin, as troupe's remote_thr (see there: libzmq 4.3.4's
 * receiver drops unread data when its peer closes). */

#include "zmq_tool_args.h"

#include <unistd.h>
#include <zmq.h>

static const char* const usage = "usage: zmq_remote_thr <connect-to> <message-size> <message-count>";

int main(int argc, char* argv[]) {
  long size = 0, count = 0;
  if (!zmq_tool_args(argc, argv, usage, "message-count", &size, &count)) return 1;

  void* ctx = zmq_ctx_new();
  if (!ctx) return zmq_tool_fail("zmq_ctx_new");
  void* s = zmq_socket(ctx, ZMQ_PUSH);
  if (!s) return zmq_tool_fail("zmq_socket");
  if (zmq_connect(s, argv[1]) != 0) return zmq_tool_fail("zmq_connect");
  for (long i = 0; i != count; i++) {
    zmq_msg_t msg;
    if (zmq_msg_init_size(&msg, (size_t)size) != 0) return zmq_tool_fail("zmq_msg_init_size");
    if (zmq_msg_send(&msg, s, 0) < 0) return zmq_tool_fail("zmq_msg_send");
    zmq_msg_close(&msg);
  }
  if (getenv("TROUPE_PERF_HOLD_STDIN")) {
    char c;
    while (read(0, &c, 1) > 0) {
    }
  }
  if (zmq_close(s) != 0) return zmq_tool_fail("zmq_close");
  if (zmq_ctx_term(ctx) != 0) return zmq_tool_fail("zmq_ctx_term");
  return 0;
}
