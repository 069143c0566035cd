/* zmq_inproc_thr — the inproc_thr workload on real libzmq, our own peer program (built only
 * when libzmq is found; never linked into troupe's libraries). Same command line, workload and
 * output as libzmq's perf/inproc_thr and as troupe's perf/messaging/inproc_thr.cpp:
 *
 *   zmq_inproc_thr <message-size> <message-count>
 *
 * A PULL bound at inproc://thr_test on the main thread; a second thread connects a PUSH and
 * sends <message-count> messages of <message-size> bytes, a new zmq_msg_t each. The clock
 * starts at the first message received and stops at the last; throughput = count / elapsed.
 * The clock is CLOCK_MONOTONIC (as troupe's std::chrono::steady_clock), not zmq_stopwatch. */

#include <zmq.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long message_count;
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
  void* s = zmq_socket(ctx, ZMQ_PUSH);
  if (!s) fail("zmq_socket");
  if (zmq_connect(s, "inproc://thr_test") != 0) fail("zmq_connect");
  for (long i = 0; i != message_count; i++) {
    zmq_msg_t msg;
    if (zmq_msg_init_size(&msg, message_size) != 0) fail("zmq_msg_init_size");
    if (zmq_msg_send(&msg, s, 0) < 0) fail("zmq_msg_send");
    zmq_msg_close(&msg);
  }
  if (zmq_close(s) != 0) fail("zmq_close");
  return NULL;
}

int main(int argc, char* argv[]) {
  if (argc != 3 || atol(argv[1]) < 0 || atol(argv[2]) < 1) {
    printf("usage: zmq_inproc_thr <message-size> <message-count>\n");
    return 1;
  }
  message_size = (size_t)atol(argv[1]);
  message_count = atol(argv[2]);

  void* ctx = zmq_ctx_new();
  if (!ctx) fail("zmq_ctx_new");
  void* s = zmq_socket(ctx, ZMQ_PULL);
  if (!s) fail("zmq_socket");
  if (zmq_bind(s, "inproc://thr_test") != 0) fail("zmq_bind");

  pthread_t thread;
  if (pthread_create(&thread, NULL, worker, ctx) != 0) fail("pthread_create");

  zmq_msg_t msg;
  zmq_msg_init(&msg);
  printf("message size: %d [B]\n", (int)message_size);
  printf("message count: %d\n", (int)message_count);

  if (zmq_msg_recv(&msg, s, 0) < 0) fail("zmq_msg_recv");
  if (zmq_msg_size(&msg) != message_size) {
    printf("message of incorrect size received\n");
    return 1;
  }
  const double start = now_us();
  for (long i = 0; i != message_count - 1; i++) {
    if (zmq_msg_recv(&msg, s, 0) < 0) fail("zmq_msg_recv");
    if (zmq_msg_size(&msg) != message_size) {
      printf("message of incorrect size received\n");
      return 1;
    }
  }
  double elapsed = now_us() - start;
  if (elapsed <= 0) elapsed = 1;
  zmq_msg_close(&msg);
  pthread_join(thread, NULL);
  if (zmq_close(s) != 0) fail("zmq_close");
  if (zmq_ctx_term(ctx) != 0) fail("zmq_ctx_term");

  const unsigned long throughput = (unsigned long)((double)message_count / elapsed * 1000000);
  const double megabits = (double)(throughput * message_size * 8) / 1000000;
  printf("mean throughput: %d [msg/s]\n", (int)throughput);
  printf("mean throughput: %.3f [Mb/s]\n", megabits);
  return 0;
}
