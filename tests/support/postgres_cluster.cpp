#include "support/postgres_cluster.h"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace salesos::testing {

namespace {

// The newest server's binaries: /usr/lib/postgresql/<version>/bin.
std::string ServerBinDir() {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    if (std::filesystem::exists(e.path() / "bin" / "initdb")) {
      found.push_back(e.path().string());
    }
  }
  if (found.empty()) {
    throw std::runtime_error(
        "PostgreSQL server binaries not found under /usr/lib/postgresql (./salesos deps installs "
        "postgresql)");
  }
  std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
    return std::stoi(a.substr(a.rfind('/') + 1)) < std::stoi(b.substr(b.rfind('/') + 1));
  });
  return found.back() + "/bin";
}

// A port free right now on 127.0.0.1 (the kernel's pick).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    throw std::runtime_error("no free port for PostgreSQL");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

PostgresCluster::PostgresCluster() : bindir_(ServerBinDir()) {
  if (::geteuid() == 0) {
    const passwd* pg = ::getpwnam("postgres");
    if (pg == nullptr) {
      throw std::runtime_error("running as root but there is no postgres user to run PostgreSQL");
    }
    if (::chown(dir_.path().c_str(), pg->pw_uid, pg->pw_gid) != 0) {
      throw std::runtime_error("cannot give " + dir_.path() + " to the postgres user");
    }
    prefix_ = "runuser -u postgres -- ";
  }
  if (Run(bindir_ + "/initdb -D " + dir_.File("data") + " -A trust -U postgres > " +
          dir_.File("initdb.log") + " 2>&1") != 0) {
    throw std::runtime_error("initdb failed:\n" + ReadFile(dir_.File("initdb.log")));
  }
  // The kernel's free port may be taken before the server binds it: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreePort();
    const std::string options = "-p " + std::to_string(port_) + " -k " + dir_.path() +
                                " -c listen_addresses=127.0.0.1 -c fsync=off"
                                " -c max_connections=300";
    if (Run(bindir_ + "/pg_ctl -D " + dir_.File("data") + " -l " + dir_.File("server.log") +
            " -w -t 60 -o '" + options + "' start > /dev/null 2>&1") == 0) {
      return;
    }
  }
  throw std::runtime_error("PostgreSQL did not start:\n" + LogTail());
}

PostgresCluster::~PostgresCluster() {
  Run(bindir_ + "/pg_ctl -D " + dir_.File("data") + " -m immediate -w -t 30 stop > /dev/null 2>&1");
}

std::string PostgresCluster::Url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

void PostgresCluster::CreateDatabase(const std::string& name) {
  if (Run(bindir_ + "/createdb -h 127.0.0.1 -p " + std::to_string(port_) + " -U postgres " + name +
          " >> " + dir_.File("createdb.log") + " 2>&1") != 0) {
    throw std::runtime_error("createdb " + name + " failed:\n" +
                             ReadFile(dir_.File("createdb.log")));
  }
}

void PostgresCluster::CrashRestart() {
  if (Run(bindir_ + "/pg_ctl -D " + dir_.File("data") + " -m immediate -w -t 60 restart > " +
          dir_.File("restart.log") + " 2>&1") != 0) {
    throw std::runtime_error("PostgreSQL did not come back:\n" + ReadFile(dir_.File("restart.log")) +
                             LogTail());
  }
}

std::string PostgresCluster::LogTail(size_t lines) const {
  std::ifstream in(dir_.File("server.log"));
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(line);
    if (tail.size() > lines) {
      tail.pop_front();
    }
  }
  std::string out;
  for (const auto& l : tail) {
    out += l + "\n";
  }
  return out;
}

int PostgresCluster::Run(const std::string& command) const {
  // The postgres user's shell starts in the data dir's parent, which it owns.
  const std::string full = "cd " + dir_.path() + " && " + prefix_ + command;
  const int status = std::system(full.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace salesos::testing
