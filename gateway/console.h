#pragma once

// The web console (web/console/): static files the gateway serves at / (docs/console.md).
//
//   GET /                       index.html, every {{ASSETS}} in it replaced by /assets/<version>;
//                               Cache-Control: no-cache, so a new release is seen at once
//   GET /assets/<version>/<f>   a file, Cache-Control: immutable for a year (the version is a
//                               digest of every file, so any change makes new URLs)
//
// Every answer carries a strict Content-Security-Policy (scripts, styles and connections from this
// origin only; no inline script or style, no frames) and nosniff. The files are compiled into the
// binary (console_assets.cpp, generated from web/console/ by embed_console.cmake); --console-dir
// serves a directory instead, re-read whenever / is loaded (for working on the console).

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/beast/http.hpp>

#include "salesos/core/status.h"

namespace salesos::gateway {

struct EmbeddedFile {
  std::string_view path;  // relative to web/console, '/'-separated
  std::string_view data;
};
// The files compiled into this binary (generated).
const std::vector<EmbeddedFile>& EmbeddedConsoleFiles();

inline constexpr std::string_view kConsoleCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

class Console {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  // The embedded files; an error when index.html is missing from them.
  static Result<std::unique_ptr<Console>> Embedded();
  // The files under `dir`, read now and again whenever / is served.
  static Result<std::unique_ptr<Console>> FromDirectory(std::string dir);

  // Whether a GET or HEAD of `path` is the console's (/, /index.html, /assets/...).
  static bool Handles(std::string_view path);
  // The answer to a GET or HEAD of `path` (Handles(path) is true).
  Response Serve(const Request& req, std::string_view path) const;
  // The digest in this release's asset URLs.
  std::string version() const;

  struct Snapshot {
    std::string version;
    std::string index;  // with the asset prefix filled in
    std::unordered_map<std::string, std::string> files;  // path → bytes
  };

 private:
  explicit Console(std::string dir) : dir_(std::move(dir)) {}
  std::shared_ptr<const Snapshot> Current() const;
  std::shared_ptr<const Snapshot> Reload() const;

  std::string dir_;  // empty: embedded
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Snapshot> snapshot_;
};

// The Content-Type of a console file, by its extension.
std::string_view ConsoleContentType(std::string_view path);

}  // namespace salesos::gateway
