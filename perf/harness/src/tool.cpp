#include <troupe/perf/tool.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace troupe::perf {

namespace fs = std::filesystem;

fs::path tool_dir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find this binary's directory: " + ec.message());
  return self.parent_path();
}

std::string run_tool(const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
  }
  std::string out;
  bool timed_out = false;
  for (;;) {
    pollfd p{fds[0], POLLIN, 0};
    const int n = ::poll(&p, 1, tool_timeout_ms);
    if (n == 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    char buf[4096];
    const ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string cmd;
  for (const auto& a : args) cmd += (cmd.empty() ? "" : " ") + a;
  if (timed_out) throw std::runtime_error(cmd + ": killed after " + std::to_string(tool_timeout_ms / 1000) + " s");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(cmd + ": failed (status " + std::to_string(status) + "): " + out);
  return out;
}

double value_of(const std::string& out, const std::string& label, const std::string& unit) {
  std::size_t pos = 0;
  while ((pos = out.find(label, pos)) != std::string::npos) {
    const std::size_t eol = out.find('\n', pos);
    const std::string line = out.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    if (line.size() >= unit.size() && line.compare(line.size() - unit.size(), unit.size(), unit) == 0)
      return std::strtod(line.c_str() + label.size(), nullptr);
    pos += label.size();
  }
  throw std::runtime_error("no '" + label + " ... " + unit + "' in the output:\n" + out);
}

side tool_side(std::string label, const fs::path& exe, std::vector<std::string> args,
               std::vector<tool_value> values) {
  std::vector<std::string> command;
  command.reserve(args.size() + 1);
  command.push_back(exe.string());
  for (auto& a : args) command.push_back(std::move(a));
  return side{std::move(label), [command = std::move(command), values = std::move(values)] {
                const std::string out = run_tool(command);
                sample s;
                for (const auto& v : values) s.push_back(value_of(out, v.label, v.unit));
                return s;
              }};
}

}  // namespace troupe::perf
