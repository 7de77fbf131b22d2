#pragma once

// What the C++ benchmarks share: percentiles and medians of their samples, fixed-point numbers for
// the report, a line about the machine, and the marked section of bench/RESULTS.md each one owns
// (replaced by every run, everything outside it kept).

#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace salesos::bench {

// The suite's binaries sit next to the benchmark's unless SALESOS_BIN_DIR says otherwise.
inline void UseBinariesNextTo(const std::string& argv0) {
  if (std::getenv("SALESOS_BIN_DIR") == nullptr) {
    size_t slash = argv0.rfind('/');
    setenv("SALESOS_BIN_DIR", slash == std::string::npos ? "." : argv0.substr(0, slash).c_str(), 0);
  }
}

// The p-th quantile (0..1) of the samples, nearest rank; 0 for none. Sorts `v`.
inline double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

template <typename T>
T Median(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

inline std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// "2 CPUs (AMD EPYC ...), Linux 6.1.0"
inline std::string Machine() {
  utsname u{};
  uname(&u);
  std::ifstream cpu("/proc/cpuinfo");
  std::string line, model;
  while (std::getline(cpu, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return std::to_string(std::thread::hardware_concurrency()) + " CPUs (" + model + "), " +
         u.sysname + " " + u.release;
}

// The command line of a benchmark: positive whole-number flags bound to variables ("--runs 3")
// and "--write FILE" (the results file whose marked section it replaces; empty when not given).
// Parse returns -1 to go on, else the exit code after saying why on stderr: 0 for --help, 1 for a
// bad value, 2 for anything it does not know.
class Flags {
 public:
  explicit Flags(std::string program) : program_(std::move(program)) {}

  Flags& Int(std::string name, int* value) {
    ints_.emplace_back(std::move(name), value);
    return *this;
  }

  int Parse(int argc, char** argv, std::string* write_to) {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      const bool has_value = i + 1 < argc;
      if (a == "--write" && has_value) {
        *write_to = argv[++i];
        continue;
      }
      auto it =
          std::find_if(ints_.begin(), ints_.end(), [&](const auto& f) { return f.first == a; });
      if (it == ints_.end() || !has_value) {
        std::cerr << "usage: " << program_;
        for (const auto& f : ints_) {
          std::cerr << " [" << f.first << " N]";
        }
        std::cerr << " [--write bench/RESULTS.md]\n";
        return a == "--help" || a == "-h" ? 0 : 2;
      }
      const int v = std::atoi(argv[++i]);
      if (v <= 0) {
        std::cerr << program_ << ": " << a << " must be a positive number\n";
        return 1;
      }
      *it->second = v;
    }
    return -1;
  }

 private:
  std::string program_;
  std::vector<std::pair<std::string, int*>> ints_;
};

// Replaces the section between "<!-- BEGIN <name> results -->" and its END marker in `path` with
// `markdown`, or appends it under `heading` when the file has none.
inline bool WriteMarkedSection(const std::string& path, const std::string& name,
                               const std::string& heading, const std::string& markdown) {
  const std::string begin = "<!-- BEGIN " + name + " results -->";
  const std::string end = "<!-- END " + name + " results -->";
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  size_t b = text.find(begin);
  size_t e = text.find(end);
  std::string block = begin + "\n" + markdown + end;
  if (b == std::string::npos || e == std::string::npos || e < b) {
    text += "\n" + heading + "\n\n" + block + "\n";
  } else {
    text.replace(b, e + end.size() - b, block);
  }
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace salesos::bench
