// framework_bench: micro-benchmarks of the troupe runtime, each against its plain alternative.
// Usage: framework_bench [--repeat N] [--json PATH] ... (see --help).

#include "framework/cases.hpp"

int main(int argc, char** argv) {
  using namespace troupe::perf;
  return bench_main(argc, argv, "framework_bench", [](const options& o) {
    return std::vector<comparison>{
        framework_cases::task_handoff(o),
        framework_cases::strand_wakeup(o, 1),
        framework_cases::strand_wakeup(o, 2),
        framework_cases::fiber_yield(o),
        framework_cases::fiber_ping_pong(o),
        framework_cases::timer_insert_cancel(o),
    };
  });
}
