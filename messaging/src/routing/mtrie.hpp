#pragma once
// The publisher's subscription trie (PUB, XPUB): which pipes subscribed to which prefixes.
//
// A (prefix, pipe) pair is in or out, as in libzmq's mtrie: subscribers count duplicate
// subscriptions themselves (trie.hpp) and send the unsubscription only when the last one goes,
// so counting here as well would leak subscriptions with any ZeroMQ subscriber. add() and rm()
// tell when a prefix gains its first pipe or loses its last one (what XPUB passes up).
// The empty prefix matches every message.

#include "pipe/pipe.hpp"
#include "routing/prefix_tree.hpp"

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace troupe::messaging::internal {

class mtrie {
public:
  enum class rm_result { not_found, last_removed, values_remain };

  /// Subscribes `p` to `prefix`. True if no pipe was subscribed to it before.
  bool add(std::span<const std::byte> prefix, pipe_end& p);
  /// Unsubscribes `p` from `prefix`.
  rm_result rm(std::span<const std::byte> prefix, pipe_end& p) noexcept;

  /// Removes every subscription of `p` (it is going away). Calls fn(std::string_view prefix,
  /// bool last) for each prefix it had; `last`: no pipe is subscribed to it any more.
  template <class F>
  void rm_all(pipe_end& p, F&& fn) {
    tree_.visit_all([&](std::string_view prefix, pipes& v) {
      if (v.erase(&p)) fn(prefix, v.empty());
    });
  }

  /// Calls fn(pipe_end&) for each pipe with a subscription that is a prefix of the data. A pipe
  /// with several matching prefixes is called several times (dist::match is idempotent).
  /// Allocation-free.
  template <class F>
  void match(const std::byte* data, std::size_t size, F&& fn) const {
    tree_.for_each_prefix_of(data, size, [&](const pipes& v) {
      for (pipe_end* p : v.list) fn(*p);
      return true;
    });
  }

  bool empty() const noexcept { return tree_.empty(); }

private:
  // The pipes subscribed to one prefix: a set, small in the common case, scanned on match.
  struct pipes {
    std::vector<pipe_end*> list;
    bool empty() const noexcept { return list.empty(); }
    bool contains(const pipe_end* p) const noexcept;
    bool erase(const pipe_end* p) noexcept;
  };

  prefix_tree<pipes> tree_;
};

}  // namespace troupe::messaging::internal
