#pragma once
// The ZeroMQ guide's parallel pipeline as actors:
//
//   ventilator --PUSH--> worker[0..N-1] --PUSH--> sink
//
// The ventilator hands out tasks (each "takes" a number of milliseconds), the worker pool
// takes them load-balanced and waits that long (a fiber's sleep: no thread is held), the sink
// collects every result and reports the elapsed time against the total work.

#include <troupe/actors/graph.hpp>
#include <troupe/actors/registry.hpp>

namespace parallel_pipeline {

/// Registers "pp.ventilator", "pp.worker", "pp.sink" (a registry that has them already is left as it is).
void register_actors(troupe::actors::registry& r = troupe::actors::registry::global());

struct pipeline_options {
  int tasks = 100;
  int workers = 8;
  int max_ms = 20;  ///< each task takes 1..max_ms milliseconds
  int seed = 1;
};

/// Spawns and links the pipeline. The sink's "result" output (a PUB) carries its report as
/// JSON: {"tasks", "work_ms", "elapsed_ms", "missing", "duplicates"}.
void build(troupe::actors::graph& g, const pipeline_options& o);

}  // namespace parallel_pipeline

/// Registers this sample's actor types in `r` (the troupe tool calls it at start-up).
void troupe_register_parallel_pipeline(troupe::actors::registry& r);
