#include "console.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "support/temp_dir.h"

namespace salesos::gateway {
namespace {

namespace http = boost::beast::http;
using salesos::testing::TempDir;

void Write(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

Console::Request Get(const std::string& target, http::verb verb = http::verb::get) {
  Console::Request req{verb, target, 11};
  req.keep_alive(true);
  return req;
}

// A console directory: index.html naming its assets, a module and a stylesheet.
struct ConsoleDir {
  TempDir dir;
  ConsoleDir() {
    Write(dir.File("index.html"),
          "<script type=\"module\" src=\"{{ASSETS}}/js/app.js\"></script>"
          "<link rel=\"stylesheet\" href=\"{{ASSETS}}/css/base.css\">");
    Write(dir.File("js/app.js"), "import './api.js';\n");
    Write(dir.File("js/api.js"), "export const x = 1;\n");
    Write(dir.File("css/base.css"), "body { margin: 0 }\n");
  }
};

void ExpectSecurityHeaders(const Console::Response& res) {
  CHECK(res[http::field::content_type].size() > 0);
  CHECK(std::string(res["Content-Security-Policy"]) == std::string(kConsoleCsp));
  CHECK(std::string(res["X-Content-Type-Options"]) == "nosniff");
  CHECK(std::string(res["X-Frame-Options"]) == "DENY");
  CHECK(std::string(res["Referrer-Policy"]) == "no-referrer");
}

}  // namespace

TEST_CASE("the console's page names its assets under the release's digest and is never cached",
          "[console]") {
  ConsoleDir d;
  auto console = Console::FromDirectory(d.dir.path());
  REQUIRE(console.ok());
  const std::string version = (*console)->version();
  REQUIRE(version.size() == 16);
  for (const std::string target : {"/", "/index.html"}) {
    Console::Response res = (*console)->Serve(Get(target), target);
    CHECK(res.result() == http::status::ok);
    CHECK(std::string(res[http::field::content_type]) == "text/html; charset=utf-8");
    CHECK(std::string(res[http::field::cache_control]) == "no-cache");
    ExpectSecurityHeaders(res);
    CHECK(res.body().find("{{ASSETS}}") == std::string::npos);
    CHECK(res.body().find("src=\"/assets/" + version + "/js/app.js\"") != std::string::npos);
    CHECK(res.body().find("href=\"/assets/" + version + "/css/base.css\"") != std::string::npos);
  }
}

TEST_CASE("console assets have their content types and are cached for good, 304 on a match",
          "[console]") {
  ConsoleDir d;
  auto console = Console::FromDirectory(d.dir.path());
  REQUIRE(console.ok());
  const std::string base = "/assets/" + (*console)->version();
  Console::Response js = (*console)->Serve(Get(base + "/js/api.js"), base + "/js/api.js");
  CHECK(js.result() == http::status::ok);
  CHECK(std::string(js[http::field::content_type]) == "text/javascript; charset=utf-8");
  CHECK(std::string(js[http::field::cache_control]) == "public, max-age=31536000, immutable");
  CHECK(js.body() == "export const x = 1;\n");
  ExpectSecurityHeaders(js);
  Console::Response css = (*console)->Serve(Get(base + "/css/base.css"), base + "/css/base.css");
  CHECK(std::string(css[http::field::content_type]) == "text/css; charset=utf-8");

  Console::Request again = Get(base + "/js/api.js");
  again.set(http::field::if_none_match, std::string(js[http::field::etag]));
  Console::Response cached = (*console)->Serve(again, base + "/js/api.js");
  CHECK(cached.result() == http::status::not_modified);
  CHECK(cached.body().empty());

  Console::Response head =
      (*console)->Serve(Get(base + "/js/api.js", http::verb::head), base + "/js/api.js");
  CHECK(head.result() == http::status::ok);
  CHECK(head.body().empty());
  CHECK(std::string(head[http::field::content_length]) == "20");
}

TEST_CASE("an asset of another release, an unknown file or a path that climbs out is a 404",
          "[console]") {
  ConsoleDir d;
  Write(d.dir.path() + "/../secret.txt", "not for the web\n");
  auto console = Console::FromDirectory(d.dir.path());
  REQUIRE(console.ok());
  const std::string base = "/assets/" + (*console)->version();
  for (const std::string target :
       {std::string("/assets/0123456789abcdef/js/api.js"), base + "/js/nope.js",
        base + "/../secret.txt", base + "/../../secret.txt", base + "/index.html", base,
        std::string("/assets/"), base + "/"}) {
    INFO(target);
    Console::Response res = (*console)->Serve(Get(target), target);
    CHECK(res.result() == http::status::not_found);
    CHECK(std::string(res[http::field::cache_control]) == "no-store");
    CHECK(res.body().find("not for the web") == std::string::npos);
  }
}

TEST_CASE("a console directory is re-read when the page loads, and a change moves the asset URLs",
          "[console]") {
  ConsoleDir d;
  auto console = Console::FromDirectory(d.dir.path());
  REQUIRE(console.ok());
  const std::string before = (*console)->version();
  Write(d.dir.File("js/api.js"), "export const x = 2;\n");
  Console::Response page = (*console)->Serve(Get("/"), "/");
  const std::string after = (*console)->version();
  CHECK(after != before);
  CHECK(page.body().find("/assets/" + after + "/js/app.js") != std::string::npos);
  const std::string target = "/assets/" + after + "/js/api.js";
  CHECK((*console)->Serve(Get(target), target).body() == "export const x = 2;\n");
  // The old release's URLs are gone: a page that asks for them is a stale page.
  const std::string old = "/assets/" + before + "/js/api.js";
  CHECK((*console)->Serve(Get(old), old).result() == http::status::not_found);
}

TEST_CASE("a console directory without index.html is refused with the reason", "[console]") {
  TempDir dir;
  Write(dir.File("app.js"), "1");
  auto console = Console::FromDirectory(dir.path());
  REQUIRE_FALSE(console.ok());
  CHECK(console.status().message() == "the console has no index.html");
  auto missing = Console::FromDirectory(dir.File("nope"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("is not a directory") != std::string::npos);
}

TEST_CASE("the console built into the gateway is web/console, every file with a known type",
          "[console]") {
  auto console = Console::Embedded();
  REQUIRE(console.ok());
  std::set<std::string> embedded;
  for (const auto& f : EmbeddedConsoleFiles()) {
    embedded.insert(std::string(f.path));
    INFO(f.path);
    CHECK(ConsoleContentType(f.path) != "application/octet-stream");
  }
  std::set<std::string> on_disk;
  const std::string root = std::string(SALESOS_SOURCE_DIR) + "/web/console";
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) {
      on_disk.insert(std::filesystem::relative(e.path(), root).generic_string());
    }
  }
  CHECK(embedded == on_disk);
  CHECK(embedded.count("index.html") == 1);
  CHECK(embedded.count("js/app.js") == 1);
}

}  // namespace salesos::gateway
