#pragma once
// The subscriber's subscription set (SUB, XSUB): prefixes with a count each, since a SUB may
// subscribe to the same prefix several times and stays subscribed until as many unsubscribes.
// The empty prefix matches every message.

#include "routing/prefix_tree.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace troupe::messaging::internal {

class trie {
public:
  /// Counts one more subscription to `prefix`. True if it is the first.
  bool add(std::span<const std::byte> prefix);
  /// Counts one less. True if that was the last (the prefix is now unsubscribed); false if
  /// others remain or there was none.
  bool rm(std::span<const std::byte> prefix) noexcept;
  /// Some subscribed prefix is a prefix of the data. Allocation-free.
  bool check(const std::byte* data, std::size_t size) const noexcept;

  /// Calls fn(std::string_view prefix) once per subscribed prefix (to resend them).
  template <class F>
  void apply(F&& fn) {
    tree_.visit_all([&](std::string_view prefix, count& c) {
      if (!c.empty()) fn(prefix);
    });
  }

  bool empty() const noexcept { return tree_.empty(); }

private:
  struct count {
    std::uint64_t n = 0;
    bool empty() const noexcept { return n == 0; }
  };

  prefix_tree<count> tree_;
};

}  // namespace troupe::messaging::internal
