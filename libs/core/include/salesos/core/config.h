#pragma once

// Config: the settings of one binary. Each setting is a flag (--http-addr=VALUE or --http-addr VALUE)
// with an environment fallback (SALESOS_HTTP_ADDR) and a default. Flags win over the environment.
// Not thread-safe while settings are being declared or parsed; read-only (and so shareable) after.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/core/status.h"

namespace salesos {

class Config {
 public:
  explicit Config(std::string program) : program_(std::move(program)) {}

  // Declares a setting named `flag` (e.g. "http-addr"); its env name is SALESOS_ + upper snake case.
  // A secret is masked when printed, and also declares `<flag>-file` (SALESOS_<FLAG>_FILE): a file
  // its value is read from at Parse (one trailing newline dropped), so it need not be in the
  // environment. Both forms set, or a file that cannot be read, is a Parse error naming them.
  void Add(std::string flag, std::string default_value, std::string help, bool secret = false);

  // Reads argv then the environment. "--help" prints the settings and returns a kCancelled status.
  Status Parse(int argc, const char* const* argv);

  // Parse, and on error print one line naming the setting to stderr and exit(2); exit(0) on --help.
  void ParseOrExit(int argc, const char* const* argv);

  const std::string& Get(std::string_view flag) const;
  // The value as an integer; exits(2) naming the setting when it is not one.
  int64_t GetInt(std::string_view flag) const;
  bool GetBool(std::string_view flag) const;

  // "name=value" for every setting, secrets masked: printed at start-up.
  std::string Describe() const;
  std::string Help() const;
  static std::string EnvName(std::string_view flag);

 private:
  struct Setting {
    std::string value;
    std::string default_value;
    std::string help;
    bool secret = false;
    std::string source = "default";
  };
  std::string program_;
  std::map<std::string, Setting, std::less<>> settings_;
  std::vector<std::string> order_;
};

// "host:port" split; kInvalidArgument naming `setting` when malformed.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
Result<HostPort> ParseHostPort(std::string_view value, std::string_view setting);

}  // namespace salesos
