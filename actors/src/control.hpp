#pragma once
// Control messages of distributed graphs: one frame of JSON each, versioned (node.hpp).

#include <troupe/actors/node.hpp>
#include <troupe/messaging/message.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace troupe::actors::internal {

/// A control connection silent for this many heartbeat intervals is closed (HEARTBEAT_TIMEOUT).
/// Generous on purpose: a process that died closes its connection at once, so the timeout only
/// decides how long a stalled one is waited for, and under AddressSanitizer on a loaded
/// 2-core machine a busy node was seen silent for 2 s.
inline constexpr int heartbeat_timeout_intervals = 5;

inline messaging::message control_frame(nlohmann::json j) {
  j["v"] = control_version;
  return messaging::message(std::string_view(j.dump()));
}

/// The JSON of a control frame, or an "error" object saying why it is not one.
inline nlohmann::json parse_control(const messaging::message& m) {
  nlohmann::json j = nlohmann::json::parse(m.view(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {{"bad", "not a JSON object"}};
  if (j.value("v", 0) != control_version)
    return {{"bad", "control version " + j.value("v", nlohmann::json(0)).dump() + ", this troupe speaks " +
                        std::to_string(control_version)}};
  return j;
}

}  // namespace troupe::actors::internal
