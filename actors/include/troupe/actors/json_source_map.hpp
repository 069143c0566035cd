#pragma once
/// Where each value of a JSON text is: line and column by JSON pointer (nlohmann::json keeps
/// no positions, so error messages about a value find its place here).

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::actors {

/// A place in a text: 1-based line and column (the column counts UTF-8 characters).
struct text_position {
  std::size_t line = 0;
  std::size_t column = 0;
  bool known() const noexcept { return line != 0; }
};

/// The position of every value, and of every object member's key, in a JSON text.
///
/// Pointers are RFC 6901 JSON pointers as nlohmann's json_pointer::to_string() spells them
/// ("" is the root, "/links/0/from", "~0" and "~1" escape '~' and '/').
class json_source_map {
public:
  json_source_map() = default;
  /// Scans `text`, which must be valid JSON (parse it first: this scanner reports no syntax
  /// errors, it stops at the first thing it does not understand). Iterative: any depth.
  explicit json_source_map(std::string_view text);

  /// Where the value at `pointer` starts; for a pointer that is not in the text (a missing
  /// field), where its nearest existing ancestor starts.
  text_position value(std::string_view pointer) const;
  /// Where the key of the member at `pointer` starts (an object member), else as value().
  text_position key(std::string_view pointer) const;
  /// Object members whose key appeared before in the same object, by pointer (nlohmann keeps
  /// only the last of them silently).
  const std::vector<std::string>& duplicate_keys() const noexcept { return duplicates_; }

  /// The position of byte `offset` of `text` (for parser errors that give an offset).
  static text_position at_offset(std::string_view text, std::size_t offset);

private:
  std::map<std::string, text_position, std::less<>> values_;
  std::map<std::string, text_position, std::less<>> keys_;
  std::vector<std::string> duplicates_;
};

/// `token` escaped for a JSON pointer ('~' → "~0", '/' → "~1").
std::string json_pointer_escape(std::string_view token);

}  // namespace troupe::actors
