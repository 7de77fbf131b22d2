// analytics.updated at most once a second per workspace: the coalescing rule with time passed in,
// and the notifier's thread flushing what is pending when it stops.

#include "update_notifier.h"

#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <vector>

namespace salesos::analytics {
namespace {

TEST_CASE("a workspace's first change goes out at once, the next ones a second after it, merged",
          "[analytics][notifier]") {
  UpdateCoalescer c;
  CHECK(c.NextDueMs() == -1);
  c.Mark("w1", {"messagesReceived"}, 10'000);
  CHECK(c.NextDueMs() == 10'000);
  auto due = c.TakeDue(10'000);
  REQUIRE(due.size() == 1);
  CHECK(due[0].workspace_id == "w1");
  CHECK(due[0].metrics == std::set<std::string>{"messagesReceived"});

  c.Mark("w1", {"messagesSent"}, 10'100);
  c.Mark("w1", {"conversions", "messagesSent"}, 10'500);
  c.Mark("w2", {"conversationsStarted"}, 10'500);  // another workspace: its own second
  CHECK(c.NextDueMs() == 10'500);
  due = c.TakeDue(10'500);
  REQUIRE(due.size() == 1);
  CHECK(due[0].workspace_id == "w2");
  CHECK(c.TakeDue(10'999).empty());
  CHECK(c.NextDueMs() == 11'000);
  due = c.TakeDue(11'000);
  REQUIRE(due.size() == 1);
  CHECK(due[0].workspace_id == "w1");
  CHECK(due[0].metrics == std::set<std::string>{"conversions", "messagesSent"});
  CHECK(c.TakeDue(20'000).empty());
  // Quiet for longer than a second: the next change goes out at once again.
  c.Mark("w1", {"conversions"}, 20'000);
  CHECK(c.TakeDue(20'000).size() == 1);
}

TEST_CASE("the notifier publishes on its thread and flushes what waits when it stops",
          "[analytics][notifier]") {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> published;
  UpdateNotifier notifier([&](const std::string& ws, const std::string& data) {
    std::lock_guard<std::mutex> lock(mu);
    published.emplace_back(ws, data);
  });
  notifier.Start();
  notifier.Mark("w1", {"messagesReceived"});
  notifier.Mark("w1", {"conversions"});
  notifier.Mark("w2", {"revenue"});
  notifier.Stop();
  std::lock_guard<std::mutex> lock(mu);
  // w1's marks go out in one event or two (the first may have left before the second came); never
  // more, and nothing is lost.
  std::set<std::string> w1_metrics;
  int w1 = 0, w2 = 0;
  for (const auto& [ws, data] : published) {
    if (ws == "w1") {
      ++w1;
      if (data.find("messagesReceived") != std::string::npos) w1_metrics.insert("messagesReceived");
      if (data.find("conversions") != std::string::npos) w1_metrics.insert("conversions");
    } else {
      ++w2;
      CHECK(data == R"({"metrics":["revenue"]})");
    }
  }
  CHECK(w1 >= 1);
  CHECK(w1 <= 2);
  CHECK(w1_metrics.size() == 2);
  CHECK(w2 == 1);
}

TEST_CASE("the update names the changed metrics as JSON", "[analytics][notifier]") {
  CHECK(UpdateData({}) == R"({"metrics":[]})");
  CHECK(UpdateData({"b", "a"}) == R"({"metrics":["a","b"]})");
}

}  // namespace
}  // namespace salesos::analytics
