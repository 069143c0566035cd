// pgm_bench — epgm throughput at a given RATE (issue #7): troupe's pgm_thr beside libzmq's
// zmq_pgm_thr (our twin on libzmq 4.3, which Debian builds with OpenPGM), interleaved on the
// perf harness (troupe, libzmq, troupe, libzmq …; median, spread, ratio; JSON and Markdown).
// Usage: pgm_bench [--repeat N] [--json PATH] ... (--help).
//
// One run = one process (see pgm_thr.cpp): an XPUB and a SUB on the multicast group
// epgm://127.0.0.1;239.194.<x>.<y>:<port>, carried by MULTICAST_LOOP, RATE 200000 kbit/s
// (200 Mbit/s) on both, RECOVERY_IVL 1000 ms. The value is the tool's
// "mean throughput: N [msg/s]", from the first data message received to the last; a run that
// loses data fails (the tool exits 1). Without zmq_pgm_thr (libzmq not found) troupe runs alone.

#include <troupe/perf/harness.hpp>
#include <troupe/perf/tool.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace {

using namespace troupe::perf;
namespace fs = std::filesystem;

// 200 Mbit/s: at 1 Gbit/s troupe's publisher outran the subscriber in the same process on this
// 2-core machine and runs lost data past the window (docs/performance.md, "epgm (issue #7)").
constexpr long rate_kbit = 200'000;

/// A multicast group and port of this driver's own (runs are sequential: one per comparison).
std::string endpoint(int n) {
  const int pid = static_cast<int>(::getpid());
  return "epgm://127.0.0.1;239.194." + std::to_string(pid % 250 + 1) + "." + std::to_string(n % 250 + 1) + ":" +
         std::to_string(20000 + (pid * 37 + n * 101) % 30000);
}

}  // namespace

int main(int argc, char** argv) {
  return bench_main(argc, argv, "pgm_bench", [](const options& o) {
    const fs::path dir = tool_dir();
    const bool have_zmq = fs::exists(dir / "zmq_pgm_thr");
    const std::pair<long, std::uint64_t> counts[] = {{64, 100'000}, {1024, 30'000}, {8192, 5'000}};
    std::vector<comparison> suite;
    int n = 0;
    for (const auto& [size, base] : counts) {
      const long count = static_cast<long>(o.scaled(base));
      const std::vector<std::string> args{endpoint(n++), std::to_string(size), std::to_string(count), std::to_string(rate_kbit)};
      comparison c{"epgm_thr_" + std::to_string(size),
                   "epgm on 127.0.0.1 (MULTICAST_LOOP), XPUB -> SUB in one process, RATE " + std::to_string(rate_kbit) +
                       " kbit/s, RECOVERY_IVL 1000 ms, " + std::to_string(size) + " B messages",
                   {metric{"throughput", "msg/s", better::higher}},
                   tool_side("troupe", dir / "pgm_thr", args, {{"mean throughput:", "[msg/s]"}}),
                   std::nullopt,
                   {{"message_size", static_cast<double>(size)},
                    {"message_count", static_cast<double>(count)},
                    {"rate_kbit", static_cast<double>(rate_kbit)}}};
      if (have_zmq) c.baseline = tool_side("libzmq 4.3", dir / "zmq_pgm_thr", args, {{"mean throughput:", "[msg/s]"}});
      suite.push_back(std::move(c));
    }
    return suite;
  });
}
