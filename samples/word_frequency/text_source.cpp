#include "text_source.hpp"

#include "words.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace word_frequency {

namespace fs = std::filesystem;

namespace {

/// Moves the tail of `chunk` after its last non-word byte into `carry` (the start of a word
/// that may continue in the next read).
void cut_at_boundary(std::string& chunk, std::string& carry) {
  std::size_t end = chunk.size();
  while (end > 0 && is_word_byte(chunk[end - 1])) --end;
  if (end == 0) return;  // one huge word: keep it whole
  carry.assign(chunk, end, std::string::npos);
  chunk.resize(end);
}

class file_source final : public text_source {
public:
  file_source(const fs::path& root, std::size_t chunk_bytes) : root_(root), chunk_bytes_(chunk_bytes) {
    std::error_code ec;
    if (fs::is_directory(root, ec)) {
      for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec)) files_.push_back(it->path());
      if (ec) throw std::runtime_error("cannot list '" + root.string() + "': " + ec.message());
      std::sort(files_.begin(), files_.end());
    } else if (fs::is_regular_file(root, ec)) {
      files_.push_back(root);
    } else {
      throw std::runtime_error("path '" + root.string() + "' is neither a file nor a folder");
    }
    for (const auto& f : files_) total_ += fs::file_size(f, ec);
  }

  bool next(std::string& chunk) override {
    chunk.clear();
    for (;;) {
      if (!in_.is_open()) {
        if (index_ == files_.size()) {
          chunk.swap(carry_);
          return !chunk.empty();
        }
        in_.open(files_[index_], std::ios::binary);
        if (!in_) throw std::runtime_error("cannot read '" + files_[index_].string() + "'");
      }
      chunk = std::move(carry_);
      carry_.clear();
      const std::size_t have = chunk.size();
      chunk.resize(have + chunk_bytes_);
      in_.read(chunk.data() + have, static_cast<std::streamsize>(chunk_bytes_));
      chunk.resize(have + static_cast<std::size_t>(in_.gcount()));
      if (in_.eof()) {  // a file's end is a word boundary
        in_.close();
        ++index_;
        if (!chunk.empty()) return true;
        continue;
      }
      cut_at_boundary(chunk, carry_);
      if (!chunk.empty()) return true;
    }
  }
  std::uint64_t total_bytes() const noexcept override { return total_; }
  std::string describe() const override {
    return root_.string() + " (" + std::to_string(files_.size()) + " files, " + std::to_string(total_) + " bytes)";
  }

private:
  fs::path root_;
  std::size_t chunk_bytes_;
  std::vector<fs::path> files_;
  std::size_t index_ = 0;
  std::ifstream in_;
  std::string carry_;
  std::uint64_t total_ = 0;
};

/// splitmix64: a tiny, fixed PRNG, so the corpus is the same everywhere.
struct splitmix {
  std::uint64_t state;
  std::uint64_t operator()() noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double unit() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }
};

/// Pseudo-words made of syllables, drawn with a skewed (roughly Zipf-like) frequency, with
/// capitals and punctuation sprinkled in so the tokenizer has work to do.
class generated_source final : public text_source {
public:
  generated_source(std::uint64_t words, std::uint64_t seed, std::size_t vocabulary, std::size_t chunk_bytes)
      : words_(words), rng_{seed}, chunk_bytes_(chunk_bytes) {
    static const char* const syllables[] = {"ka", "lo", "mi", "ne", "ru", "ta", "vo", "sh", "el", "an",
                                            "ti", "po", "qu", "ze", "ba", "do", "fi", "gu", "ho", "ja"};
    splitmix names{seed ^ 0x5bd1e995u};
    vocab_.reserve(vocabulary);
    for (std::size_t i = 0; i < vocabulary; ++i) {
      std::string w;
      const int n = 1 + static_cast<int>(names() % 4);
      for (int s = 0; s < n; ++s) w += syllables[names() % 20];
      w += std::to_string(i % 7 == 0 ? i : i % 10);  // many distinct words, some variants
      vocab_.push_back(std::move(w));
    }
    // Mean word ~8 bytes plus a separator.
    total_ = words_ * 9;
  }

  bool next(std::string& chunk) override {
    chunk.clear();
    while (emitted_ < words_ && chunk.size() < chunk_bytes_) {
      const double u = rng_.unit();
      const auto i = static_cast<std::size_t>(static_cast<double>(vocab_.size()) * u * u * u);
      std::string_view w = vocab_[std::min(i, vocab_.size() - 1)];
      const std::uint64_t r = rng_();
      if (r % 13 == 0) {  // Capitalised: the tokenizer lowercases it
        chunk += static_cast<char>(w[0] - 'a' + 'A');
        chunk.append(w.substr(1));
      } else {
        chunk.append(w);
      }
      ++emitted_;
      chunk += (r % 17 == 0) ? ", " : (r % 11 == 0 ? ".\n" : " ");
    }
    return !chunk.empty();
  }
  std::uint64_t total_bytes() const noexcept override { return total_; }
  std::string describe() const override {
    return "a generated corpus of " + std::to_string(words_) + " words (" + std::to_string(vocab_.size()) +
           "-word vocabulary)";
  }

private:
  std::uint64_t words_;
  std::uint64_t emitted_ = 0;
  splitmix rng_;
  std::size_t chunk_bytes_;
  std::vector<std::string> vocab_;
  std::uint64_t total_ = 0;
};

std::uint64_t positive(const nlohmann::json& j, const char* key, std::uint64_t fallback) {
  if (!j.contains(key)) return fallback;
  const auto& v = j.at(key);
  if (!v.is_number_integer() || v.get<std::int64_t>() <= 0)
    throw std::runtime_error(std::string("'") + key + "' must be a positive integer (got " + v.dump() + ")");
  return v.get<std::uint64_t>();
}

}  // namespace

std::unique_ptr<text_source> open_text_source(const nlohmann::json& params) {
  const std::size_t chunk = positive(params, "chunk_bytes", 65536);
  if (params.contains("path")) {
    const auto& p = params.at("path");
    if (!p.is_string() || p.get<std::string>().empty())
      throw std::runtime_error("'path' must be a file or folder name (got " + p.dump() + ")");
    return std::make_unique<file_source>(p.get<std::string>(), chunk);
  }
  const nlohmann::json g = params.value("generate", nlohmann::json::object());
  if (!g.is_object()) throw std::runtime_error("'generate' must be an object (got " + g.dump() + ")");
  return std::make_unique<generated_source>(positive(g, "words", 2'000'000), positive(g, "seed", 1),
                                            positive(g, "vocabulary", 20'000), chunk);
}

}  // namespace word_frequency
