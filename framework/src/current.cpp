#include "current.hpp"

namespace troupe::framework::internal {
namespace {
thread_local strand* running_strand = nullptr;
thread_local fiber* running_fiber = nullptr;
}  // namespace

strand* current_strand() noexcept { return running_strand; }
void set_current_strand(strand* s) noexcept { running_strand = s; }
fiber* current_fiber() noexcept { return running_fiber; }
void set_current_fiber(fiber* f) noexcept { running_fiber = f; }

}  // namespace troupe::framework::internal
