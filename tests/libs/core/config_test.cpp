// Config: flags beat the environment, which beats the default; Describe never prints a secret.

#include "salesos/core/config.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace salesos {
namespace {

// Sets (or unsets) an environment variable for the scope of a test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const char* value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str()); old != nullptr) {
      old_ = old;
    }
    if (value != nullptr) {
      ::setenv(name_.c_str(), value, 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

Status ParseArgs(Config& config, std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"salesos-test"};
  argv.insert(argv.end(), args.begin(), args.end());
  return config.Parse(static_cast<int>(argv.size()), argv.data());
}

TEST_CASE("config env name is SALESOS_ plus upper snake case", "[core][config]") {
  CHECK(Config::EnvName("http-addr") == "SALESOS_HTTP_ADDR");
  CHECK(Config::EnvName("access-token-ttl-seconds") == "SALESOS_ACCESS_TOKEN_TTL_SECONDS");
  CHECK(Config::EnvName("workers") == "SALESOS_WORKERS");
}

TEST_CASE("config uses the default when neither flag nor env is set", "[core][config]") {
  ScopedEnv env("SALESOS_CT_COLOR", nullptr);
  Config config("salesos-test");
  config.Add("ct-color", "blue", "a colour");
  REQUIRE(ParseArgs(config, {}).ok());
  CHECK(config.Get("ct-color") == "blue");
}

TEST_CASE("config env beats the default", "[core][config]") {
  ScopedEnv env("SALESOS_CT_COLOR", "green");
  Config config("salesos-test");
  config.Add("ct-color", "blue", "a colour");
  REQUIRE(ParseArgs(config, {}).ok());
  CHECK(config.Get("ct-color") == "green");
}

TEST_CASE("config flag beats env and default", "[core][config]") {
  ScopedEnv env("SALESOS_CT_COLOR", "green");
  Config config("salesos-test");
  config.Add("ct-color", "blue", "a colour");

  SECTION("as --name=value") {
    REQUIRE(ParseArgs(config, {"--ct-color=red"}).ok());
    CHECK(config.Get("ct-color") == "red");
  }
  SECTION("as --name value") {
    REQUIRE(ParseArgs(config, {"--ct-color", "red"}).ok());
    CHECK(config.Get("ct-color") == "red");
  }
}

TEST_CASE("config takes both flag spellings in one command line", "[core][config]") {
  ScopedEnv color("SALESOS_CT_COLOR", nullptr);
  ScopedEnv size("SALESOS_CT_SIZE", nullptr);
  Config config("salesos-test");
  config.Add("ct-color", "blue", "a colour");
  config.Add("ct-size", "1", "a size");
  REQUIRE(ParseArgs(config, {"--ct-size", "42", "--ct-color=a=b"}).ok());
  CHECK(config.Get("ct-size") == "42");
  CHECK(config.GetInt("ct-size") == 42);
  // Only the first '=' separates name and value.
  CHECK(config.Get("ct-color") == "a=b");
}

TEST_CASE("config refuses an unknown flag and names it", "[core][config]") {
  Config config("salesos-test");
  config.Add("ct-color", "blue", "a colour");
  Status st = ParseArgs(config, {"--ct-colour=red"});
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK_THAT(st.message(), Catch::Contains("--ct-colour"));
}

TEST_CASE("config refuses a flag without a value and a bare argument", "[core][config]") {
  Config config("salesos-test");
  config.Add("ct-color", "blue", "a colour");
  Status missing = ParseArgs(config, {"--ct-color"});
  CHECK(missing.code() == Code::kInvalidArgument);
  CHECK_THAT(missing.message(), Catch::Contains("--ct-color"));

  Status bare = ParseArgs(config, {"red"});
  CHECK(bare.code() == Code::kInvalidArgument);
  CHECK_THAT(bare.message(), Catch::Contains("red"));
}

TEST_CASE("config --help returns the settings as a cancelled status", "[core][config]") {
  Config config("salesos-test");
  config.Add("ct-color", "blue", "a colour");
  config.Add("ct-token", "s3cr3t-default", "a token", /*secret=*/true);
  Status st = ParseArgs(config, {"--help"});
  CHECK(st.code() == Code::kCancelled);
  CHECK_THAT(st.message(), Catch::Contains("--ct-color"));
  CHECK_THAT(st.message(), Catch::Contains("SALESOS_CT_COLOR"));
  CHECK_THAT(st.message(), !Catch::Contains("s3cr3t-default"));
}

TEST_CASE("config reads booleans in their usual spellings", "[core][config]") {
  Config config("salesos-test");
  config.Add("ct-a", "true", "");
  config.Add("ct-b", "off", "");
  config.Add("ct-c", "", "");
  REQUIRE(ParseArgs(config, {"--ct-c=1"}).ok());
  CHECK(config.GetBool("ct-a"));
  CHECK_FALSE(config.GetBool("ct-b"));
  CHECK(config.GetBool("ct-c"));
}

TEST_CASE("config reads a secret from the file its -file setting names", "[core][config]") {
  testing::TempDir dir;
  const std::string path = dir.File("app-secret");
  std::ofstream(path) << "s3cr3t-from-file\n";
  Config config("salesos-test");
  config.Add("ct-app-secret", "", "the app secret", /*secret=*/true);
  config.Add("ct-plain", "", "not a secret");
  ScopedEnv env("SALESOS_CT_APP_SECRET_FILE", path.c_str());
  REQUIRE(ParseArgs(config, {}).ok());
  // One trailing newline is dropped; the value never shows in Describe.
  CHECK(config.Get("ct-app-secret") == "s3cr3t-from-file");
  CHECK_THAT(config.Describe(), !Catch::Contains("s3cr3t"));
  // The -file setting is documented; settings that are not secret get none.
  CHECK_THAT(config.Help(), Catch::Contains("--ct-app-secret-file  SALESOS_CT_APP_SECRET_FILE"));
  CHECK_THAT(config.Help(), !Catch::Contains("ct-plain-file"));
  CHECK(ParseArgs(config, {"--ct-plain-file=x"}).code() == Code::kInvalidArgument);
}

TEST_CASE("config refuses a secret given twice or a file it cannot read, naming the setting",
          "[core][config]") {
  testing::TempDir dir;
  const std::string path = dir.File("token");
  std::ofstream(path) << "from-file";
  {
    Config config("salesos-test");
    config.Add("ct-token", "", "", /*secret=*/true);
    ScopedEnv env("SALESOS_CT_TOKEN", "from-env");
    Status both = ParseArgs(config, {("--ct-token-file=" + path).c_str()});
    CHECK(both.code() == Code::kInvalidArgument);
    CHECK_THAT(both.message(), Catch::Contains("SALESOS_CT_TOKEN") &&
                                   Catch::Contains("--ct-token-file") && Catch::Contains("one"));
  }
  {
    Config config("salesos-test");
    config.Add("ct-token", "", "", /*secret=*/true);
    Status missing = ParseArgs(config, {"--ct-token-file", "/nonexistent/salesos/token"});
    CHECK(missing.code() == Code::kInvalidArgument);
    CHECK_THAT(missing.message(), Catch::Contains("--ct-token-file (SALESOS_CT_TOKEN_FILE)") &&
                                      Catch::Contains("/nonexistent/salesos/token"));
    CHECK(config.Get("ct-token").empty());
  }
  {
    // A file without a trailing newline is taken whole.
    Config config("salesos-test");
    config.Add("ct-token", "", "", /*secret=*/true);
    REQUIRE(ParseArgs(config, {("--ct-token-file=" + path).c_str()}).ok());
    CHECK(config.Get("ct-token") == "from-file");
  }
}

TEST_CASE("config describe masks secrets and the password of a url", "[core][config]") {
  ScopedEnv env("SALESOS_CT_DATABASE_URL", "postgresql://app:hunter2@db.internal:5432/sales");
  Config config("salesos-test");
  config.Add("ct-listen", "127.0.0.1:50051", "");
  config.Add("ct-database-url", "", "");
  config.Add("ct-api-key", "", "", /*secret=*/true);
  config.Add("ct-empty-secret", "", "", /*secret=*/true);
  REQUIRE(ParseArgs(config, {"--ct-api-key=sk-live-0123456789"}).ok());

  std::string described = config.Describe();
  INFO(described);
  CHECK_THAT(described, Catch::Contains("ct-listen=127.0.0.1:50051"));
  CHECK_THAT(described,
             Catch::Contains("ct-database-url=postgresql://app:****@db.internal:5432/sales"));
  CHECK_THAT(described, Catch::Contains("ct-api-key=****"));
  CHECK_THAT(described, !Catch::Contains("hunter2"));
  CHECK_THAT(described, !Catch::Contains("sk-live"));
  // Settings appear in declaration order.
  CHECK(described.find("ct-listen=") < described.find("ct-database-url="));
  CHECK(described.find("ct-database-url=") < described.find("ct-api-key="));
}

TEST_CASE("config describe leaves a url without a password as it is", "[core][config]") {
  Config config("salesos-test");
  config.Add("ct-redis-url", "redis://127.0.0.1:6390/0", "");
  config.Add("ct-database-url", "postgresql://app@db.internal:5432/sales", "");
  REQUIRE(ParseArgs(config, {}).ok());
  std::string described = config.Describe();
  CHECK_THAT(described, Catch::Contains("ct-redis-url=redis://127.0.0.1:6390/0"));
  CHECK_THAT(described, Catch::Contains("ct-database-url=postgresql://app@db.internal:5432/sales"));
}

TEST_CASE("config describe masks a redis url password without a user", "[core][config]") {
  Config config("salesos-test");
  config.Add("ct-redis-url", "redis://:topsecret@cache:6379/1", "");
  REQUIRE(ParseArgs(config, {}).ok());
  std::string described = config.Describe();
  CHECK_THAT(described, Catch::Contains("ct-redis-url=redis://:****@cache:6379/1"));
  CHECK_THAT(described, !Catch::Contains("topsecret"));
}

TEST_CASE("config describe masks a password given as a url query parameter", "[core][config]") {
  // Both libpq and the redis client take ?password=..., so it must not reach the start-up log.
  Config config("salesos-test");
  config.Add("ct-redis-url", "unix:///run/redis.sock?db=2&password=topsecret", "");
  config.Add("ct-database-url", "postgresql://db.internal/sales?password=hunter2&sslmode=off", "");
  REQUIRE(ParseArgs(config, {}).ok());
  std::string described = config.Describe();
  INFO(described);
  CHECK_THAT(described, !Catch::Contains("topsecret"));
  CHECK_THAT(described, !Catch::Contains("hunter2"));
  CHECK_THAT(described, Catch::Contains("ct-redis-url=unix:///run/redis.sock?db=2&password=****"));
  CHECK_THAT(
      described,
      Catch::Contains("ct-database-url=postgresql://db.internal/sales?password=****&sslmode=off"));
}

TEST_CASE("parse host port splits host and port", "[core][config]") {
  auto hp = ParseHostPort("127.0.0.1:8080", "http-addr");
  REQUIRE(hp.ok());
  CHECK(hp->host == "127.0.0.1");
  CHECK(hp->port == 8080);

  auto any = ParseHostPort("0.0.0.0:0", "listen");
  REQUIRE(any.ok());
  CHECK(any->port == 0);

  auto max = ParseHostPort("localhost:65535", "listen");
  REQUIRE(max.ok());
  CHECK(max->host == "localhost");
  CHECK(max->port == 65535);
}

TEST_CASE("parse host port strips the brackets of an ipv6 host", "[core][config]") {
  auto hp = ParseHostPort("[::1]:80", "listen");
  REQUIRE(hp.ok());
  CHECK(hp->host == "::1");
  CHECK(hp->port == 80);
}

TEST_CASE("parse host port refuses a bad port and names the setting", "[core][config]") {
  for (const char* bad : {"127.0.0.1:http", "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1:-1",
                          "127.0.0.1:80x", "127.0.0.1: 80"}) {
    INFO(bad);
    auto hp = ParseHostPort(bad, "http-addr");
    REQUIRE_FALSE(hp.ok());
    CHECK(hp.status().code() == Code::kInvalidArgument);
    CHECK_THAT(hp.status().message(), Catch::Contains("http-addr"));
  }
}

TEST_CASE("parse host port refuses a value without a colon or host", "[core][config]") {
  for (const char* bad : {"localhost", "8080", "", ":8080"}) {
    INFO(bad);
    auto hp = ParseHostPort(bad, "listen");
    REQUIRE_FALSE(hp.ok());
    CHECK(hp.status().code() == Code::kInvalidArgument);
    CHECK_THAT(hp.status().message(), Catch::Contains("listen"));
  }
}

}  // namespace
}  // namespace salesos
