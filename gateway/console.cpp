#include "console.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "salesos/core/ids.h"
#include "salesos/crypto/hash.h"

namespace salesos::gateway {
namespace {

namespace http = boost::beast::http;
namespace fs = std::filesystem;

constexpr std::string_view kAssetsPrefix = "/assets/";
constexpr std::string_view kPlaceholder = "{{ASSETS}}";

// The snapshot of a set of files: the version digests every path and content, in path order.
Result<std::shared_ptr<const Console::Snapshot>> MakeSnapshot(
    std::map<std::string, std::string> files) {
  auto index = files.find("index.html");
  if (index == files.end()) {
    return InvalidArgument("the console has no index.html");
  }
  std::string all;
  for (const auto& [path, data] : files) {
    all += crypto::Sha256(path);
    all += crypto::Sha256(data);
  }
  auto snapshot = std::make_shared<Console::Snapshot>();
  snapshot->version = HexEncode(crypto::Sha256(all)).substr(0, 16);
  std::string prefix = "/assets/" + snapshot->version;
  std::string page = index->second;
  for (size_t at = page.find(kPlaceholder); at != std::string::npos;
       at = page.find(kPlaceholder, at + prefix.size())) {
    page.replace(at, kPlaceholder.size(), prefix);
  }
  snapshot->index = std::move(page);
  for (auto& [path, data] : files) {
    snapshot->files.emplace(path, std::move(data));
  }
  return std::shared_ptr<const Console::Snapshot>(std::move(snapshot));
}

Result<std::map<std::string, std::string>> ReadDirectory(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return InvalidArgument("'" + dir + "' is not a directory");
  }
  std::map<std::string, std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) {
      continue;
    }
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream data;
    data << in.rdbuf();
    if (!in) {
      return InvalidArgument("cannot read " + it->path().string());
    }
    files[fs::relative(it->path(), dir, ec).generic_string()] = data.str();
  }
  if (ec) {
    return InvalidArgument("cannot list '" + dir + "': " + ec.message());
  }
  return files;
}

void SecurityHeaders(Console::Response& res) {
  res.set("Content-Security-Policy", kConsoleCsp);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.set("Cross-Origin-Opener-Policy", "same-origin");
  res.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
}

Console::Response Answer(const Console::Request& req, http::status status,
                         std::string_view content_type, std::string_view cache, std::string body,
                         const std::string& etag = "") {
  Console::Response res{status, req.version()};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, cache);
  if (!etag.empty()) {
    res.set(http::field::etag, etag);
  }
  SecurityHeaders(res);
  res.keep_alive(req.keep_alive());
  if (req.method() == http::verb::head) {
    res.content_length(body.size());  // what a GET would send, and no body
  } else {
    res.body() = std::move(body);
    res.prepare_payload();
  }
  return res;
}

Console::Response NotFoundAnswer(const Console::Request& req, std::string_view what) {
  return Answer(req, http::status::not_found, "application/json", "no-store",
                "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no console file " +
                    std::string(what.substr(0, 200)) + "\",\"details\":[]}}");
}

// Whether If-None-Match names `etag` (a list, or *).
bool Matches(const Console::Request& req, const std::string& etag) {
  auto it = req.find(http::field::if_none_match);
  if (it == req.end()) {
    return false;
  }
  std::string_view v = it->value();
  return v == "*" || v.find(etag) != std::string_view::npos;
}

}  // namespace

std::string_view ConsoleContentType(std::string_view path) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},     {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},                  {".png", "image/png"},
      {".json", "application/json"},              {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},      {".ico", "image/x-icon"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext) {
      return type;
    }
  }
  return "application/octet-stream";
}

Result<std::unique_ptr<Console>> Console::Embedded() {
  std::map<std::string, std::string> files;
  for (const auto& f : EmbeddedConsoleFiles()) {
    files.emplace(std::string(f.path), std::string(f.data));
  }
  auto snapshot = MakeSnapshot(std::move(files));
  if (!snapshot.ok()) {
    return snapshot.status();
  }
  std::unique_ptr<Console> console(new Console(""));
  console->snapshot_ = *snapshot;
  return console;
}

Result<std::unique_ptr<Console>> Console::FromDirectory(std::string dir) {
  auto files = ReadDirectory(dir);
  if (!files.ok()) {
    return files.status();
  }
  auto snapshot = MakeSnapshot(std::move(files).value());
  if (!snapshot.ok()) {
    return snapshot.status();
  }
  std::unique_ptr<Console> console(new Console(std::move(dir)));
  console->snapshot_ = *snapshot;
  return console;
}

bool Console::Handles(std::string_view path) {
  return path == "/" || path == "/index.html" || path.starts_with(kAssetsPrefix);
}

std::string Console::version() const { return Current()->version; }

std::shared_ptr<const Console::Snapshot> Console::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

std::shared_ptr<const Console::Snapshot> Console::Reload() const {
  if (dir_.empty()) {
    return Current();
  }
  auto files = ReadDirectory(dir_);
  if (files.ok()) {
    auto snapshot = MakeSnapshot(std::move(files).value());
    if (snapshot.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      snapshot_ = *snapshot;
    }
  }
  return Current();  // a broken edit keeps serving the last good files
}

Console::Response Console::Serve(const Request& req, std::string_view path) const {
  if (path == "/" || path == "/index.html") {
    auto snapshot = Reload();
    return Answer(req, http::status::ok, "text/html; charset=utf-8", "no-cache", snapshot->index);
  }
  auto snapshot = Current();
  std::string_view rest = path.substr(kAssetsPrefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || rest.substr(0, slash) != snapshot->version) {
    // An older (or newer) release's URL: the page that asked must reload to get this one's.
    return NotFoundAnswer(req, path);
  }
  std::string file(rest.substr(slash + 1));
  auto it = snapshot->files.find(file);
  if (it == snapshot->files.end() || file == "index.html") {
    return NotFoundAnswer(req, path);
  }
  const std::string etag = "\"" + snapshot->version + "\"";
  constexpr std::string_view kForever = "public, max-age=31536000, immutable";
  if (Matches(req, etag)) {
    Response res{http::status::not_modified, req.version()};
    res.set(http::field::etag, etag);
    res.set(http::field::cache_control, kForever);
    res.keep_alive(req.keep_alive());
    return res;
  }
  return Answer(req, http::status::ok, ConsoleContentType(file), kForever, it->second, etag);
}

}  // namespace salesos::gateway
