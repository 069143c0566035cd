#pragma once
// Word counts and their summary: totals, an order-independent digest of every (word, count)
// pair, and the top K. Shards summarise their part; summaries merge exactly because every word
// is counted by one shard only.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace word_frequency {

using counts = std::unordered_map<std::string, std::uint64_t>;
using ranked = std::vector<std::pair<std::string, std::uint64_t>>;

struct summary {
  std::uint64_t total = 0;     ///< words
  std::uint64_t distinct = 0;  ///< different words
  std::uint64_t digest = 0;    ///< XOR over every word of a hash of (word, count)
  ranked top;                  ///< by count, then word; at most K

  friend bool operator==(const summary&, const summary&) = default;
};

/// Summarises `c` keeping the `k` most frequent words.
summary summarize(const counts& c, std::size_t k);
/// Merges summaries of disjoint word sets (the shards').
summary merge(const std::vector<summary>& parts, std::size_t k);

nlohmann::json to_json(const summary& s);
/// Throws std::runtime_error naming what is missing.
summary summary_from_json(const nlohmann::json& j);

/// The table printed at the end.
std::string format_table(const summary& s);

}  // namespace word_frequency
