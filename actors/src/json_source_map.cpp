// A small scanner over valid JSON that records where each value and key starts.
#include <troupe/actors/json_source_map.hpp>

#include <algorithm>
#include <set>

namespace troupe::actors {

std::string json_pointer_escape(std::string_view token) {
  std::string s;
  s.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      s += "~0";
    } else if (c == '/') {
      s += "~1";
    } else {
      s += c;
    }
  }
  return s;
}

namespace {

void append_utf8(std::string& s, unsigned cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// Walks the text keeping line and column of the current byte.
class cursor {
public:
  explicit cursor(std::string_view t) : text_(t) {}
  bool done() const noexcept { return pos_ >= text_.size(); }
  char peek() const noexcept { return done() ? '\0' : text_[pos_]; }
  text_position here() const noexcept { return {line_, column_}; }
  std::size_t offset() const noexcept { return pos_; }
  void advance() noexcept {
    if (done()) return;
    const auto c = static_cast<unsigned char>(text_[pos_++]);
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if (pos_ >= text_.size() || (static_cast<unsigned char>(text_[pos_]) & 0xC0) != 0x80) {
      ++column_;  // a whole character was passed (the next byte is not a continuation byte)
    }
  }
  void skip_ws() noexcept {
    while (!done() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) advance();
  }
  /// At '"': reads a string, returns its decoded text.
  std::string read_string() {
    std::string s;
    advance();  // opening quote
    while (!done() && peek() != '"') {
      if (peek() != '\\') {
        s += peek();
        advance();
        continue;
      }
      advance();
      const char e = peek();
      advance();
      switch (e) {
        case 'b': s += '\b'; break;
        case 'f': s += '\f'; break;
        case 'n': s += '\n'; break;
        case 'r': s += '\r'; break;
        case 't': s += '\t'; break;
        case 'u': {
          unsigned cp = read_hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && peek() == '\\') {  // a surrogate pair
            advance();
            advance();  // 'u'
            const unsigned lo = read_hex4();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(s, cp);
          break;
        }
        default: s += e; break;  // '"', '\\', '/'
      }
    }
    advance();  // closing quote
    return s;
  }
  /// Skips a number or a literal (true, false, null).
  void skip_scalar() noexcept {
    while (!done()) {
      const char c = peek();
      if (c == ',' || c == ']' || c == '}' || c == ' ' || c == '\t' || c == '\n' || c == '\r') break;
      advance();
    }
  }

private:
  unsigned read_hex4() noexcept {
    unsigned v = 0;
    for (int i = 0; i < 4 && !done(); ++i) {
      const char c = peek();
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      advance();
    }
    return v;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
};

struct frame {
  bool object;
  std::string pointer;
  std::size_t index = 0;
  std::set<std::string> keys;
};

std::string_view parent_of(std::string_view pointer) {
  const auto slash = pointer.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : pointer.substr(0, slash);
}

}  // namespace

json_source_map::json_source_map(std::string_view text) {
  cursor c(text);
  std::vector<frame> stack;
  std::string at;  // pointer of the value about to be read
  if (text.starts_with("\xEF\xBB\xBF")) {  // a UTF-8 byte order mark (nlohmann skips it too)
    for (int i = 0; i < 3; ++i) c.advance();
  }
  c.skip_ws();
  // Reads the key of the next member of the object on top of the stack; false if malformed.
  auto read_member = [&]() -> bool {
    if (c.peek() != '"') return false;
    const text_position kpos = c.here();
    const std::string key = c.read_string();
    frame& f = stack.back();
    at = f.pointer + "/" + json_pointer_escape(key);
    if (!f.keys.insert(key).second) duplicates_.push_back(at);
    keys_[at] = kpos;
    c.skip_ws();
    if (c.peek() != ':') return false;
    c.advance();
    c.skip_ws();
    return true;
  };
  for (;;) {
    if (c.done()) return;
    values_[at] = c.here();
    const char ch = c.peek();
    if (ch == '{' || ch == '[') {
      c.advance();
      c.skip_ws();
      stack.push_back(frame{ch == '{', at, 0, {}});
      if (c.peek() != (ch == '{' ? '}' : ']')) {
        if (ch == '{') {
          if (!read_member()) return;
        } else {
          at = stack.back().pointer + "/0";
        }
        continue;
      }
      // An empty container: closed below.
    } else if (ch == '"') {
      c.read_string();
    } else {
      c.skip_scalar();
    }
    // After a value: close containers, or move to the next member or element.
    for (;;) {
      if (stack.empty()) return;
      c.skip_ws();
      const char n = c.peek();
      if (n == '}' || n == ']') {
        c.advance();
        stack.pop_back();
        continue;
      }
      if (n != ',') return;
      c.advance();
      c.skip_ws();
      frame& f = stack.back();
      if (f.object) {
        if (!read_member()) return;
      } else {
        at = f.pointer + "/" + std::to_string(++f.index);
      }
      break;
    }
  }
}

text_position json_source_map::value(std::string_view pointer) const {
  for (;;) {
    auto it = values_.find(pointer);
    if (it != values_.end()) return it->second;
    if (pointer.empty()) return {};
    pointer = parent_of(pointer);
  }
}

text_position json_source_map::key(std::string_view pointer) const {
  auto it = keys_.find(pointer);
  return it != keys_.end() ? it->second : value(pointer);
}

text_position json_source_map::at_offset(std::string_view text, std::size_t offset) {
  cursor c(text.substr(0, std::min(offset, text.size())));
  while (!c.done()) c.advance();
  return c.here();
}

}  // namespace troupe::actors
