#pragma once
// The CAF side's actor system: the work-stealing scheduler (CAF's default) with
// scheduler.max-threads = `threads`; nothing else is changed from CAF's defaults. Only
// libcaf_core is linked (no middleman).
#include "../common/workload_util.hpp"

#include <caf/all.hpp>

namespace perf_actors {

inline caf::actor_system_config& caf_config(caf::actor_system_config& cfg, int threads) {
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(threads));
  return cfg;
}

}  // namespace perf_actors
