// wire_bench — runs local_thr/remote_thr and local_lat/remote_lat over tcp (127.0.0.1) and
// ipc, troupe against troupe and libzmq against libzmq (our twins zmq_local_thr, ...) in the
// same run on the perf harness (interleaved troupe, libzmq, troupe, libzmq …; median, spread,
// ratio; JSON and Markdown), and crosses the two libraries once each way to show the tools
// interoperate. Usage: wire_bench [--repeat N] [--json PATH] ... (--help).
//
// One run = two processes of one library (or one of each for the cross checks), found next to
// this binary: the local tool binds a fresh endpoint (a free tcp port on 127.0.0.1 or an ipc
// path under /tmp), the driver waits until the kernel shows it listening (/proc/net/tcp,
// /proc/net/unix) so the remote tool's connect never waits for a reconnect interval, then
// starts the remote tool and waits for both (remote_thr holds its connection open until
// local_thr has its count: see remote_thr.cpp for why). The value is the one the tool prints over its
// timed loop (no process start-up, no connection set-up except in the first round trip of
// remote_lat, as in libzmq's tool):
//   <tr>_thr_<size>   local_thr's "mean throughput: N [msg/s]"  PUSH -> PULL, higher is better
//   <tr>_lat_<size>   remote_lat's "average latency: N [us]"    REQ <-> REP, half a round trip
//                                                               (libzmq's definition)
// Each run also checks that the receiving tool reports the message (or round-trip) count that
// was asked for. The cross checks (cross_<tr>_thr_64, cross_<tr>_lat_64) put troupe's local
// tool against libzmq's remote tool and the other way round; their ratio is informational.
// Without the libzmq twins (libzmq not found) troupe runs alone and there are no cross checks.

#include "tool_process.hpp"

#include <troupe/perf/harness.hpp>
#include <troupe/perf/tool.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace troupe::perf;
namespace fs = std::filesystem;
namespace tools = troupe::perf::tools;

/// A run (both processes) that takes longer than this is killed and reported as an error.
constexpr std::chrono::milliseconds run_timeout{30'000};
/// How long the local tool may take to start listening.
constexpr std::chrono::milliseconds bind_timeout{10'000};

enum class transport { tcp, ipc };

const char* name(transport t) { return t == transport::tcp ? "tcp" : "ipc"; }

/// A tcp port on 127.0.0.1 that nobody listens on right now (the kernel's choice).
int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() for a free port failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free tcp port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

/// Whether 127.0.0.1:port is in LISTEN state (/proc/net/tcp: local address in hex, state 0A).
bool tcp_listening(int port) {
  char want[32];
  std::snprintf(want, sizeof want, "0100007F:%04X", port);
  std::ifstream in("/proc/net/tcp");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    if (fields >> slot >> local >> remote >> state && local == want && state == "0A") return true;
  }
  return false;
}

/// Whether a unix socket at `path` is listening (/proc/net/unix: flags 00010000 = accepting).
bool unix_listening(const std::string& path) {
  std::ifstream in("/proc/net/unix");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string num, refs, proto, flags, type, st, inode, p;
    if (fields >> num >> refs >> proto >> flags >> type >> st >> inode >> p && p == path && flags == "00010000")
      return true;
  }
  return false;
}

/// A fresh endpoint for one run, and how to tell that the local tool listens on it.
struct endpoint {
  transport t;
  std::string url;
  int port = 0;
  std::string path;

  static endpoint make(transport t) {
    static std::atomic<int> serial{0};
    endpoint e{t, {}, 0, {}};
    if (t == transport::tcp) {
      e.port = free_tcp_port();
      e.url = "tcp://127.0.0.1:" + std::to_string(e.port);
    } else {
      e.path = "/tmp/troupe-wire-bench-" + std::to_string(::getpid()) + "-" + std::to_string(serial++) + ".ipc";
      e.url = "ipc://" + e.path;
    }
    return e;
  }
  bool listening() const { return t == transport::tcp ? tcp_listening(port) : unix_listening(path); }
  void clean_up() const {
    if (!path.empty()) {
      std::error_code ec;
      fs::remove(path, ec);
    }
  }
};

