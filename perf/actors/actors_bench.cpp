// actors_bench — runs the actor workloads of this folder, troupe and CAF 0.17 in the same run,
// on the perf harness (interleaved troupe, CAF, troupe, CAF …; median, spread, ratio; JSON and
// Markdown). Usage: actors_bench [--repeat N] [--threads N] [--json PATH] ... (--help).
//
// Each run of a side is one process: troupe_actor_workloads or caf_actor_workloads (found next to this binary)
// with the same worker-thread count and the same message counts, its printed result parsed
// (see common/workloads.hpp for what each workload does and prints). When caf_actor_workloads was not
// built (CAF not found), the comparisons run troupe alone.
//
// --threads N (default 2) is taken out of the arguments here: troupe's executor workers and
// CAF's scheduler.max-threads. The rest goes to the harness.

#include <troupe/perf/tool.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace troupe::perf;
namespace fs = std::filesystem;

struct workload {
  std::string name;
  std::string description;
  std::vector<metric> metrics;
  std::vector<tool_value> values;  // parallel to metrics
  std::vector<std::string> args;   // after <threads>
  std::vector<std::pair<std::string, double>> parameters;
};

comparison make(const workload& w, const fs::path& dir, int threads) {
  std::vector<std::string> args{std::to_string(threads)};
  args.insert(args.end(), w.args.begin(), w.args.end());
  auto params = w.parameters;
  params.emplace_back("worker_threads", threads);
  comparison c{w.name, w.description, w.metrics, tool_side("troupe", dir / "troupe_actor_workloads", args, w.values),
               std::nullopt, params};
  const fs::path caf = dir / "caf_actor_workloads";
  if (fs::exists(caf)) c.baseline = tool_side("CAF 0.17", caf, args, w.values);
  return c;
}

std::string n(std::uint64_t v) { return std::to_string(v); }

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
      if (threads < 1) {
        std::cerr << "actors_bench: --threads needs an integer >= 1, got '" << argv[i] << "'\n";
        return 1;
      }
    } else {
      rest.push_back(argv[i]);
    }
  }
  return bench_main(static_cast<int>(rest.size()), rest.data(), "actors_bench", [threads](const options& o) {
    const fs::path dir = tool_dir();
    std::vector<comparison> suite;
    const std::uint64_t rounds = o.scaled(200'000);
    suite.push_back(make({"ping_pong", "two actors bounce one 8-byte message; round trips per second",
                          {{"round trips", "rt/s", better::higher}},
                          {{"round trips:", "[rt/s]"}},
                          {"ping_pong", n(rounds)},
                          {{"rounds", static_cast<double>(rounds)}}},
                         dir, threads));
    const std::uint64_t fan_messages = o.scaled(1'000'000);
    const std::uint64_t workers = 100;
    suite.push_back(make({"fan_100", "1 source -> 100 load-balanced workers -> 1 sink, 8-byte messages; "
                                     "messages per second from first send to last receive",
                          {{"throughput", "msg/s", better::higher}},
                          {{"throughput:", "[msg/s]"}},
                          {"fan", n(fan_messages), n(workers)},
                          {{"messages", static_cast<double>(fan_messages)}, {"workers", static_cast<double>(workers)}}},
                         dir, threads));
    const std::uint64_t actors = o.scaled(100'000);
    suite.push_back(make({"spawn_100k", "create and start idle actors that can receive; time until every one "
                                        "has started, and the RSS they add (idle actors per GiB)",
                          {{"spawn", "ms", better::lower}, {"idle actors per GiB", "actors", better::higher}},
                          {{"spawn:", "[ms]"}, {"actors per GiB:", "[actors]"}},
                          {"spawn", n(actors), "0"},
                          {{"actors", static_cast<double>(actors)}}},
                         dir, threads));
    const std::uint64_t doomed = o.scaled(100'000);
    suite.push_back(make({"teardown_100k", "create and start idle actors, then destroy them all; time of the "
                                          "destruction until every actor is gone",
                          {{"teardown", "ms", better::lower}},
                          {{"teardown:", "[ms]"}},
                          {"spawn", n(doomed), "1"},
                          {{"actors", static_cast<double>(doomed)}}},
                         dir, threads));
    const std::uint64_t increments = o.scaled(1'000'000);
    suite.push_back(make({"counting", "Savina counting: increments to a counter, then ask for the total; "
                                      "increments per second",
                          {{"throughput", "msg/s", better::higher}},
                          {{"throughput:", "[msg/s]"}},
                          {"counting", n(increments)},
                          {{"increments", static_cast<double>(increments)}}},
                         dir, threads));
    const std::uint64_t ring = 100;
    const std::uint64_t hops = o.scaled(1'000'000);
    suite.push_back(make({"thread_ring", "Savina thread ring: 100 actors pass a token; hops per second",
                          {{"hops", "hops/s", better::higher}},
                          {{"hops:", "[hops/s]"}},
                          {"thread_ring", n(ring), n(hops)},
                          {{"actors", static_cast<double>(ring)}, {"hops", static_cast<double>(hops)}}},
                         dir, threads));
    return suite;
  });
}
