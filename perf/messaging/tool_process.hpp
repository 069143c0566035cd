#pragma once
// A perf tool running as a child process beside others (wire_bench starts the bind side, then
// the connect side, and may hold the latter's stdin open). Running one tool to its end, the
// tools' folder and parsing their output are the harness's (troupe/perf/tool.hpp).

#include <chrono>
#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace troupe::perf::tools {

/// One started tool. Its output is read by finish(); a process never finished is killed and
/// reaped by the destructor.
class process {
public:
  /// Starts `args` (args[0] is the path) with this process's environment plus `extra_env`
  /// ("NAME=value" entries). With `hold_stdin` its stdin is a pipe left open until
  /// close_stdin() (or finish()); otherwise it inherits ours. Throws if it cannot be started.
  explicit process(std::vector<std::string> args, std::vector<std::string> extra_env = {}, bool hold_stdin = false);
  process(const process&) = delete;
  process& operator=(const process&) = delete;
  ~process();

  /// Reads its output to the end and waits for it. Throws, naming the command, if it fails,
  /// or if it is still running after `timeout` (it is killed then).
  std::string finish(std::chrono::milliseconds timeout);
  /// Kills it now (SIGKILL); finish() then reports it failed.
  void kill() noexcept;
  /// Ends its stdin (with hold_stdin): a tool waiting for that goes on.
  void close_stdin() noexcept;

private:
  std::string command() const;

  std::vector<std::string> args_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int in_fd_ = -1;
};

}  // namespace troupe::perf::tools
