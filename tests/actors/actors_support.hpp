#pragma once
// Helpers of the actor tests: a runtime + context fixture, error text capture, and the
// bounded waits of the framework tests (support.hpp).

#include "support.hpp"

#include <troupe/actors/all.hpp>
#include <troupe/framework/runtime.hpp>
#include <troupe/messaging/context.hpp>

#include <doctest/doctest.h>

#include <functional>
#include <string>

namespace troupe_test {

namespace ta = troupe::actors;
namespace tm = troupe::messaging;
namespace tf = troupe::framework;

/// Two workers, as on the target machines; a context on them.
struct fixture {
  tf::runtime rt{tf::runtime_options{tf::executor_options{2}, {}}};
  tm::context ctx{rt};
};

/// The what() of the graph_error `f` throws ("" if none).
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ta::graph_error& e) {
    return e.what();
  }
  return "";
}

inline bool contains(const std::string& s, std::string_view needle) { return s.find(needle) != std::string::npos; }

/// The graph_file_error of parsing `text` as file `file` (what "" if none).
struct parse_error {
  std::string what;
  std::size_t line = 0;
  std::string pointer;
};
inline parse_error parse_error_of(const std::string& text, const std::string& file) {
  try {
    ta::graph_file::parse(text, file);
  } catch (const ta::graph_file_error& e) {
    return {e.what(), e.where.line, e.pointer};
  }
  return {};
}

}  // namespace troupe_test
