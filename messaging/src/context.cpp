#include <troupe/framework/log.hpp>
#include <troupe/framework/runtime.hpp>
#include <troupe/messaging/context.hpp>

#include "context_core.hpp"
#include "socket_base.hpp"

namespace troupe::messaging {

context::context()
    : owned_(std::make_unique<framework::runtime>()), core_(framework::make_ref<internal::context_core>(*owned_)) {}

context::context(framework::runtime& rt) : core_(framework::make_ref<internal::context_core>(rt)) {}

context::~context() {
  core_->terminate();
  core_->wait_until_no_sockets();
  // Closed sockets told their connections to close; those finish on the runtime's workers.
  if (!core_->wait_until_no_engines(std::chrono::seconds(10)))
    framework::log(framework::log_level::warning, "context: wire connections still open after 10 s at shutdown");
  core_.reset();
  if (owned_) owned_->stop();
}

framework::runtime& context::runtime() noexcept { return core_->rt(); }
void context::terminate() noexcept { core_->terminate(); }
std::size_t context::socket_count() const noexcept { return core_->socket_count(); }

}  // namespace troupe::messaging
