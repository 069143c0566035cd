// JSON over message parts.
#include <troupe/actors/codec.hpp>

namespace troupe::actors {

messaging::message encode_json(const nlohmann::json& j) { return messaging::message(std::string_view(j.dump())); }

nlohmann::json decode_json(const messaging::message& part) { return nlohmann::json::parse(part.view()); }

nlohmann::json decode_json(const messaging::multipart& parts) {
  if (parts.empty()) throw std::invalid_argument("decode_json: empty message");
  return decode_json(parts.back());
}

}  // namespace troupe::actors
