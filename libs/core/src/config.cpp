#include "salesos/core/config.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

namespace salesos {

std::string Config::EnvName(std::string_view flag) {
  std::string env = "SALESOS_";
  for (char c : flag) {
    env += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return env;
}

namespace {
// A secret setting `x` also takes `x-file`: the path of a file holding its value (a mounted
// Kubernetes or compose secret), so the value need not sit in the environment.
constexpr std::string_view kFileSuffix = "-file";

// The file's content without one trailing newline (echo and most secret tools add one).
Result<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return InvalidArgument("cannot read " + path + ": " + std::strerror(errno));
  }
  std::string value((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!value.empty() && value.back() == '\n') {
    value.pop_back();
    if (!value.empty() && value.back() == '\r') {
      value.pop_back();
    }
  }
  return value;
}
}  // namespace

void Config::Add(std::string flag, std::string default_value, std::string help, bool secret) {
  if (!settings_.count(flag)) {
    order_.push_back(flag);
  }
  settings_[flag] = Setting{default_value, default_value, std::move(help), secret};
  if (secret) {
    std::string file = flag + std::string(kFileSuffix);
    if (!settings_.count(file)) {
      order_.push_back(file);
    }
    settings_[file] = Setting{"", "",
                              "a file holding --" + flag + "'s value, read from this file instead " +
                                  "(a mounted secret; one trailing newline is dropped)",
                              false};
  }
}

Status Config::Parse(int argc, const char* const* argv) {
  for (auto& [name, s] : settings_) {
    if (const char* env = std::getenv(EnvName(name).c_str()); env != nullptr) {
      s.value = env;
      s.source = "env";
    }
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      return {Code::kCancelled, Help()};
    }
    if (arg.substr(0, 2) != "--") {
      return InvalidArgument("unexpected argument '" + std::string(arg) + "' (settings are --name=value)");
    }
    arg.remove_prefix(2);
    std::string name, value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else {
      name = arg;
      if (i + 1 >= argc) {
        return InvalidArgument("--" + name + " needs a value");
      }
      value = argv[++i];
    }
    auto it = settings_.find(name);
    if (it == settings_.end()) {
      return InvalidArgument("unknown setting --" + name + " (see --help)");
    }
    it->second.value = value;
    it->second.source = "flag";
  }
  // A secret given as a file: read it now, so a bad path stops the start, naming the setting.
  for (auto& [name, s] : settings_) {
    if (!s.secret) {
      continue;
    }
    const std::string file_setting = name + std::string(kFileSuffix);
    const Setting& file = settings_.at(file_setting);
    if (file.value.empty()) {
      continue;
    }
    if (s.source != "default") {
      return InvalidArgument("--" + name + " (" + EnvName(name) + ") and --" + file_setting + " (" +
                             EnvName(file_setting) + ") are both set; set one");
    }
    auto value = ReadSecretFile(file.value);
    if (!value.ok()) {
      return InvalidArgument("--" + file_setting + " (" + EnvName(file_setting) +
                             "): " + value.status().message());
    }
    s.value = std::move(*value);
    s.source = "file";
  }
  return OkStatus();
}

void Config::ParseOrExit(int argc, const char* const* argv) {
  Status st = Parse(argc, argv);
  if (st.code() == Code::kCancelled) {
    std::cout << st.message();
    std::exit(0);
  }
  if (!st.ok()) {
    std::cerr << program_ << ": bad configuration: " << st.message() << "\n";
    std::exit(2);
  }
}

const std::string& Config::Get(std::string_view flag) const {
  auto it = settings_.find(flag);
  if (it == settings_.end()) {
    std::cerr << program_ << ": internal error: setting --" << flag << " was never declared\n";
    std::abort();
  }
  return it->second.value;
}

int64_t Config::GetInt(std::string_view flag) const {
  const std::string& v = Get(flag);
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size()) {
    std::cerr << program_ << ": bad configuration: --" << flag << " (" << EnvName(flag)
              << ") must be a whole number, got '" << v << "'\n";
    std::exit(2);
  }
  return out;
}

bool Config::GetBool(std::string_view flag) const {
  const std::string& v = Get(flag);
  if (v == "1" || v == "true" || v == "yes" || v == "on") {
    return true;
  }
  if (v.empty() || v == "0" || v == "false" || v == "no" || v == "off") {
    return false;
  }
  std::cerr << program_ << ": bad configuration: --" << flag << " (" << EnvName(flag)
            << ") must be true or false, got '" << v << "'\n";
  std::exit(2);
}

namespace {
std::string Mask(const std::string& v) {
  if (v.empty()) {
    return "";
  }
  return "****";
}
// postgresql://user:password@host/db → postgresql://user:****@host/db
std::string MaskUrlPassword(const std::string& v) {
  auto scheme = v.find("://");
  auto at = v.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) {
    return v;
  }
  auto colon = v.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) {
    return v;
  }
  return v.substr(0, colon + 1) + "****" + v.substr(at);
}
// ...?db=2&password=secret → ...?db=2&password=****: libpq and the Redis client both take the
// password as a query parameter too.
std::string MaskQueryPassword(std::string v) {
  constexpr std::string_view kParam = "password=";
  auto query = v.find('?');
  if (v.find("://") == std::string::npos || query == std::string::npos) {
    return v;
  }
  for (size_t pos = query + 1; pos < v.size();) {
    size_t end = v.find('&', pos);
    if (end == std::string::npos) {
      end = v.size();
    }
    if (v.compare(pos, kParam.size(), kParam) == 0 && end > pos + kParam.size()) {
      v.replace(pos + kParam.size(), end - pos - kParam.size(), "****");
      end = pos + kParam.size() + 4;
    }
    pos = end + 1;
  }
  return v;
}
}  // namespace

std::string Config::Describe() const {
  std::string out;
  for (const auto& name : order_) {
    const Setting& s = settings_.at(name);
    if (!out.empty()) {
      out += ' ';
    }
    out += name + "=" + (s.secret ? Mask(s.value) : MaskQueryPassword(MaskUrlPassword(s.value)));
  }
  return out;
}

std::string Config::Help() const {
  std::string out = "usage: " + program_ + " [--setting=value ...]\n\nsettings (flag, environment, default):\n";
  for (const auto& name : order_) {
    const Setting& s = settings_.at(name);
    out += "  --" + name + "  " + EnvName(name) + "  [" + (s.secret ? Mask(s.default_value) : s.default_value) +
           "]\n      " + s.help + "\n";
  }
  return out;
}

Result<HostPort> ParseHostPort(std::string_view value, std::string_view setting) {
  auto colon = value.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument(std::string(setting) + " must be host:port, got '" + std::string(value) + "'");
  }
  HostPort hp;
  hp.host = std::string(value.substr(0, colon));
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  auto port_str = value.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_str.data(), port_str.data() + port_str.size(), port);
  if (ec != std::errc() || ptr != port_str.data() + port_str.size() || port > 65535) {
    return InvalidArgument(std::string(setting) + " has a bad port in '" + std::string(value) + "'");
  }
  hp.port = static_cast<uint16_t>(port);
  return hp;
}

}  // namespace salesos
