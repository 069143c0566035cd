#pragma once
// The (un)subscription message of RFC 29 as it travels through pipes: one byte 0x01
// (subscribe) or 0x00 (unsubscribe), then the topic prefix. SUB/XSUB write it, XPUB/PUB read
// it, and the wire engine turns it into SUBSCRIBE/CANCEL commands for ZMTP 3.1 peers and back.

#include <troupe/messaging/message.hpp>

#include <cstring>
#include <string_view>

namespace troupe::messaging::internal {

/// A message whose first byte says subscribe (1) or unsubscribe (0).
inline bool is_subscription(const message& m) noexcept {
  return !m.empty() && (m.data()[0] == std::byte{0} || m.data()[0] == std::byte{1});
}

/// True for a subscribe, false for an unsubscribe (call after is_subscription()).
inline bool subscribes(const message& m) noexcept { return m.data()[0] == std::byte{1}; }

/// The topic prefix of a subscription message.
inline std::string_view subscription_topic(const message& m) noexcept {
  return {reinterpret_cast<const char*>(m.data()) + 1, m.size() - 1};
}

/// Builds a subscribe (`subscribe` true) or unsubscribe message for `topic`.
inline message make_subscription(bool subscribe, std::string_view topic) {
  message m(topic.size() + 1);
  m.data()[0] = subscribe ? std::byte{1} : std::byte{0};
  if (!topic.empty()) std::memcpy(m.data() + 1, topic.data(), topic.size());
  return m;
}

}  // namespace troupe::messaging::internal
