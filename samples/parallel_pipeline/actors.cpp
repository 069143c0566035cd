#include "actors.hpp"

#include <troupe/actors/all.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace parallel_pipeline {

namespace act = troupe::actors;
namespace msg = troupe::messaging;

namespace {

struct task {
  std::int32_t id;
  std::int32_t ms;
};

/// Sends params["tasks"] tasks of 1..max_ms ms each (a fixed pseudo-random sequence).
class ventilator final : public act::fiber_actor {
public:
  static void ports(act::port_list& p) { p.output("tasks"); }
  void run() override {
    const int n = params().value("tasks", 100);
    const int max_ms = params().value("max_ms", 20);
    std::uint32_t x = static_cast<std::uint32_t>(params().value("seed", 1)) * 2654435761u + 1;
    for (int i = 0; i < n && !stopping(); ++i) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;  // xorshift32
      if (!out("tasks").send_value(task{i, 1 + static_cast<std::int32_t>(x % static_cast<std::uint32_t>(max_ms))})) return;
    }
  }
};

/// Does a task's work (waits its milliseconds on its fiber) and passes it on.
class worker final : public act::fiber_actor {
public:
  static void ports(act::port_list& p) { p.input("tasks").output("results"); }
  void run() override {
    task t{};
    while (in("tasks").recv_value(t)) {
      if (!sleep_for(std::chrono::milliseconds(t.ms))) return;
      if (!out("results").send_value(t)) return;
    }
  }
};

/// Collects the results: every task once, the work it represented and the time it took.
class sink final : public act::handler_actor {
public:
  static void ports(act::port_list& p) {
    p.input("results").output("result", act::port_kind::pub, {.required = false});
  }
  void on_start() override {
    seen_.assign(static_cast<std::size_t>(params().value("tasks", 100)), 0);
    start_ = std::chrono::steady_clock::now();
  }
  void on_message(act::input&, msg::multipart& m) override {
    const task t = act::decode<task>(m);
    if (t.id < 0 || static_cast<std::size_t>(t.id) >= seen_.size()) throw std::runtime_error("task id out of range");
    if (seen_[static_cast<std::size_t>(t.id)]++ != 0) ++duplicates_;
    work_ms_ += t.ms;
    ++results_;
  }
  void on_stop() override {
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_).count();
    std::uint64_t missing = 0;
    for (auto s : seen_) missing += s == 0;
    if (params().value("print", true))
      std::printf("%llu results: %lld ms of work done in %lld ms (%.1fx parallel); %llu missing, %llu duplicates\n",
                  static_cast<unsigned long long>(results_), static_cast<long long>(work_ms_), static_cast<long long>(elapsed),
                  elapsed > 0 ? static_cast<double>(work_ms_) / static_cast<double>(elapsed) : 0.0,
                  static_cast<unsigned long long>(missing), static_cast<unsigned long long>(duplicates_));
    out("result").send_json({{"tasks", results_}, {"work_ms", work_ms_}, {"elapsed_ms", elapsed},
                             {"missing", missing}, {"duplicates", duplicates_}});
  }

private:
  std::vector<std::uint8_t> seen_;
  std::uint64_t results_ = 0, duplicates_ = 0;
  std::int64_t work_ms_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

void register_actors(act::registry& r) {
  if (r.contains("pp.ventilator")) return;  // once per registry
  r.add<ventilator>("pp.ventilator");
  r.add<worker>("pp.worker");
  r.add<sink>("pp.sink");
}

void build(act::graph& g, const pipeline_options& o) {
  if (o.tasks < 1 || o.workers < 1 || o.max_ms < 1)
    throw act::graph_error("parallel_pipeline: tasks, workers and max_ms must be at least 1");
  register_actors();
  g.spawn("ventilator", "pp.ventilator", {.params = {{"tasks", o.tasks}, {"max_ms", o.max_ms}, {"seed", o.seed}}});
  g.spawn("worker", "pp.worker", {.replicas = o.workers});
  g.spawn("sink", "pp.sink", {.params = {{"tasks", o.tasks}}});
  g.connect("ventilator.tasks", "worker.tasks");
  g.connect("worker.results", "sink.results");
}

}  // namespace parallel_pipeline

/// The actor library's entry point for the troupe tool (cmake/troupe_cli.cmake).
void troupe_register_parallel_pipeline(troupe::actors::registry& r) { parallel_pipeline::register_actors(r); }
