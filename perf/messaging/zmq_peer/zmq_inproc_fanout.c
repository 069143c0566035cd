/* zmq_inproc_fanout — PUB -> N SUB over inproc with prefix filtering, on real libzmq: our own
 * peer program (built only when libzmq is found; never linked into troupe's libraries). The
 * same workload, command line and output as troupe's perf/messaging/inproc_fanout.cpp, whose
 * header describes it in full; keep the two in step:
 *
 *   zmq_inproc_fanout <message-size> <message-count> <subscriber-count>
 *
 * PUB with ZMQ_XPUB_NODROP (waits instead of dropping) bound at inproc://fanout_test; N SUBs on
 * their own threads subscribe "A" (even) or "B" (odd); data messages alternate 'A'/'B' in the
 * first byte and carry 'D' in the second, so half match each subscriber; probes "AP"/"BP" every
 * millisecond until every subscriber has seen one; then the clock runs from the first data
 * send to the last subscriber's last message. Value: N * (count / 2) / elapsed. */

#include <zmq.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long message_count;
static size_t message_size;
static int ready; /* subscribers that have seen a probe (atomic builtins) */

struct sub_args {
  void* ctx;
  int index;
  double done_us;
};

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void fail(const char* what) {
  printf("error in %s: %s\n", what, zmq_strerror(errno));
  exit(1);
}

static void* subscriber(void* arg) {
  struct sub_args* a = (struct sub_args*)arg;
  void* s = zmq_socket(a->ctx, ZMQ_SUB);
  if (!s) fail("zmq_socket");
  if (zmq_setsockopt(s, ZMQ_SUBSCRIBE, a->index % 2 == 0 ? "A" : "B", 1) != 0) fail("zmq_setsockopt");
  if (zmq_connect(s, "inproc://fanout_test") != 0) fail("zmq_connect");
  zmq_msg_t msg;
  zmq_msg_init(&msg);
  const long expected = message_count / 2;
  long got = 0;
  int said_ready = 0;
  while (got < expected) {
    if (zmq_msg_recv(&msg, s, 0) < 0) fail("zmq_msg_recv");
    if (zmq_msg_size(&msg) >= 2 && ((const char*)zmq_msg_data(&msg))[1] == 'P') {
      if (!said_ready) {
        said_ready = 1;
        __atomic_fetch_add(&ready, 1, __ATOMIC_ACQ_REL);
      }
      continue;
    }
    if (zmq_msg_size(&msg) != message_size) {
      printf("message of incorrect size received\n");
      exit(1);
    }
    ++got;
  }
  a->done_us = now_us();
  zmq_msg_close(&msg);
  if (zmq_close(s) != 0) fail("zmq_close");
  return NULL;
}

static void send_probe(void* pub, const char* text) {
  if (zmq_send(pub, text, 2, 0) < 0) fail("zmq_send");
}

int main(int argc, char* argv[]) {
  if (argc != 4 || atol(argv[1]) < 2 || atol(argv[2]) < 2 || atol(argv[3]) < 1) {
    printf("usage: zmq_inproc_fanout <message-size >= 2> <message-count >= 2> <subscriber-count >= 1>\n");
    return 1;
  }
  message_size = (size_t)atol(argv[1]);
  message_count = atol(argv[2]) / 2 * 2;
  const int subs = atoi(argv[3]);

  void* ctx = zmq_ctx_new();
  if (!ctx) fail("zmq_ctx_new");
  void* pub = zmq_socket(ctx, ZMQ_PUB);
  if (!pub) fail("zmq_socket");
  const int one = 1;
  if (zmq_setsockopt(pub, ZMQ_XPUB_NODROP, &one, sizeof one) != 0) fail("zmq_setsockopt");
  if (zmq_bind(pub, "inproc://fanout_test") != 0) fail("zmq_bind");

  struct sub_args* args = calloc((size_t)subs, sizeof *args);
  pthread_t* threads = calloc((size_t)subs, sizeof *threads);
  if (!args || !threads) fail("calloc");
  for (int i = 0; i < subs; i++) {
    args[i].ctx = ctx;
    args[i].index = i;
    if (pthread_create(&threads[i], NULL, subscriber, &args[i]) != 0) fail("pthread_create");
  }

  printf("message size: %d [B]\n", (int)message_size);
  printf("message count: %d\n", (int)message_count);
  printf("subscriber count: %d\n", subs);

  while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < subs) {
    send_probe(pub, "AP");
    send_probe(pub, "BP");
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }

  const double start = now_us();
  for (long i = 0; i != message_count; i++) {
    zmq_msg_t msg;
    if (zmq_msg_init_size(&msg, message_size) != 0) fail("zmq_msg_init_size");
    char* d = (char*)zmq_msg_data(&msg);
    d[0] = i % 2 == 0 ? 'A' : 'B';
    d[1] = 'D';
    if (zmq_msg_send(&msg, pub, 0) < 0) fail("zmq_msg_send");
    zmq_msg_close(&msg);
  }
  double stop = start;
  for (int i = 0; i < subs; i++) {
    pthread_join(threads[i], NULL);
    if (args[i].done_us > stop) stop = args[i].done_us;
  }
  if (zmq_close(pub) != 0) fail("zmq_close");
  if (zmq_ctx_term(ctx) != 0) fail("zmq_ctx_term");

  double elapsed = stop - start;
  if (elapsed <= 0) elapsed = 1;
  const long delivered = message_count / 2 * subs;
  const unsigned long throughput = (unsigned long)((double)delivered / elapsed * 1000000);
  const double megabits = (double)(throughput * message_size * 8) / 1000000;
  printf("messages delivered: %ld\n", delivered);
  printf("mean throughput: %d [msg/s]\n", (int)throughput);
  printf("mean throughput: %.3f [Mb/s]\n", megabits);
  free(args);
  free(threads);
  return 0;
}
