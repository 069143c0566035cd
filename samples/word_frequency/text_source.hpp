#pragma once
// Where the text comes from: files (one file, or every regular file under a folder, in name
// order) or a deterministic generated corpus. Either way it is cut into chunks that end at a
// word boundary, so a word is never split between two tokenizers.

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace word_frequency {

class text_source {
public:
  virtual ~text_source() = default;
  /// The next chunk (at most about `chunk_bytes`); false at the end.
  virtual bool next(std::string& chunk) = 0;
  /// Bytes in all, known up front (for progress).
  virtual std::uint64_t total_bytes() const noexcept = 0;
  /// What it reads, for messages.
  virtual std::string describe() const = 0;
};

/// From the reader's parameters: {"path": FILE_OR_FOLDER} or {"generate": {"words": N,
/// "seed": S, "vocabulary": V}} (the default when there is no "path": 2 000 000 words, seed
/// 1, 20 000 different words), and "chunk_bytes" (65536). Throws std::runtime_error naming a
/// bad value or an unreadable path.
std::unique_ptr<text_source> open_text_source(const nlohmann::json& params);

}  // namespace word_frequency
