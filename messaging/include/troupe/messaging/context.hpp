#pragma once
/// Context: the runtime a set of sockets runs on, and their inproc namespace.

#include <troupe/framework/ref_counted.hpp>

#include <memory>

namespace troupe::framework {
class runtime;
}

namespace troupe::messaging {

namespace internal { class context_core; }

/// Owns (or attaches to) a framework::runtime and holds the inproc endpoint namespace: an
/// `inproc://name` is unique per context, and only sockets of one context reach each other
/// over inproc.
///
/// Thread-safe. Destroying a context terminates it: blocking calls in progress on its
/// sockets end with errc::terminated, and the destructor then waits until every socket of
/// the context is closed (as zmq_ctx_term does), so close or destroy sockets first.
class context {
public:
  /// A context with its own runtime (one worker per hardware thread).
  context();
  /// A context on an existing runtime, which must outlive it.
  explicit context(framework::runtime& rt);
  ~context();
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  framework::runtime& runtime() noexcept;

  /// Makes blocking calls on every socket end with errc::terminated, now and from now on.
  void terminate() noexcept;

  /// Sockets of this context not yet closed.
  std::size_t socket_count() const noexcept;

  internal::context_core& core() noexcept { return *core_; }

private:
  std::unique_ptr<framework::runtime> owned_;
  framework::ref_ptr<internal::context_core> core_;
};

}  // namespace troupe::messaging
