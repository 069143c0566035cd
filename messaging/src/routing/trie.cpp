#include "routing/trie.hpp"

namespace troupe::messaging::internal {

bool trie::add(std::span<const std::byte> prefix) {
  count& c = tree_.find_or_insert(prefix.data(), prefix.size());
  return c.n++ == 0;
}

bool trie::rm(std::span<const std::byte> prefix) noexcept {
  count* c = tree_.find(prefix.data(), prefix.size());
  if (!c || c->n == 0) return false;
  if (--c->n != 0) return false;
  tree_.prune(prefix.data(), prefix.size());
  return true;
}

bool trie::check(const std::byte* data, std::size_t size) const noexcept {
  bool hit = false;
  tree_.for_each_prefix_of(data, size, [&](const count&) {
    hit = true;
    return false;  // one is enough
  });
  return hit;
}

}  // namespace troupe::messaging::internal
