#include "text.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace demo {
namespace {

constexpr std::array<std::string_view, 120> vocab = {
    "the",    "of",      "and",     "to",     "a",      "in",     "is",      "it",
    "you",    "that",    "he",      "was",    "for",    "on",     "are",     "with",
    "as",     "they",    "be",      "at",     "one",    "have",   "this",    "from",
    "or",     "had",     "by",      "word",   "but",    "what",   "some",    "we",
    "can",    "out",     "other",   "were",   "all",    "there",  "when",    "up",
    "use",    "your",    "how",     "said",   "an",     "each",   "she",     "which",
    "do",     "their",   "time",    "if",     "will",   "way",    "about",   "many",
    "then",   "them",    "write",   "would",  "like",   "so",     "these",   "her",
    "long",   "make",    "thing",   "see",    "him",    "two",    "has",     "look",
    "more",   "day",     "could",   "go",     "come",   "did",    "number",  "sound",
    "no",     "most",    "people",  "my",     "over",   "know",   "water",   "than",
    "call",   "first",   "who",     "may",    "down",   "side",   "been",    "now",
    "find",   "any",     "new",     "work",   "part",   "take",   "get",     "place",
    "made",   "live",    "where",   "after",  "back",   "little", "only",    "round",
    "man",    "year",    "came",    "show",   "every",  "good",   "me",      "give",
};

// Cumulative Zipf weights scaled to 2^32: word k is drawn with probability ~ 1/(k+1).
const std::array<std::uint64_t, vocab.size()>& thresholds() {
  static const auto table = [] {
    std::array<double, vocab.size()> w{};
    double sum = 0;
    for (std::size_t k = 0; k < w.size(); ++k) sum += w[k] = 1.0 / static_cast<double>(k + 1);
    std::array<std::uint64_t, vocab.size()> t{};
    double acc = 0;
    for (std::size_t k = 0; k < w.size(); ++k) {
      acc += w[k];
      t[k] = static_cast<std::uint64_t>(std::ldexp(acc / sum, 32));
    }
    t.back() = std::uint64_t{1} << 32;
    return t;
  }();
  return table;
}

}  // namespace

std::span<const std::string_view> vocabulary() noexcept { return vocab; }

text_generator::text_generator(std::uint64_t seed) : state_(seed), counts_(vocab.size(), 0) {}

std::uint64_t text_generator::next() noexcept {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint32_t text_generator::below(std::uint32_t n) noexcept {
  return static_cast<std::uint32_t>(((next() >> 32) * n) >> 32);
}

std::size_t text_generator::draw_word() noexcept {
  const auto& t = thresholds();
  const std::uint64_t r = next() >> 32;
  return static_cast<std::size_t>(std::upper_bound(t.begin(), t.end(), r) - t.begin());
}

void text_generator::append_lines(std::string& out, std::size_t min_bytes) {
  static constexpr std::string_view end_marks = "...!?";
  const std::size_t start = out.size();
  while (out.size() - start < min_bytes) {
    const std::uint32_t n = 4 + below(11);
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::size_t k = draw_word();
      ++counts_[k];
      const std::size_t at = out.size();
      out += vocab[k];
      if (i == 0) out[at] = static_cast<char>(out[at] - 'a' + 'A');
      if (i + 1 < n) out += below(8) == 0 ? ", " : " ";
    }
    out += end_marks[below(static_cast<std::uint32_t>(end_marks.size()))];
    out += '\n';
    words_ += n;
    ++lines_;
  }
  bytes_ += out.size() - start;
}

}  // namespace demo
