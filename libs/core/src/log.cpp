#include "salesos/core/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "salesos/core/time.h"

namespace salesos::log {
namespace {

std::string g_service = "salesos";
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
thread_local std::string t_request_id;
thread_local std::string t_trace_id;
thread_local std::string t_traceparent;

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

void WriteAll(const std::string& data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) {
      break;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// Lines are appended to a buffer that a background thread writes out, so a busy process (the
// gateway's access log) makes one write(2) per batch instead of one per line. Warnings and errors,
// and any line when the buffer is large, are written before Write returns.
class Sink {
 public:
  static Sink& Get() {
    static Sink* sink = [] {
      auto* s = new Sink();
      std::atexit([] { Get().Flush(); });
      return s;
    }();
    return *sink;
  }

  void Append(std::string&& line, bool urgent) {
    std::unique_lock lock(mu_);
    bool was_empty = buffer_.empty();
    buffer_ += line;
    if (urgent || buffer_.size() >= kMaxBuffered) {
      FlushLocked(lock);
      return;
    }
    if (!started_) {
      started_ = true;
      std::thread([this] { Run(); }).detach();
    }
    // Wake the writer for the first line of a batch and when a batch is full; lines in between
    // ride along, so a busy process wakes it about once per kBatchWindow.
    if (was_empty || buffer_.size() >= kBatchBytes) {
      cv_.notify_one();
    }
  }

  void Flush() {
    std::unique_lock lock(mu_);
    FlushLocked(lock);
  }

 private:
  static constexpr size_t kMaxBuffered = 256 * 1024;
  static constexpr size_t kBatchBytes = 64 * 1024;
  static constexpr std::chrono::milliseconds kBatchWindow{5};

  // Writes under write_mu_ so that lines keep their order; appenders wait only while it writes.
  void FlushLocked(std::unique_lock<std::mutex>& lock) {
    std::string out;
    out.swap(buffer_);
    std::lock_guard write_lock(write_mu_);
    lock.unlock();
    if (!out.empty()) {
      WriteAll(out);
    }
  }

  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return !buffer_.empty(); });
      cv_.wait_for(lock, kBatchWindow, [this] { return buffer_.size() >= kBatchBytes; });
      FlushLocked(lock);
      lock.lock();
    }
  }

  std::mutex mu_;
  std::mutex write_mu_;
  std::condition_variable cv_;
  std::string buffer_;
  bool started_ = false;
};

void AppendKey(std::string& out, std::string_view key) {
  out += ",\"";
  AppendJsonEscaped(out, key);
  out += "\":";
}

}  // namespace

void Init(std::string service, Level level) {
  g_service = std::move(service);
  g_level = static_cast<int>(level);
}

bool ParseLevel(std::string_view name, Level* out) {
  if (name == "debug") { *out = Level::kDebug; return true; }
  if (name == "info") { *out = Level::kInfo; return true; }
  if (name == "warn") { *out = Level::kWarn; return true; }
  if (name == "error") { *out = Level::kError; return true; }
  return false;
}

bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void AppendJsonEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
}

void Write(Level level, std::string_view msg, Fields fields) {
  if (!Enabled(level)) {
    return;
  }
  std::string line;
  line.reserve(256);
  line += "{\"ts\":\"";
  line += FormatRfc3339Millis(NowUnixMillis());
  line += "\",\"level\":\"";
  line += LevelName(level);
  line += "\",\"service\":\"";
  AppendJsonEscaped(line, g_service);
  line += "\",\"msg\":\"";
  AppendJsonEscaped(line, msg);
  line += '"';
  if (!t_request_id.empty()) {
    line += ",\"requestId\":\"";
    AppendJsonEscaped(line, t_request_id);
    line += '"';
  }
  if (!t_trace_id.empty()) {
    line += ",\"traceId\":\"";
    AppendJsonEscaped(line, t_trace_id);
    line += '"';
  }
  for (const Field& f : fields) {
    AppendKey(line, f.key);
    std::visit(
        [&line](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            line += '"';
            AppendJsonEscaped(line, v);
            line += '"';
          } else if constexpr (std::is_same_v<T, bool>) {
            line += v ? "true" : "false";
          } else if constexpr (std::is_same_v<T, int64_t>) {
            line += std::to_string(v);
          } else {
            char buf[32];
            auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
            line.append(buf, ec == std::errc() ? p : buf);
          }
        },
        f.value);
  }
  line += "}\n";
  Sink::Get().Append(std::move(line), level >= Level::kWarn);
}

void Flush() { Sink::Get().Flush(); }

bool IsTraceparent(std::string_view v) {
  if (v.size() != 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') {
    return false;
  }
  auto is_hex = [](std::string_view s) {
    return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  };
  auto all_zero = [](std::string_view s) {
    return s.find_first_not_of('0') == std::string_view::npos;
  };
  std::string_view version = v.substr(0, 2), trace_id = v.substr(3, 32),
                   parent_id = v.substr(36, 16), flags = v.substr(53, 2);
  return is_hex(version) && version != "ff" && is_hex(trace_id) && !all_zero(trace_id) &&
         is_hex(parent_id) && !all_zero(parent_id) && is_hex(flags);
}

ScopedLogContext::ScopedLogContext(std::string request_id, std::string trace)
    : prev_request_id_(std::move(t_request_id)),
      prev_trace_id_(std::move(t_trace_id)),
      prev_traceparent_(std::move(t_traceparent)) {
  t_request_id = std::move(request_id);
  if (IsTraceparent(trace)) {
    t_trace_id = trace.substr(3, 32);
    t_traceparent = std::move(trace);
  } else {
    t_trace_id = std::move(trace);
    t_traceparent.clear();
  }
}

ScopedLogContext::~ScopedLogContext() {
  t_request_id = std::move(prev_request_id_);
  t_trace_id = std::move(prev_trace_id_);
  t_traceparent = std::move(prev_traceparent_);
}

const std::string& CurrentRequestId() { return t_request_id; }
const std::string& CurrentTraceId() { return t_trace_id; }
const std::string& CurrentTraceparent() { return t_traceparent; }

}  // namespace salesos::log
