#pragma once
// Control messages of distributed graphs: one frame of JSON each, versioned (node.hpp).

#include <troupe/actors/node.hpp>
#include <troupe/messaging/message.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace troupe::actors::internal {

/// A control connection silent for this many heartbeat intervals (plus one) is closed, and
/// its node lost. Generous: a process starved of CPU (a loaded host, a sanitizer build) must
/// not pass for a hung one; a process that ends closes its connections, noticed at once.
inline constexpr int heartbeat_timeout_intervals = 10;

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

/// Adds the counters `v` of one place an actor ran in (it moved: several) to `all`: messages
/// in and out add up, the rest is taken from the place it runs in now (`current`).
inline void merge_counters(nlohmann::json& all, const std::string& actor, nlohmann::json v, bool current) {
  if (!all.contains(actor)) {
    all[actor] = std::move(v);
    return;
  }
  nlohmann::json& x = all[actor];
  const std::uint64_t in = x.value("in", std::uint64_t{0}) + v.value("in", std::uint64_t{0});
  const std::uint64_t out = x.value("out", std::uint64_t{0}) + v.value("out", std::uint64_t{0});
  if (current) x = std::move(v);
  x["in"] = in;
  x["out"] = out;
}

}  // namespace troupe::actors::internal
