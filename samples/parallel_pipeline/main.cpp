// parallel_pipeline: the ZeroMQ guide's ventilator -> workers -> sink as an actor graph.
// Exits 0 only if the sink got every task exactly once.

#include "actors.hpp"

#include <troupe/actors/all.hpp>
#include <troupe/messaging/context.hpp>
#include <troupe/messaging/socket.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace act = troupe::actors;
namespace msg = troupe::messaging;
namespace pp = parallel_pipeline;

namespace {

const char* const usage_text = R"(usage: parallel_pipeline [--tasks N] [--workers N] [--max-ms M] [--seed S]

The ventilator sends N tasks of 1..M ms each to a pool of workers, which pass them to the
sink; the sink reports the work done against the time it took. Defaults: 100 tasks, 8 workers,
20 ms, seed 1.
)";

int number(const std::string& flag, const char* v) {
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*v == '\0' || *end != '\0' || n < 1 || n > 10'000'000)
    throw std::invalid_argument(flag + ": '" + v + "' is not a number from 1 to 10000000");
  return static_cast<int>(n);
}

}  // namespace

int main(int argc, char** argv) {
  pp::pipeline_options o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--help" || a == "-h") {
        std::fputs(usage_text, stdout);
        return 0;
      }
      if (i + 1 >= argc) throw std::invalid_argument(a.rfind("--", 0) == 0 ? a + " needs a value" : "unexpected argument '" + a + "'");
      if (a == "--tasks") o.tasks = number(a, argv[++i]);
      else if (a == "--workers") o.workers = number(a, argv[++i]);
      else if (a == "--max-ms") o.max_ms = number(a, argv[++i]);
      else if (a == "--seed") o.seed = number(a, argv[++i]);
      else throw std::invalid_argument("unknown option '" + a + "'");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parallel_pipeline: %s\n(parallel_pipeline --help shows the usage)\n", e.what());
    return 2;
  }
  try {
    msg::context ctx;
    act::graph g(ctx, "parallel_pipeline");
    pp::build(g, o);
    msg::socket report(ctx, msg::socket_type::sub);
    report.set(msg::option::subscribe, std::string_view{});
    report.connect(g.endpoint("sink.result"));
    g.start();
    const act::stop_report r = g.wait(std::chrono::minutes(10));
    if (!r.ok()) {
      std::fprintf(stderr, "parallel_pipeline: %s\n", r.error.empty() ? "timed out" : r.error.c_str());
      return 1;
    }
    report.set(msg::option::rcvtimeo, 10000);
    msg::multipart m;
    if (!report.recv(m)) {
      std::fprintf(stderr, "parallel_pipeline: no report from the sink\n");
      return 1;
    }
    const nlohmann::json j = act::decode_json(m);
    return j.at("tasks") == o.tasks && j.at("missing") == 0 && j.at("duplicates") == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parallel_pipeline: %s\n", e.what());
    return 1;
  }
}
