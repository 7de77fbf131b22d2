#include "sql_text.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

namespace salesos::store::internal {
namespace {

TEST_CASE("store placeholders outside quotes become SQLite numbered parameters", "[store]") {
  CHECK(RewritePlaceholdersForSqlite("SELECT a FROM t WHERE id = $1 AND b IN ($2,$10)") ==
        "SELECT a FROM t WHERE id = ?1 AND b IN (?2,?10)");
  CHECK(RewritePlaceholdersForSqlite("VALUES($1)") == "VALUES(?1)");
}

TEST_CASE("store placeholders inside literals, identifiers and comments are left alone",
          "[store]") {
  CHECK(RewritePlaceholdersForSqlite("SELECT '$1', 'it''s $2', $3") ==
        "SELECT '$1', 'it''s $2', ?3");
  CHECK(RewritePlaceholdersForSqlite("SELECT \"a$1\", `b$2`, [c$3] FROM t") ==
        "SELECT \"a$1\", `b$2`, [c$3] FROM t");
  CHECK(RewritePlaceholdersForSqlite("SELECT $1 -- and $2\n, /* $3 */ $4") ==
        "SELECT ?1 -- and $2\n, /* $3 */ ?4");
  CHECK(RewritePlaceholdersForSqlite("SELECT x$1, $name FROM t") == "SELECT x$1, $name FROM t");
  CHECK(RewritePlaceholdersForSqlite("SELECT 'unterminated $1") == "SELECT 'unterminated $1");
}

TEST_CASE("store statement tails of whitespace, semicolons and comments are empty", "[store]") {
  CHECK(OnlyTrivia(""));
  CHECK(OnlyTrivia(" ;\n -- done\n /* really */ ;"));
  CHECK_FALSE(OnlyTrivia("; SELECT 2"));
}

TEST_CASE("store schema names are plain lower-case identifiers", "[store]") {
  CHECK(IsValidSchemaName("campaign"));
  CHECK(IsValidSchemaName("_store_01"));
  CHECK_FALSE(IsValidSchemaName(""));
  CHECK_FALSE(IsValidSchemaName("Campaign"));
  CHECK_FALSE(IsValidSchemaName("1st"));
  CHECK_FALSE(IsValidSchemaName("a\"; DROP SCHEMA public; --"));
  CHECK_FALSE(IsValidSchemaName(std::string(64, 'a')));
}

TEST_CASE("store doubles format to text that parses back exactly", "[store]") {
  for (double d : {0.1, -2.5, 3.141592653589793, 1e300, -1e-300, std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::infinity()}) {
    double back = 0;
    REQUIRE(ParseDouble(FormatDouble(d), &back));
    CHECK(back == d);
  }
  double nan = 0;
  REQUIRE(ParseDouble(FormatDouble(std::nan("")), &nan));
  CHECK(std::isnan(nan));
}

TEST_CASE("store error lines and character positions are found in multi-line scripts", "[store]") {
  CHECK(LineAt("a\nb\nc", 0) == 1);
  CHECK(LineAt("a\nb\nc", 4) == 3);
  // "é" is two bytes, so the third character starts at byte 3.
  CHECK(ByteOffsetOfCharacter("aéb", 3) == 3);
}

}  // namespace
}  // namespace salesos::store::internal
