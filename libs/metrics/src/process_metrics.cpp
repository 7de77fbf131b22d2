#include "salesos/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace salesos::metrics {
namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The fields of /proc/self/stat after the command name (which may hold spaces and parentheses):
// fields[0] is field 3 (state) of proc(5).
std::vector<std::string> StatFields() {
  std::string stat = ReadFile("/proc/self/stat");
  size_t close = stat.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) {
    return fields;
  }
  std::istringstream in(stat.substr(close + 1));
  std::string f;
  while (in >> f) {
    fields.push_back(f);
  }
  return fields;
}

// proc(5) field n (1-based) from StatFields.
double StatField(const std::vector<std::string>& fields, size_t n) {
  if (n < 3 || n - 3 >= fields.size()) {
    return 0;
  }
  return std::strtod(fields[n - 3].c_str(), nullptr);
}

double BootTimeSeconds() {
  std::istringstream in(ReadFile("/proc/stat"));
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

double OpenFds() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) {
    return 0;
  }
  double n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') {
      ++n;
    }
  }
  closedir(d);
  return n - 1;  // the directory being read
}

std::vector<Sample> One(double v) { return {Sample{{}, v}}; }

}  // namespace

void RegisterProcessMetrics(Registry& registry) {
  static std::mutex mu;
  static std::set<Registry*> done;
  static auto* handles = new std::vector<CollectorHandle>();
  std::lock_guard lock(mu);
  if (!done.insert(&registry).second) {
    return;
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  handles->push_back(registry.AddCollector(
      "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
      Kind::kCounter, {}, [ticks] {
        auto f = StatFields();
        return One((StatField(f, 14) + StatField(f, 15)) / ticks);
      }));
  handles->push_back(registry.AddCollector(
      "process_resident_memory_bytes", "Resident memory size in bytes.", Kind::kGauge, {},
      [page] { return One(StatField(StatFields(), 24) * page); }));
  handles->push_back(registry.AddCollector("process_virtual_memory_bytes",
                                           "Virtual memory size in bytes.", Kind::kGauge, {},
                                           [] { return One(StatField(StatFields(), 23)); }));
  handles->push_back(registry.AddCollector("process_open_fds",
                                           "Number of open file descriptors.", Kind::kGauge, {},
                                           [] { return One(OpenFds()); }));
  handles->push_back(registry.AddCollector(
      "process_max_fds", "Maximum number of open file descriptors.", Kind::kGauge, {}, [] {
        rlimit rl{};
        getrlimit(RLIMIT_NOFILE, &rl);
        return One(static_cast<double>(rl.rlim_cur));
      }));
  const double start = BootTimeSeconds() + StatField(StatFields(), 22) / ticks;
  handles->push_back(registry.AddCollector(
      "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
      Kind::kGauge, {}, [start] { return One(start); }));
}

}  // namespace salesos::metrics
