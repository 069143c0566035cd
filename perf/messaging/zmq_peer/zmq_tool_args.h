/* The numbers on the libzmq twins' command lines, parsed as troupe's tools parse them
 * (perf/messaging/tool_args.hpp): a whole decimal number in a range, or the usage line and an
 * error naming the bad value. Header-only: each twin is one C file. */
#ifndef TROUPE_PERF_ZMQ_TOOL_ARGS_H
#define TROUPE_PERF_ZMQ_TOOL_ARGS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

/* CLOCK_MONOTONIC, as troupe's std::chrono::steady_clock (libzmq's tools use zmq_stopwatch,
 * which reads the same clock in whole microseconds). */
static inline double zmq_tool_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

#endif
