#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace salesos::testing {

// A child process started with posix_spawn; stdout and stderr go to `log_path`. The destructor
// SIGKILLs it if it still runs.
class Process {
 public:
  Process(std::vector<std::string> argv, std::string log_path,
          std::vector<std::string> extra_env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  void Signal(int sig);
  // Waits for exit up to `timeout`; the exit code (128+signal when killed), or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  const std::string& log_path() const { return log_path_; }
  // The last `n` lines of its log, for failure messages.
  std::string LogTail(size_t n = 30) const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string log_path_;
};

// Polls `condition` every few milliseconds until it holds or `timeout` passes; returns whether it
// held. The bounded wait every test uses instead of a sleep.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// The directory holding the salesos-* binaries (SALESOS_BIN_DIR, set by ctest).
std::string BinDir();

}  // namespace salesos::testing
