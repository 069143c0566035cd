#include "transport/pgm.hpp"

#include "pgm/engine.hpp"

namespace troupe::messaging::internal {
namespace {

void open(socket_base& s, std::string_view endpoint, std::string_view address, bool udp, bool bound) {
  auto e = pgm::engine::start(s, std::string(endpoint), address, udp, bound);
  s.add_endpoint_object(std::string(endpoint), framework::ref_ptr<endpoint_object>(new pgm::endpoint(std::move(e))));
}

}  // namespace

std::string pgm_bind(socket_base& s, std::string_view endpoint, std::string_view address) {
  open(s, endpoint, address, false, true);
  return std::string(endpoint);
}

void pgm_connect(socket_base& s, std::string_view endpoint, std::string_view address) {
  open(s, endpoint, address, false, false);
}

std::string epgm_bind(socket_base& s, std::string_view endpoint, std::string_view address) {
  open(s, endpoint, address, true, true);
  return std::string(endpoint);
}

void epgm_connect(socket_base& s, std::string_view endpoint, std::string_view address) {
  open(s, endpoint, address, true, false);
}

}  // namespace troupe::messaging::internal
