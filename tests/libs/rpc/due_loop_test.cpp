#include "salesos/rpc/due_loop.h"

#include <catch2/catch.hpp>

#include <atomic>

#include "salesos/core/time.h"
#include "support/process.h"

namespace salesos::rpc {
namespace {

using testing::WaitFor;
using namespace std::chrono_literals;

}  // namespace

TEST_CASE("a due loop looks again for an item due before its next look, not for one due after",
          "[rpc][due_loop]") {
  std::atomic<int> looks{0};
  std::atomic<int64_t> due_at{0};  // the one item, 0: none
  std::atomic<int> ran{0};
  DueLoopOptions options;
  options.name = "test";
  options.max_idle_ms = 30'000;  // asleep for the whole test unless woken
  DueLoop loop(
      options,
      [&]() -> Result<int64_t> { return due_at.load(); },
      [&](int64_t now_ms, int) -> Result<std::vector<std::function<void()>>> {
        looks++;
        std::vector<std::function<void()>> tasks;
        int64_t due = due_at.load();
        if (due > 0 && due <= now_ms) {
          due_at = 0;
          tasks.push_back([&] { ran++; });
        }
        return tasks;
      });
  loop.Start();
  REQUIRE(WaitFor([&] { return looks.load() == 1; }, 5s));  // looked once, found nothing: asleep

  // Due long after the loop's next look (in 30 s): no look now.
  loop.NotifyDue(NowUnixMillis() + 120'000);
  CHECK_FALSE(WaitFor([&] { return looks.load() > 1; }, 300ms));

  // Due now: a look at once, which runs it.
  due_at = NowUnixMillis();
  loop.NotifyDue(due_at.load());
  CHECK(WaitFor([&] { return ran.load() == 1; }, 5s));
  loop.Stop();
}

}  // namespace salesos::rpc
