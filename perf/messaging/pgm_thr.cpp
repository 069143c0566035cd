// pgm_thr — epgm throughput at a given RATE, one process: an XPUB (XPUB_NODROP, so a full pipe
// makes the sender wait instead of dropping) and a SUB on another thread, both on the same
// multicast endpoint (MULTICAST_LOOP on 127.0.0.1 carries the packets between them).
// libzmq's twin is zmq_peer/zmq_pgm_thr.c (same command line and output).
//
//   pgm_thr <endpoint> <message-size> <message-count> <rate-kbit/s>
//
// Both sockets get RATE = <rate> and RECOVERY_IVL = 1000 ms (a SUB's receive window is its own
// RATE x RECOVERY_IVL). The publisher sends empty warm-ups until the subscriber has heard one,
// then <message-count> messages of <message-size> bytes (at least 1), then empty end markers
// until the subscriber is done. The subscriber's clock runs from the first data message to the
// last, as local_thr's; a marker before the count is in means data was lost (past the window):
// the tool says how much and fails. Output as local_thr's (message size, count, msg/s, Mb/s).

#include "tool_args.hpp"

#include <troupe/messaging/context.hpp>
#include <troupe/messaging/message.hpp>
#include <troupe/messaging/socket.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

namespace tmsg = troupe::messaging;
namespace tools = troupe::perf::tools;

namespace {

constexpr const char* usage = "usage: pgm_thr <endpoint> <message-size> <message-count> <rate-kbit/s>";
constexpr int recovery_ivl_ms = 1000;

struct result {
  long received = 0;
  double elapsed_us = 0;
  bool wrong_size = false;
  std::string error;  // what the subscriber's thread threw
};

/// The subscriber's thread: counts data messages until `count`, or an end marker.
void subscribe(tmsg::context& ctx, const char* endpoint, std::size_t size, long count, int rate,
               std::atomic<bool>& heard, std::atomic<bool>& done, result& r) {
  tmsg::socket sub(ctx, tmsg::socket_type::sub);
  sub.set(tmsg::option::rate, rate);
  sub.set(tmsg::option::recovery_ivl, recovery_ivl_ms);
  sub.set(tmsg::option::rcvhwm, 0);  // the engine keeps reading OpenPGM whatever this thread does
  sub.set(tmsg::option::subscribe, "");
  sub.connect(endpoint);
  tmsg::message m;
  std::chrono::steady_clock::time_point start;
  for (;;) {
    sub.recv(m);
    heard = true;
    if (m.size() == 0) {
      if (r.received > 0) break;  // an end marker: the rest was lost
      continue;                   // a warm-up
    }
    if (m.size() != size) {
      r.wrong_size = true;
      break;
    }
    if (r.received++ == 0) start = std::chrono::steady_clock::now();
    if (r.received == count) break;
  }
  r.elapsed_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  done = true;
}

int run(const char* endpoint, std::size_t size, long count, int rate) {
  tmsg::context ctx;
  std::atomic<bool> heard{false}, done{false};
  result r;
  std::thread sub_thread([&] {
    try {
      subscribe(ctx, endpoint, size, count, rate, heard, done, r);
    } catch (const std::exception& e) {
      r.error = e.what();
      heard = true;
      done = true;
    }
  });
  tmsg::socket pub(ctx, tmsg::socket_type::xpub);
  pub.set(tmsg::option::rate, rate);
  pub.set(tmsg::option::recovery_ivl, recovery_ivl_ms);
  pub.set(tmsg::option::xpub_nodrop, 1);
  pub.connect(endpoint);
  while (!heard) {
    pub.send(tmsg::message());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::string body(size, 'x');
  for (long i = 0; i < count; ++i) pub.send(tmsg::message(body));
  while (!done) {
    pub.send(tmsg::message());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  sub_thread.join();
  pub.set(tmsg::option::linger, 0);  // the markers still queued do not matter
  if (!r.error.empty()) {
    std::printf("error: %s\n", r.error.c_str());
    return 1;
  }
  if (r.wrong_size) {
    std::printf("message of incorrect size received\n");
    return 1;
  }
  if (r.received != count) {
    std::printf("error: %ld of %ld messages received: the rest was lost past the recovery window\n", r.received, count);
    return 1;
  }
  tools::print_throughput(size, count, r.elapsed_us);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::printf("%s\n", usage);
    return 1;
  }
  const auto size = tools::parse_number(usage, "message-size", argv[2], 1, tools::max_tool_number);
  const auto count = tools::parse_number(usage, "message-count", argv[3], 1, tools::max_tool_number);
  const auto rate = tools::parse_number(usage, "rate", argv[4], 1, tools::max_tool_number);
  if (!size || !count || !rate) return 1;
  try {
    return run(argv[1], static_cast<std::size_t>(*size), *count, static_cast<int>(*rate));
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
}
