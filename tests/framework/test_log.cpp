// log: a replaceable process-wide sink, a level filter, exceptions logged with their message.

#include "support.hpp"

#include <troupe/framework/log.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace troupe::framework;
using namespace troupe_test;

namespace {

// Restores the default level however a test ends.
struct level_guard {
  ~level_guard() { set_log_level(log_level::info); }
};

// Runs `f` with stderr redirected to a temporary file; returns what was written.
template <class F>
std::string capture_stderr(F&& f) {
  std::fflush(stderr);
  std::FILE* tmp = std::tmpfile();
  REQUIRE(tmp != nullptr);
  const int saved = ::dup(2);
  ::dup2(::fileno(tmp), 2);
  f();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::string out;
  std::rewind(tmp);
  char buf[512];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, tmp)) > 0;) out.append(buf, n);
  std::fclose(tmp);
  return out;
}

}  // namespace

TEST_SUITE("log") {

TEST_CASE("a sink receives every line with its level and text") {
  log_capture logs;
  log(log_level::error, "first line");
  log(log_level::warning, "second line");
  const auto lines = logs.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].level == log_level::error);
  CHECK(lines[0].text == "first line");
  CHECK(lines[1].level == log_level::warning);
  CHECK(lines[1].text == "second line");
}

TEST_CASE("set_log_sink returns the previous sink and nullptr restores the default") {
  auto a = std::make_shared<std::atomic<int>>(0);
  auto b = std::make_shared<std::atomic<int>>(0);
  auto original = set_log_sink([a](log_level, std::string_view) { a->fetch_add(1); });
  auto prev = set_log_sink([b](log_level, std::string_view) { b->fetch_add(1); });
  REQUIRE(prev);
  log(log_level::info, "to b");
  prev(log_level::info, "to a, through the returned sink");
  CHECK(a->load() == 1);
  CHECK(b->load() == 1);

  set_log_sink(nullptr);
  const auto out = capture_stderr([] { log(log_level::error, "default-sink-line"); });
  CHECK(a->load() == 1);
  CHECK(b->load() == 1);
  CAPTURE(out);
  CHECK(out.find("troupe error: default-sink-line") != std::string::npos);
  set_log_sink(std::move(original));
}

TEST_CASE("lines below the level are dropped") {
  level_guard restore;
  log_capture logs;
  CHECK_FALSE(log_enabled(log_level::debug));  // default: info
  CHECK(log_enabled(log_level::info));
  log(log_level::debug, "dropped");
  CHECK(logs.size() == 0);

  set_log_level(log_level::warning);
  CHECK_FALSE(log_enabled(log_level::info));
  CHECK(log_enabled(log_level::warning));
  CHECK(log_enabled(log_level::error));
  log(log_level::info, "dropped too");
  log(log_level::warning, "kept");
  const auto lines = logs.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].text == "kept");

  set_log_level(log_level::debug);
  log(log_level::debug, "now kept");
  CHECK(logs.size() == 2);
}

TEST_CASE("log_exception names where and what at error level") {
  log_capture logs;
  log_exception("the-place", std::make_exception_ptr(std::runtime_error("the-reason")));
  log_exception("other-place", std::make_exception_ptr(7));  // not a std::exception
  const auto lines = logs.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].level == log_level::error);
  CHECK(lines[0].text.find("the-place") != std::string::npos);
  CHECK(lines[0].text.find("the-reason") != std::string::npos);
  CHECK(lines[1].level == log_level::error);
  CHECK(lines[1].text.find("other-place") != std::string::npos);
}

TEST_CASE("logging from many threads while the sink is swapped loses no line") {
  auto a = std::make_shared<std::atomic<int>>(0);
  auto b = std::make_shared<std::atomic<int>>(0);
  const log_sink to_a = [a](log_level, std::string_view) { a->fetch_add(1); };
  const log_sink to_b = [b](log_level, std::string_view) { b->fetch_add(1); };
  auto original = set_log_sink(to_a);

  constexpr int threads = 4, per_thread = 2000;
  std::atomic<bool> logging{true};
  std::thread swapper([&] {
    for (int i = 0; logging.load(); ++i) set_log_sink(i % 2 ? to_a : to_b);
  });
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([] {
      for (int i = 0; i < per_thread; ++i) log(log_level::info, "line");
    });
  for (auto& t : ts) t.join();
  logging = false;
  swapper.join();
  set_log_sink(std::move(original));
  CHECK(a->load() + b->load() == threads * per_thread);
}

}  // TEST_SUITE
