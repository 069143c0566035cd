/* zmq_inproc_lat — the inproc_lat workload on real libzmq, our own peer program (built only
 * when libzmq is found; never linked into troupe's libraries). Same command line, workload and
 * output as libzmq's perf/inproc_lat and as troupe's perf/messaging/inproc_lat.cpp:
 *
 *   zmq_inproc_lat <message-size> <roundtrip-count>
 *
 * A REQ bound at inproc://lat_test on the main thread; a second thread connects a REP and
 * echoes. <roundtrip-count> send+recv round trips between two CLOCK_MONOTONIC readings; as
 * libzmq's tool, the latency printed is half the mean round trip. */

#include <zmq.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long roundtrip_count;
static size_t message_size;

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void fail(const char* what) {
  printf("error in %s: %s\n", what, zmq_strerror(errno));
  exit(1);
}

static void* worker(void* ctx) {
  void* s = zmq_socket(ctx, ZMQ_REP);
  if (!s) fail("zmq_socket");
  if (zmq_connect(s, "inproc://lat_test") != 0) fail("zmq_connect");
  zmq_msg_t msg;
  zmq_msg_init(&msg);
  for (long i = 0; i != roundtrip_count; i++) {
    if (zmq_msg_recv(&msg, s, 0) < 0) fail("zmq_msg_recv");
    if (zmq_msg_send(&msg, s, 0) < 0) fail("zmq_msg_send");
  }
  zmq_msg_close(&msg);
  if (zmq_close(s) != 0) fail("zmq_close");
  return NULL;
}

int main(int argc, char* argv[]) {
  if (argc != 3 || atol(argv[1]) < 0 || atol(argv[2]) < 1) {
    printf("usage: zmq_inproc_lat <message-size> <roundtrip-count>\n");
    return 1;
  }
  message_size = (size_t)atol(argv[1]);
  roundtrip_count = atol(argv[2]);

  void* ctx = zmq_ctx_new();
  if (!ctx) fail("zmq_ctx_new");
  void* s = zmq_socket(ctx, ZMQ_REQ);
  if (!s) fail("zmq_socket");
  if (zmq_bind(s, "inproc://lat_test") != 0) fail("zmq_bind");

  pthread_t thread;
  if (pthread_create(&thread, NULL, worker, ctx) != 0) fail("pthread_create");

  zmq_msg_t msg;
  if (zmq_msg_init_size(&msg, message_size) != 0) fail("zmq_msg_init_size");
  memset(zmq_msg_data(&msg), 0, message_size);
  printf("message size: %d [B]\n", (int)message_size);
  printf("roundtrip count: %d\n", (int)roundtrip_count);

  const double start = now_us();
  for (long i = 0; i != roundtrip_count; i++) {
    if (zmq_msg_send(&msg, s, 0) < 0) fail("zmq_msg_send");
    if (zmq_msg_recv(&msg, s, 0) < 0) fail("zmq_msg_recv");
    if (zmq_msg_size(&msg) != message_size) {
      printf("message of incorrect size received\n");
      return 1;
    }
  }
  const double elapsed = now_us() - start;
  zmq_msg_close(&msg);
  pthread_join(thread, NULL);

  printf("average latency: %.3f [us]\n", elapsed / ((double)roundtrip_count * 2));
  if (zmq_close(s) != 0) fail("zmq_close");
  if (zmq_ctx_term(ctx) != 0) fail("zmq_ctx_term");
  return 0;
}
