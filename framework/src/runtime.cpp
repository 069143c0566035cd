#include <troupe/framework/runtime.hpp>

namespace troupe::framework {

runtime::runtime(runtime_options options)
    : exec_(options.executor), io_(exec_), fibers_(exec_, io_, options.fibers) {}

runtime::~runtime() { stop(); }

void runtime::stop() noexcept {
  if (stopped_) return;
  stopped_ = true;
  fibers_.cancel_all();  // (1) fibers unwind; their timers and watches are released
  io_.stop();            // (2) no more readiness or timer tasks
  exec_.shutdown();      // (3) what is queued runs, then the workers stop
}

}  // namespace troupe::framework
