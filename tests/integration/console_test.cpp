// The web console in a real browser: Debian's chromium, driven by playwright-core
// (tests/browser/console_e2e.mjs), against the whole suite with a local Graph Send API. The script
// does what a new business does in its first minutes — register, onboard, connect a Page, create and
// activate a campaign — then a signed webhook arrives and the script watches the customer's message
// and the AI's reply appear in the open inbox without a reload, answers as an agent, and sees the
// dashboard count the conversation. It screenshots every main page into
// <build>/test-artifacts/console/. Here: the Graph server must have received the AI's reply and the
// agent's, to that customer, with the Page's token.
//
// Needs node, /usr/bin/chromium and tests/browser/node_modules (`./salesos test` installs them);
// without them it is skipped, or fails when SALESOS_REQUIRE_BROWSER=1 (as in CI).
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "salesos/core/ids.h"
#include "support/fake_graph_api.h"
#include "support/meta.h"
#include "support/process.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const std::string kBrowserDir = std::string(SALESOS_SOURCE_DIR) + "/tests/browser";

std::string Chromium() {
  const char* env = std::getenv("CHROMIUM");
  return env != nullptr && *env != '\0' ? env : "/usr/bin/chromium";
}

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

// Why the browser test cannot run here ("" when it can).
std::string MissingBrowser() {
  if (!OnPath("node")) {
    return "node is not on PATH";
  }
  if (access(Chromium().c_str(), X_OK) != 0) {
    return Chromium() + " is missing (apt-get install chromium)";
  }
  if (!fs::exists(kBrowserDir + "/node_modules/playwright-core/package.json")) {
    return kBrowserDir + "/node_modules has no playwright-core (npm ci there)";
  }
  return "";
}

bool BrowserOrSkip() {
  std::string missing = MissingBrowser();
  if (missing.empty()) {
    return true;
  }
  const char* require = std::getenv("SALESOS_REQUIRE_BROWSER");
  if (require != nullptr && std::string(require) == "1") {
    FAIL("SALESOS_REQUIRE_BROWSER=1 but " << missing);
  }
  std::cerr << "skipped: no browser: " << missing << "\n";
  return false;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("console: in Chromium a new business onboards and activates a campaign and a webhook's "
          "message and the AI reply appear live in the inbox and the agent's answer is sent",
          "[integration][console][browser]") {
  if (!BrowserOrSkip()) {
    return;
  }
  FakeGraphApi graph;
  const std::string page_id = NewMetaId();
  const std::string token = "EAA" + salesos::RandomHex(16) + "abcd";
  const std::string psid = NewMetaId();
  graph.AcceptToken(page_id, token);
  Suite suite(MetaSuiteOptions({"SALESOS_GRAPH_API_BASE=" + graph.base_url(),
                                "SALESOS_AI_DEBOUNCE_MS=300",
                                // A person clicking does not hit the limits, a fast script may.
                                "SALESOS_RATE_LIMIT_IP_PER_MIN=0",
                                "SALESOS_RATE_LIMIT_USER_PER_MIN=0"}));
  const std::string artifacts = std::string(SALESOS_ARTIFACTS_DIR) + "/console";
  fs::remove_all(artifacts);
  fs::create_directories(artifacts);

  Process script({"node", kBrowserDir + "/console_e2e.mjs"}, suite.data_dir() + "/browser.log",
                 {"SALESOS_URL=http://" + suite.gateway_addr(),
                  std::string("SALESOS_E2E_META_SECRET=") + kMetaAppSecret,
                  "SALESOS_E2E_PAGE_ID=" + page_id, "SALESOS_E2E_PAGE_TOKEN=" + token,
                  "SALESOS_E2E_PSID=" + psid, "SALESOS_E2E_ARTIFACTS=" + artifacts,
                  "CHROMIUM=" + Chromium()});
  auto code = script.Wait(std::chrono::minutes(4));
  const std::string log = ReadAll(script.log_path());
  std::cout << log;
  INFO("browser test log:\n" << log << "\ngateway log:\n" << suite.process("gateway").LogTail(20));
  REQUIRE(code.has_value());
  REQUIRE(*code == 0);

  // The script's last line: RESULT {"agentReply": ..., "psid": ..., "screenshots": [...]}
  size_t at = log.rfind("RESULT ");
  REQUIRE(at != std::string::npos);
  json::object result = json::parse(log.substr(at + 7, log.find('\n', at) - at - 7)).as_object();
  const std::string agent_reply(result.at("agentReply").as_string());
  CHECK(std::string(result.at("psid").as_string()) == psid);
  for (const auto& name : result.at("screenshots").as_array()) {
    INFO(name);
    CHECK(fs::file_size(artifacts + "/" + std::string(name.as_string()) + ".png") > 1000);
  }

  // The Graph server got the AI's reply and then the agent's, both to the customer, with the
  // Page's token.
  bool ai_sent = false;
  bool agent_sent = false;
  for (const auto& r : graph.Requests()) {
    INFO(r.target << " " << r.body);
    CHECK(r.recipient == psid);
    CHECK(r.access_token == token);
    CHECK(r.id == page_id);
    if (r.text == agent_reply) {
      agent_sent = true;
    } else if (!r.text.empty()) {
      ai_sent = true;
    }
  }
  CHECK(ai_sent);
  CHECK(agent_sent);
}
