// log::AppendJsonEscaped: the JSON string escaping of every log line.

#include "salesos/core/log.h"

#include <catch2/catch.hpp>
#include <string>

namespace salesos::log {
namespace {

std::string Escaped(std::string_view s) {
  std::string out;
  AppendJsonEscaped(out, s);
  return out;
}

TEST_CASE("json escaping leaves plain text alone and appends", "[core][log]") {
  CHECK(Escaped("") == "");
  CHECK(Escaped("hello, world 123 {}[]:/") == "hello, world 123 {}[]:/");
  std::string out = "prefix:";
  AppendJsonEscaped(out, "more");
  CHECK(out == "prefix:more");
}

TEST_CASE("json escaping escapes quotes and backslashes", "[core][log]") {
  CHECK(Escaped(R"(say "hi")") == R"(say \"hi\")");
  CHECK(Escaped(R"(C:\path\)") == R"(C:\\path\\)");
  CHECK(Escaped(R"(\")") == R"(\\\")");
}

TEST_CASE("json escaping writes control characters as escapes", "[core][log]") {
  CHECK(Escaped("a\nb") == "a\\nb");
  CHECK(Escaped("a\rb") == "a\\rb");
  CHECK(Escaped("a\tb") == "a\\tb");
  CHECK(Escaped(std::string("\x00", 1)) == "\\u0000");
  CHECK(Escaped("\x01") == "\\u0001");
  CHECK(Escaped("\x08") == "\\u0008");
  CHECK(Escaped("\x0c") == "\\u000c");
  CHECK(Escaped("\x1b[31m") == "\\u001b[31m");
  CHECK(Escaped("\x1f") == "\\u001f");
  // No raw control byte survives.
  std::string all;
  for (int c = 0; c < 0x20; ++c) {
    all += static_cast<char>(c);
  }
  std::string escaped = Escaped(all);
  for (unsigned char c : escaped) {
    CHECK(c >= 0x20);
  }
}

TEST_CASE("json escaping passes utf-8 through unchanged", "[core][log]") {
  const std::string text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac";
  CHECK(Escaped(text) == text);
  CHECK(Escaped("\x7f") == "\x7f");  // DEL is allowed unescaped in JSON
}

TEST_CASE("log levels parse by name and unknown names are refused", "[core][log]") {
  Level level = Level::kInfo;
  CHECK(ParseLevel("debug", &level));
  CHECK(level == Level::kDebug);
  CHECK(ParseLevel("error", &level));
  CHECK(level == Level::kError);
  CHECK_FALSE(ParseLevel("verbose", &level));
  CHECK(level == Level::kError);

  Init("core_test", Level::kWarn);
  CHECK_FALSE(Enabled(Level::kInfo));
  CHECK(Enabled(Level::kWarn));
  CHECK(Enabled(Level::kError));
  Init("core_test", Level::kInfo);
}

TEST_CASE("a traceparent in the log context gives its trace id and is kept for onward calls",
          "[core][log]") {
  const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  CHECK(CurrentTraceparent().empty());
  {
    ScopedLogContext outer("req-1", tp);
    CHECK(CurrentRequestId() == "req-1");
    CHECK(CurrentTraceId() == "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(CurrentTraceparent() == tp);
    {
      ScopedLogContext inner("", "just-a-trace-id");
      CHECK(CurrentRequestId().empty());
      CHECK(CurrentTraceId() == "just-a-trace-id");
      CHECK(CurrentTraceparent().empty());
    }
    CHECK(CurrentTraceparent() == tp);
    CHECK(CurrentRequestId() == "req-1");
  }
  CHECK(CurrentTraceparent().empty());
  CHECK(CurrentTraceId().empty());
}

TEST_CASE("only well-formed traceparents are taken as such", "[core][log]") {
  CHECK(IsTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  CHECK_FALSE(IsTraceparent(""));
  CHECK_FALSE(IsTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  CHECK_FALSE(IsTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  CHECK_FALSE(IsTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
  CHECK_FALSE(IsTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  CHECK_FALSE(IsTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-"));
}

}  // namespace
}  // namespace salesos::log
