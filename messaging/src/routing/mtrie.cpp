#include "routing/mtrie.hpp"

#include <algorithm>

namespace troupe::messaging::internal {

bool mtrie::pipes::contains(const pipe_end* p) const noexcept {
  return std::find(list.begin(), list.end(), p) != list.end();
}

bool mtrie::pipes::erase(const pipe_end* p) noexcept {
  auto it = std::find(list.begin(), list.end(), p);
  if (it == list.end()) return false;
  *it = list.back();
  list.pop_back();
  return true;
}

bool mtrie::add(std::span<const std::byte> prefix, pipe_end& p) {
  pipes& v = tree_.find_or_insert(prefix.data(), prefix.size());
  if (v.contains(&p)) return false;
  const bool first = v.empty();
  try {
    v.list.push_back(&p);
  } catch (...) {
    if (v.empty()) tree_.prune(prefix.data(), prefix.size());
    throw;
  }
  return first;
}

mtrie::rm_result mtrie::rm(std::span<const std::byte> prefix, pipe_end& p) noexcept {
  pipes* v = tree_.find(prefix.data(), prefix.size());
  if (!v || !v->erase(&p)) return rm_result::not_found;
  if (!v->empty()) return rm_result::values_remain;
  tree_.prune(prefix.data(), prefix.size());
  return rm_result::last_removed;
}

}  // namespace troupe::messaging::internal
