// rpc::TakePage: a list reads one row more than asked; the page keeps page_size rows and the token
// names the last one kept, or is empty when nothing follows.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "salesos/rpc/paging.h"

namespace {
struct Row {
  std::string id;
};
const std::string kA = "0190f2a4-0000-7000-8000-000000000001";
const std::string kB = "0190f2a4-0000-7000-8000-000000000002";
const std::string kC = "0190f2a4-0000-7000-8000-000000000003";
}  // namespace

TEST_CASE("TakePage trims the extra row and names the last kept row in the token", "[paging]") {
  std::vector<Row> rows{{kA}, {kB}, {kC}};
  std::string next = salesos::rpc::TakePage(rows, 2, "x1");
  REQUIRE(rows.size() == 2);
  REQUIRE(rows.back().id == kB);
  auto decoded = salesos::rpc::DecodePageToken("x1", next);
  REQUIRE(decoded.ok());
  REQUIRE(*decoded == kB);
}

TEST_CASE("TakePage answers no token when the rows fit the page", "[paging]") {
  std::vector<Row> rows{{kA}, {kB}};
  REQUIRE(salesos::rpc::TakePage(rows, 2, "x1").empty());
  REQUIRE(rows.size() == 2);
  std::vector<Row> none;
  REQUIRE(salesos::rpc::TakePage(none, 50, "x1").empty());
}
