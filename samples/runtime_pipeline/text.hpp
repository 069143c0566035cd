#pragma once
// Text for the demo: a deterministic generator of English-looking lines that counts exactly
// what it wrote, and the tokenizer the pipeline uses to count it again.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace demo {

/// The words the generator draws from, most frequent first (lowercase ASCII letters only).
std::span<const std::string_view> vocabulary() noexcept;

/// Produces lines such as "Time of the people, we could see.\n": 4 to 14 words drawn from
/// vocabulary() with Zipf frequencies (the k-th word ~ 1/k), the first one capitalised, some
/// commas, an end mark. Same seed, same text. Counts every word, line and byte it produced.
class text_generator {
public:
  explicit text_generator(std::uint64_t seed);

  /// Appends whole lines to `out` until at least `min_bytes` were appended.
  void append_lines(std::string& out, std::size_t min_bytes);

  /// How often each vocabulary word was produced (indexed like vocabulary()).
  const std::vector<std::uint64_t>& word_counts() const noexcept { return counts_; }
  std::uint64_t lines() const noexcept { return lines_; }
  std::uint64_t words() const noexcept { return words_; }
  std::uint64_t bytes() const noexcept { return bytes_; }

private:
  std::uint64_t next() noexcept;              // splitmix64
  std::uint32_t below(std::uint32_t n) noexcept;  // uniform in [0, n)
  std::size_t draw_word() noexcept;

  std::uint64_t state_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t lines_ = 0;
  std::uint64_t words_ = 0;
  std::uint64_t bytes_ = 0;
};

/// ASCII letters only: the generator writes nothing else inside a word.
constexpr bool is_letter(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// Lowercases `text` in place and calls `fn(std::string_view word)` for every maximal run of
/// ASCII letters in it. Returns the number of words.
template <class F>
std::uint64_t for_each_word(std::string& text, F&& fn) {
  std::uint64_t n = 0;
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    while (i < size && !is_letter(text[i])) ++i;
    const std::size_t begin = i;
    while (i < size && is_letter(text[i])) {
      if (text[i] <= 'Z') text[i] = static_cast<char>(text[i] - 'A' + 'a');
      ++i;
    }
    if (i > begin) {
      fn(std::string_view(text).substr(begin, i - begin));
      ++n;
    }
  }
  return n;
}

}  // namespace demo
