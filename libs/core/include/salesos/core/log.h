#pragma once

// JSON-line logging: one object a line on stderr,
//   {"ts":"2026-11-21T06:30:00.123Z","level":"info","service":"auth","msg":"...","requestId":"...",...}
// Thread-safe; lines never interleave. Info and debug lines are written in batches by a
// background thread (within milliseconds); warnings and errors before Write returns; Flush() and
// normal exit write whatever is pending. Request and trace
// ids set with a ScopedLogContext on the current thread are added to every line written there.
// Never pass a password, token or key as a field.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace salesos::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

using Value = std::variant<std::string_view, int64_t, double, bool>;
struct Field {
  std::string_view key;
  Value value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, int v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(std::string_view k, int64_t v) : key(k), value(v) {}
  Field(std::string_view k, uint64_t v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
};
using Fields = std::initializer_list<Field>;

void Init(std::string service, Level level);
// "debug" | "info" | "warn" | "error"; false when unknown.
bool ParseLevel(std::string_view name, Level* out);
bool Enabled(Level level);

void Write(Level level, std::string_view msg, Fields fields = {});
// Writes every pending line now (before exiting, before a deliberate crash).
void Flush();

inline void Debug(std::string_view msg, Fields f = {}) { Write(Level::kDebug, msg, f); }
inline void Info(std::string_view msg, Fields f = {}) { Write(Level::kInfo, msg, f); }
inline void Warn(std::string_view msg, Fields f = {}) { Write(Level::kWarn, msg, f); }
inline void Error(std::string_view msg, Fields f = {}) { Write(Level::kError, msg, f); }

// Appends `s` to `out` as JSON string content (no quotes), escaping as RFC 8259 requires.
void AppendJsonEscaped(std::string& out, std::string_view s);

// Sets the request id and trace for log lines written on this thread until destroyed. `trace`
// is a W3C traceparent ("00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>"): lines carry its
// trace id as "traceId", and CurrentTraceparent() returns it, so calls made from here pass it on
// (rpc::PrepareContext, EventPublisher). Anything else non-empty is taken as a bare trace id: it
// is logged, but there is no traceparent to pass on.
class ScopedLogContext {
 public:
  ScopedLogContext(std::string request_id, std::string trace);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  std::string prev_request_id_;
  std::string prev_trace_id_;
  std::string prev_traceparent_;
};

// The context of this thread (empty outside any ScopedLogContext).
const std::string& CurrentRequestId();
const std::string& CurrentTraceId();
const std::string& CurrentTraceparent();

// Whether `v` is a well-formed W3C traceparent (version 00 layout, lower-case hex, ids not all
// zero).
bool IsTraceparent(std::string_view v);

}  // namespace salesos::log
