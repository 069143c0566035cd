/* zmq_pgm_thr — pgm_thr's workload on real libzmq (built with OpenPGM: zmq_has("pgm")), our own
 * peer program, never linked into troupe's libraries. Same command line, sockets and output as
 * perf/messaging/pgm_thr.cpp:
 *
 *   zmq_pgm_thr <endpoint> <message-size> <message-count> <rate-kbit/s>
 *
 * An XPUB (XPUB_NODROP) and a SUB on another thread, RATE = <rate>, RECOVERY_IVL = 1000 ms;
 * empty warm-ups until the SUB hears one, <message-count> messages of <message-size> bytes,
 * then empty end markers until the SUB is done. The clock runs from the first data message
 * received to the last; a marker before the count is in means loss: reported, exit 1. */

#include "zmq_tool_args.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

static const char* const usage = "usage: zmq_pgm_thr <endpoint> <message-size> <message-count> <rate-kbit/s>";
static const int recovery_ivl_ms = 1000;

struct shared {
  void* ctx;
  const char* endpoint;
  long size, count;
  int rate;
  atomic_int heard, done;
  long received;
  double elapsed_us;
  int failed; /* 1: a libzmq call failed; 2: a message of the wrong size */
};

static void* subscribe(void* arg) {
  struct shared* s = arg;
  void* sub = zmq_socket(s->ctx, ZMQ_SUB);
  const int zero = 0;
  if (!sub || zmq_setsockopt(sub, ZMQ_RATE, &s->rate, sizeof s->rate) != 0 ||
      zmq_setsockopt(sub, ZMQ_RECOVERY_IVL, &recovery_ivl_ms, sizeof recovery_ivl_ms) != 0 ||
      zmq_setsockopt(sub, ZMQ_RCVHWM, &zero, sizeof zero) != 0 || zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0) != 0 ||
      zmq_connect(sub, s->endpoint) != 0) {
    zmq_tool_fail("the SUB's set-up");
    s->failed = 1;
    s->heard = s->done = 1;
    return NULL;
  }
  zmq_msg_t msg;
  zmq_msg_init(&msg);
  double start = 0;
  for (;;) {
    if (zmq_msg_recv(&msg, sub, 0) < 0) {
      zmq_tool_fail("zmq_msg_recv");
      s->failed = 1;
      break;
    }
    s->heard = 1;
    const size_t n = zmq_msg_size(&msg);
    if (n == 0) {
      if (s->received > 0) break; /* an end marker: the rest was lost */
      continue;                   /* a warm-up */
    }
    if (n != (size_t)s->size) {
      s->failed = 2;
      break;
    }
    if (s->received++ == 0) start = zmq_tool_now_us();
    if (s->received == s->count) break;
  }
  s->elapsed_us = zmq_tool_now_us() - start;
  zmq_msg_close(&msg);
  zmq_close(sub);
  s->done = 1;
  return NULL;
}

static void pause_10ms(void) {
  const struct timespec ts = {0, 10 * 1000 * 1000};
  nanosleep(&ts, NULL);
}

int main(int argc, char* argv[]) {
  long rate = 0;
  struct shared s;
  memset(&s, 0, sizeof s);
  if (argc != 5) {
    printf("%s\n", usage);
    return 1;
  }
  if (!zmq_tool_number(usage, "message-size", argv[2], 1, ZMQ_TOOL_MAX_NUMBER, &s.size) ||
      !zmq_tool_number(usage, "message-count", argv[3], 1, ZMQ_TOOL_MAX_NUMBER, &s.count) ||
      !zmq_tool_number(usage, "rate", argv[4], 1, ZMQ_TOOL_MAX_NUMBER, &rate))
    return 1;
  if (!zmq_has("pgm")) {
    printf("error: this libzmq is built without OpenPGM (zmq_has(\"pgm\") is false)\n");
    return 1;
  }
  s.endpoint = argv[1];
  s.rate = (int)rate;
  s.ctx = zmq_ctx_new();
  if (!s.ctx) return zmq_tool_fail("zmq_ctx_new");
  pthread_t t;
  if (pthread_create(&t, NULL, subscribe, &s) != 0) return zmq_tool_fail("pthread_create");

  void* pub = zmq_socket(s.ctx, ZMQ_XPUB);
  const int one = 1;
  if (!pub || zmq_setsockopt(pub, ZMQ_RATE, &s.rate, sizeof s.rate) != 0 ||
      zmq_setsockopt(pub, ZMQ_RECOVERY_IVL, &recovery_ivl_ms, sizeof recovery_ivl_ms) != 0 ||
      zmq_setsockopt(pub, ZMQ_XPUB_NODROP, &one, sizeof one) != 0 || zmq_connect(pub, s.endpoint) != 0)
    return zmq_tool_fail("the XPUB's set-up");
  while (!s.heard) {
    if (zmq_send(pub, "", 0, 0) < 0) return zmq_tool_fail("zmq_send");
    pause_10ms();
  }
  for (long i = 0; i != s.count && !s.done; i++) {
    zmq_msg_t msg;
    if (zmq_msg_init_size(&msg, (size_t)s.size) != 0) return zmq_tool_fail("zmq_msg_init_size");
    memset(zmq_msg_data(&msg), 'x', (size_t)s.size);
    if (zmq_msg_send(&msg, pub, 0) < 0) return zmq_tool_fail("zmq_msg_send");
  }
  while (!s.done) {
    if (zmq_send(pub, "", 0, 0) < 0) return zmq_tool_fail("zmq_send");
    pause_10ms();
  }
  pthread_join(t, NULL);
  const int zero = 0;
  zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero); /* the markers still queued do not matter */
  zmq_close(pub);
  zmq_ctx_term(s.ctx);
  if (s.failed == 1) return 1;
  if (s.failed == 2) {
    printf("message of incorrect size received\n");
    return 1;
  }
  if (s.received != s.count) {
    printf("error: %ld of %ld messages received: the rest was lost past the recovery window\n", s.received, s.count);
    return 1;
  }
  double elapsed = s.elapsed_us > 0 ? s.elapsed_us : 1;
  const unsigned long throughput = (unsigned long)((double)s.count / elapsed * 1000000);
  const double megabits = (double)(throughput * (unsigned long)s.size * 8) / 1000000;
  printf("message size: %d [B]\n", (int)s.size);
  printf("message count: %d\n", (int)s.count);
  printf("mean throughput: %d [msg/s]\n", (int)throughput);
  printf("mean throughput: %.3f [Mb/s]\n", megabits);
  return 0;
}