enum class kind { thr, lat };

/// Which programs play the two roles of one side.
struct pairing {
  std::string label;
  fs::path local, remote;  // local_thr/local_lat binds; remote_thr/remote_lat connects
};

/// One run: local tool bound and listening, then the remote tool; returns the measured value
/// after checking the count the receiving tool reports.
double run_pair(const pairing& p, kind k, transport t, long size, long count) {
  const endpoint ep = endpoint::make(t);
  const std::vector<std::string> args{ep.url, std::to_string(size), std::to_string(count)};
  std::vector<std::string> local_cmd{p.local.string()}, remote_cmd{p.remote.string()};
  local_cmd.insert(local_cmd.end(), args.begin(), args.end());
  remote_cmd.insert(remote_cmd.end(), args.begin(), args.end());

  struct cleanup {
    const endpoint& ep;
    ~cleanup() { ep.clean_up(); }
  } cleaner{ep};
  tools::process local(local_cmd);
  const auto bound_by = std::chrono::steady_clock::now() + bind_timeout;
  while (!ep.listening()) {
    if (std::chrono::steady_clock::now() > bound_by) {
      local.kill();
      std::string out;
      try {
        out = local.finish(bind_timeout);
      } catch (const std::exception& e) {
        out = e.what();
      }
      throw std::runtime_error(p.local.filename().string() + " did not listen on " + ep.url + " within " +
                               std::to_string(bind_timeout.count() / 1000) + " s: " + out);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string local_out, remote_out;
  {
    // remote_thr holds its connection until local_thr is done (see remote_thr.cpp: libzmq
    // 4.3.4 drops unread data when the sender closes).
    tools::process remote(remote_cmd, {"TROUPE_PERF_HOLD_STDIN=1"}, k == kind::thr);
    try {
      if (k == kind::thr) {
        local_out = local.finish(run_timeout);
        remote.close_stdin();
        remote_out = remote.finish(run_timeout);
      } else {
        local_out = local.finish(run_timeout);
        remote_out = remote.finish(run_timeout);
      }
    } catch (...) {
      local.kill();  // a failed side leaves its peer waiting for ever
      remote.kill();
      throw;
    }
  }
  const std::string& measured = k == kind::thr ? local_out : remote_out;
  const double reported = value_of(measured, k == kind::thr ? "message count:" : "roundtrip count:", "");
  if (reported != static_cast<double>(count))
    throw std::runtime_error(p.label + " over " + ep.url + ": asked for " + std::to_string(count) + ", the tool reports " +
                             std::to_string(static_cast<long>(reported)) + ":\n" + measured);
  return k == kind::thr ? value_of(local_out, "mean throughput:", "[msg/s]")
                        : value_of(remote_out, "average latency:", "[us]");
}

side make_side(pairing p, kind k, transport t, long size, long count) {
  std::string label = p.label;
  return side{std::move(label), [p = std::move(p), k, t, size, count] { return sample{run_pair(p, k, t, size, count)}; }};
}

metric metric_of(kind k, bool informational) {
  const better thr = informational ? better::neither : better::higher;
  const better lat = informational ? better::neither : better::lower;
  return k == kind::thr ? metric{"throughput", "msg/s", thr} : metric{"latency", "us", lat};
}

std::string workload_text(kind k, transport t, long size) {
  const std::string where = t == transport::tcp ? "tcp 127.0.0.1" : "ipc (unix socket under /tmp)";
  return k == kind::thr ? where + ", PUSH (remote_thr) -> PULL (local_thr), " + std::to_string(size) +
                              " B messages, two processes"
                        : where + ", REQ (remote_lat) <-> REP (local_lat), " + std::to_string(size) +
                              " B; half the mean round trip, as libzmq's remote_lat";
}

}  // namespace

int main(int argc, char** argv) {
  return bench_main(argc, argv, "wire_bench", [](const options& o) {
    const fs::path dir = tool_dir();
    const auto tool = [&](const std::string& n) { return dir / n; };
    const bool have_zmq = fs::exists(tool("zmq_local_thr"));
    const auto troupe_pair = [&](kind k) {
      return k == kind::thr ? pairing{"troupe", tool("local_thr"), tool("remote_thr")}
                            : pairing{"troupe", tool("local_lat"), tool("remote_lat")};
    };
    const auto zmq_pair = [&](kind k) {
      return k == kind::thr ? pairing{"libzmq 4.3", tool("zmq_local_thr"), tool("zmq_remote_thr")}
                            : pairing{"libzmq 4.3", tool("zmq_local_lat"), tool("zmq_remote_lat")};
    };

    // Counts: about 0.1-0.5 s per run at libzmq's rate on this machine (tcp 64 B 1-4.5 M msg/s,
    // a round trip 80-250 us): many short runs rather than long ones, as the machine is shared;
    // the whole suite takes 3-5 minutes.
    const std::pair<long, std::uint64_t> thr_counts[] = {{1, 600'000}, {64, 600'000}, {1024, 200'000}, {65536, 10'000}};
    const std::pair<long, std::uint64_t> lat_counts[] = {{1, 2'000}, {64, 2'000}, {1024, 2'000}, {65536, 1'000}};

    std::vector<comparison> suite;
    for (const transport t : {transport::tcp, transport::ipc}) {
      for (const kind k : {kind::thr, kind::lat}) {
        for (const auto& [size, base] : k == kind::thr ? thr_counts : lat_counts) {
          const long n = static_cast<long>(o.scaled(base));
          comparison c{std::string(name(t)) + (k == kind::thr ? "_thr_" : "_lat_") + std::to_string(size),
                       workload_text(k, t, size),
                       {metric_of(k, false)},
                       make_side(troupe_pair(k), k, t, size, n),
                       std::nullopt,
                       {{"message_size", static_cast<double>(size)},
                        {k == kind::thr ? "message_count" : "roundtrip_count", static_cast<double>(n)}}};
          if (have_zmq) c.baseline = make_side(zmq_pair(k), k, t, size, n);
          suite.push_back(std::move(c));
        }
      }
    }
    if (have_zmq) {
      // Interop of the tools, both ways: troupe's receiver/echo against libzmq's sender/requester
      // (subject) and libzmq's against troupe's (baseline). Informational ratio.
      for (const transport t : {transport::tcp, transport::ipc}) {
        for (const kind k : {kind::thr, kind::lat}) {
          const long size = 64;
          const long n = static_cast<long>(o.scaled(k == kind::thr ? 600'000 : 2'000));
          const pairing tz = k == kind::thr ? pairing{"troupe local_thr <- libzmq remote_thr", tool("local_thr"), tool("zmq_remote_thr")}
                                            : pairing{"troupe local_lat <-> libzmq remote_lat", tool("local_lat"), tool("zmq_remote_lat")};
          const pairing zt = k == kind::thr ? pairing{"libzmq local_thr <- troupe remote_thr", tool("zmq_local_thr"), tool("remote_thr")}
                                            : pairing{"libzmq local_lat <-> troupe remote_lat", tool("zmq_local_lat"), tool("remote_lat")};
          suite.push_back(comparison{"cross_" + std::string(name(t)) + (k == kind::thr ? "_thr_" : "_lat_") + std::to_string(size),
                                     workload_text(k, t, size) + "; one side troupe, the other libzmq, each way",
                                     {metric_of(k, true)},
                                     make_side(tz, k, t, size, n),
                                     make_side(zt, k, t, size, n),
                                     {{"message_size", static_cast<double>(size)},
                                      {k == kind::thr ? "message_count" : "roundtrip_count", static_cast<double>(n)}}});
        }
      }
    }
    return suite;
  });
}
