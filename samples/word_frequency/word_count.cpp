#include "word_count.hpp"

#include "words.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace word_frequency {

namespace {

std::uint64_t pair_digest(std::string_view word, std::uint64_t count) noexcept {
  std::uint64_t h = stable_hash(word) ^ (count * 0x9e3779b97f4a7c15ull);
  h ^= h >> 31;  // splitmix finaliser: a count change flips many bits
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 29;
  return h;
}

bool before(const std::pair<std::string, std::uint64_t>& a, const std::pair<std::string, std::uint64_t>& b) {
  return a.second != b.second ? a.second > b.second : a.first < b.first;
}

void keep_top(ranked& r, std::size_t k) {
  const std::size_t n = std::min(k, r.size());
  std::partial_sort(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(n), r.end(), before);
  r.resize(n);
}

}  // namespace

summary summarize(const counts& c, std::size_t k) {
  summary s;
  s.distinct = c.size();
  ranked all;
  all.reserve(c.size());
  for (const auto& [word, n] : c) {
    s.total += n;
    s.digest ^= pair_digest(word, n);
    all.emplace_back(word, n);
  }
  keep_top(all, k);
  s.top = std::move(all);
  return s;
}

summary merge(const std::vector<summary>& parts, std::size_t k) {
  summary s;
  for (const summary& p : parts) {
    s.total += p.total;
    s.distinct += p.distinct;
    s.digest ^= p.digest;
    s.top.insert(s.top.end(), p.top.begin(), p.top.end());
  }
  keep_top(s.top, k);
  return s;
}

nlohmann::json to_json(const summary& s) {
  nlohmann::json top = nlohmann::json::array();
  for (const auto& [w, n] : s.top) top.push_back({w, n});
  return {{"total", s.total}, {"distinct", s.distinct}, {"digest", s.digest}, {"top", top}};
}

summary summary_from_json(const nlohmann::json& j) {
  for (const char* key : {"total", "distinct", "digest", "top"})
    if (!j.contains(key)) throw std::runtime_error(std::string("summary without '") + key + "'");
  summary s;
  s.total = j.at("total").get<std::uint64_t>();
  s.distinct = j.at("distinct").get<std::uint64_t>();
  s.digest = j.at("digest").get<std::uint64_t>();
  for (const auto& e : j.at("top")) s.top.emplace_back(e.at(0).get<std::string>(), e.at(1).get<std::uint64_t>());
  return s;
}

std::string format_table(const summary& s) {
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line, "%llu words, %llu distinct, digest %016llx\n",
                static_cast<unsigned long long>(s.total), static_cast<unsigned long long>(s.distinct),
                static_cast<unsigned long long>(s.digest));
  out += line;
  std::size_t rank = 0;
  for (const auto& [w, n] : s.top) {
    std::snprintf(line, sizeof line, "%4zu  %-24.*s %12llu\n", ++rank, static_cast<int>(std::min<std::size_t>(w.size(), 60)),
                  w.data(), static_cast<unsigned long long>(n));
    out += line;
  }
  return out;
}

}  // namespace word_frequency
