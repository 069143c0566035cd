#pragma once
/// Typed convenience over opaque messages: trivially copyable values and JSON documents.
///
/// Opaque bytes stay the base: these helpers only turn a value into one message part and
/// back. A received message's payload is its last part (the first part of a multipart
/// message sent to a PUB output is its topic).

#include <troupe/messaging/message.hpp>

#include <nlohmann/json.hpp>

#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace troupe::actors {

/// A value that travels as its object representation (same-process, same-ABI peers).
template <class T>
concept wire_value = std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>;

/// One part holding the bytes of `v`.
template <wire_value T>
messaging::message encode(const T& v) {
  return messaging::message(&v, sizeof(T));
}

/// The value held by `part`. Throws std::invalid_argument when the size is not sizeof(T).
template <wire_value T>
T decode(const messaging::message& part) {
  if (part.size() != sizeof(T))
    throw std::invalid_argument("decode: a part of " + std::to_string(part.size()) +
                                " bytes does not hold a value of " + std::to_string(sizeof(T)) +
                                " bytes");
  T v;
  std::memcpy(static_cast<void*>(&v), part.data(), sizeof(T));
  return v;
}

/// The value held by the last part of `parts`.
template <wire_value T>
T decode(const messaging::multipart& parts) {
  if (parts.empty()) throw std::invalid_argument("decode: empty message");
  return decode<T>(parts.back());
}

/// One part holding `j` serialised as JSON text.
messaging::message encode_json(const nlohmann::json& j);
/// Parses a part as JSON. Throws nlohmann::json::parse_error on bad text.
nlohmann::json decode_json(const messaging::message& part);
/// Parses the last part of `parts` as JSON.
nlohmann::json decode_json(const messaging::multipart& parts);

}  // namespace troupe::actors
