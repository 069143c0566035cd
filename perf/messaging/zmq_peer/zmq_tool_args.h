/* The numbers on the libzmq twins' command lines, parsed as troupe's tools parse them
 * (perf/messaging/tool_args.hpp): a whole decimal number in a range, or the usage line and an
 * error naming the bad value. Header-only: each twin is one C file. */
#ifndef TROUPE_PERF_ZMQ_TOOL_ARGS_H
#define TROUPE_PERF_ZMQ_TOOL_ARGS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <zmq.h>

#define ZMQ_TOOL_MAX_NUMBER 2147483647L

/* Stores `text` in *out and returns 1 if it is a whole number in [minimum, maximum];
 * otherwise prints `usage` and the error on stdout and returns 0. */
static inline int zmq_tool_number(const char* usage, const char* what, const char* text, long minimum, long maximum,
                           long* out) {
  char* end = NULL;
  errno = 0;
  const long v = strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno == ERANGE || v < minimum || v > maximum) {
    printf("%s\nerror: %s must be a whole number from %ld to %ld, got '%s'\n", usage, what, minimum, maximum, text);
    return 0;
  }
  *out = v;
  return 1;
}

/* The three arguments of the wire tools, `<endpoint> <message-size> <count_name>`: stores the
 * two numbers and returns 1, or prints the usage line (and what is wrong) and returns 0. */
static inline int zmq_tool_args(int argc, char* argv[], const char* usage, const char* count_name, long* size,
                                long* count) {
  if (argc != 4) {
    printf("%s\n", usage);
    return 0;
  }
  return zmq_tool_number(usage, "message-size", argv[2], 0, ZMQ_TOOL_MAX_NUMBER, size) &&
         zmq_tool_number(usage, count_name, argv[3], 1, ZMQ_TOOL_MAX_NUMBER, count);
}

/* A failed libzmq call: prints which and why (as libzmq's tools do); the exit status. */
static inline int zmq_tool_fail(const char* what) {
  printf("error in %s: %s\n", what, zmq_strerror(errno));
  return 1;
}

/* CLOCK_MONOTONIC, as troupe's std::chrono::steady_clock (libzmq's tools use zmq_stopwatch,
 * which reads the same clock in whole microseconds). */
static inline double zmq_tool_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

#endif
