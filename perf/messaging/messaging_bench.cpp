// messaging_bench — runs the messaging benchmark tools of this folder, troupe and libzmq in the
// same run, on the perf harness (interleaved troupe, libzmq, troupe, libzmq …; median, spread,
// ratio; JSON and Markdown). Usage: messaging_bench [--repeat N] [--json PATH] ... (--help).
//
// Each run of a side is one process: the troupe tool (inproc_thr, inproc_lat, inproc_fanout)
// or its libzmq twin (zmq_inproc_thr, zmq_inproc_lat, zmq_inproc_fanout), found next to this
// binary, started with the size and count below, and its printed result parsed. A process per
// run means each side builds and tears down its own context, and nothing of one library (its
// threads, its allocator state) lives on while the other is measured. The value is what the
// tool prints, measured inside the tool over its timed loop only (no process start-up):
//   inproc_thr_<size>      "mean throughput: N [msg/s]"     PUSH -> PULL, higher is better
//   inproc_lat_<size>      "average latency: N [us]"        REQ <-> REP, half a round trip
//                                                           (libzmq's definition), lower is better
//   inproc_fanout_<n>sub   "mean throughput: N [msg/s]"     PUB -> n SUBs, messages delivered
//                                                           summed over the subscribers
// When the libzmq twins were not built (libzmq not found), the comparisons run troupe alone.

#include "tool_process.hpp"

#include <troupe/perf/harness.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using namespace troupe::perf;
using tools::run_tool;
using tools::tool_dir;
using tools::value_of;
namespace fs = std::filesystem;

/// A run that takes longer than this is killed and reported as an error.
constexpr std::chrono::milliseconds run_timeout{300'000};

side tool_side(std::string label, fs::path exe, std::vector<std::string> args, std::string key,
               std::string unit) {
  std::vector<std::string> command;
  command.reserve(args.size() + 1);
  command.push_back(exe.string());
  for (auto& a : args) command.push_back(std::move(a));
  return side{std::move(label), [command = std::move(command), key = std::move(key), unit = std::move(unit)] {
                return sample{value_of(run_tool(command, run_timeout), key, unit)};
              }};
}

struct workload {
  std::string tool;  // troupe tool; libzmq's is "zmq_" + tool
  std::string name;
  std::string description;
  metric m;
  std::string key, unit;  // what to parse
  std::vector<std::string> args;
  std::vector<std::pair<std::string, double>> parameters;
};

comparison make(const workload& w, const fs::path& dir) {
  comparison c{w.name, w.description, {w.m},
               tool_side("troupe", dir / w.tool, w.args, w.key, w.unit), std::nullopt, w.parameters};
  const fs::path twin = dir / ("zmq_" + w.tool);
  if (fs::exists(twin)) c.baseline = tool_side("libzmq 4.3", twin, w.args, w.key, w.unit);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  return bench_main(argc, argv, "messaging_bench", [](const options& o) {
    const fs::path dir = tool_dir();
    std::vector<comparison> suite;
    // Counts: about 0.5-1 s per run on this machine at the libzmq rate.
    const std::pair<int, std::uint64_t> thr_counts[] = {
        {1, 5'000'000}, {64, 4'000'000}, {1024, 2'000'000}, {65536, 200'000}};
    for (const auto& [size, count] : thr_counts) {
      const std::uint64_t n = o.scaled(count);
      suite.push_back(make({"inproc_thr", "inproc_thr_" + std::to_string(size),
                            "inproc PUSH->PULL, one sender thread, " + std::to_string(size) + " B messages",
                            {"throughput", "msg/s", better::higher}, "mean throughput:", "[msg/s]",
                            {std::to_string(size), std::to_string(n)},
                            {{"message_size", size}, {"message_count", static_cast<double>(n)}}},
                           dir));
    }
    const std::pair<int, std::uint64_t> lat_counts[] = {
        {1, 20'000}, {64, 20'000}, {1024, 20'000}, {65536, 10'000}};
    for (const auto& [size, count] : lat_counts) {
      const std::uint64_t n = o.scaled(count);
      suite.push_back(make({"inproc_lat", "inproc_lat_" + std::to_string(size),
                            "inproc REQ<->REP ping-pong, " + std::to_string(size) +
                                " B; half the mean round trip, as libzmq's inproc_lat",
                            {"latency", "us", better::lower}, "average latency:", "[us]",
                            {std::to_string(size), std::to_string(n)},
                            {{"message_size", size}, {"roundtrip_count", static_cast<double>(n)}}},
                           dir));
    }
    for (const int subs : {1, 4, 16}) {
      const int size = 64;
      // The same number of deliveries (1 M) whatever the fan-out: 2 M messages for 1
      // subscriber (half match it), 500 k for 4, 125 k for 16.
      const std::uint64_t n = o.scaled(2'000'000 / static_cast<std::uint64_t>(subs));
      suite.push_back(make({"inproc_fanout", "inproc_fanout_" + std::to_string(subs) + "sub",
                            "inproc PUB (XPUB_NODROP) -> " + std::to_string(subs) +
                                " SUBs on their own threads, 64 B, half the messages match each "
                                "subscriber's prefix; messages delivered per second",
                            {"delivered", "msg/s", better::higher}, "mean throughput:", "[msg/s]",
                            {std::to_string(size), std::to_string(n), std::to_string(subs)},
                            {{"message_size", size},
                             {"message_count", static_cast<double>(n)},
                             {"subscriber_count", subs}}},
                           dir));
    }
    return suite;
  });
}
