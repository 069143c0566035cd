#include "tool_process.hpp"

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

namespace troupe::perf::tools {



process::process(std::vector<std::string> args, std::vector<std::string> extra_env, bool hold_stdin)
    : args_(std::move(args)) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  int in[2] = {-1, -1};
  if (hold_stdin && ::pipe2(in, O_CLOEXEC) != 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  if (hold_stdin) posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  std::vector<char*> argv;
  for (const auto& a : args_) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  for (auto& e : extra_env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (hold_stdin) ::close(in[0]);
  if (rc != 0) {
    ::close(fds[0]);
    if (hold_stdin) ::close(in[1]);
    throw std::runtime_error("cannot start " + args_[0] + ": " + std::strerror(rc));
  }
  pid_ = pid;
  out_fd_ = fds[0];
  in_fd_ = in[1];
}

process::~process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  close_stdin();
}

void process::kill() noexcept {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
}

void process::close_stdin() noexcept {
  if (in_fd_ >= 0) ::close(in_fd_);
  in_fd_ = -1;
}

std::string process::command() const {
  std::string cmd;
  for (const auto& a : args_) cmd += (cmd.empty() ? "" : " ") + a;
  return cmd;
}

std::string process::finish(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) throw std::logic_error("process::finish called twice");
  close_stdin();
  std::string out;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{out_fd_, POLLIN, 0};
    const int n = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (n == 0) {
      timed_out = true;
      ::kill(pid_, SIGKILL);
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    char buf[4096];
    const ssize_t got = ::read(out_fd_, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  ::close(out_fd_);
  out_fd_ = -1;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (timed_out)
    throw std::runtime_error(command() + ": killed after " + std::to_string(timeout.count() / 1000) + " s: " + out);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(command() + ": failed (status " + std::to_string(status) + "): " + out);
  return out;
}



}  // namespace troupe::perf::tools
