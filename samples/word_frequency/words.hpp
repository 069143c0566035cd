#pragma once
// What a word is, and which shard counts it: the one definition the tokenizers, the counter
// shards and the single-threaded reference count all use.

#include <cstdint>
#include <string>
#include <string_view>

namespace word_frequency {

/// Calls fn(std::string_view word) for every word of `text`: a maximal run of ASCII letters,
/// digits, apostrophes and non-ASCII bytes (so UTF-8 words stay whole), ASCII letters
/// lowercased. `scratch` is reused between calls (no allocation in the steady state).
/// A byte that belongs to a word (see for_each_word).
inline bool is_word_byte(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '\'' || u >= 0x80;
}

template <class Fn>
void for_each_word(std::string_view text, std::string& scratch, Fn&& fn) {
  scratch.clear();
  for (const char c : text) {
    if (is_word_byte(c)) {
      scratch += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    } else if (!scratch.empty()) {
      fn(std::string_view(scratch));
      scratch.clear();
    }
  }
  if (!scratch.empty()) fn(std::string_view(scratch));
  scratch.clear();
}

/// Words are partitioned into this many buckets by hash; a counter shard owns a set of them.
inline constexpr int bucket_count = 64;

/// FNV-1a: stable across runs and machines (std::hash is neither promised).
inline std::uint64_t stable_hash(std::string_view s) noexcept {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

inline int bucket_of(std::string_view word) noexcept {
  return static_cast<int>(stable_hash(word) % bucket_count);
}

/// The PUB topic of a bucket: "b00".."b63" (all the same length, so no topic is a prefix of
/// another and a shard subscribes to exactly its buckets).
inline std::string topic_of(int bucket) {
  std::string t = "b00";
  t[1] = static_cast<char>('0' + bucket / 10);
  t[2] = static_cast<char>('0' + bucket % 10);
  return t;
}

}  // namespace word_frequency
