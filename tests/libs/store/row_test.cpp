#include <catch2/catch.hpp>

#include "salesos/store/store.h"

namespace salesos::store {
namespace {

Row MakeRow() {
  return Row(std::make_shared<const std::vector<std::string>>(
                 std::vector<std::string>{"n", "d", "s", "b", "num", "none"}),
             {Value(int64_t{42}), Value(2.5), Value(std::string("hello")),
              Value(Blob{std::string("a\0b", 3)}), Value(std::string("17")), Value(Null{})});
}

TEST_CASE("store rows convert between numbers and text", "[store]") {
  const Row row = MakeRow();
  CHECK(row.size() == 6);
  CHECK(row.GetInt(0) == 42);
  CHECK(row.GetText(0) == "42");
  CHECK(row.GetDouble(0) == 42.0);
  CHECK(row.GetDouble(1) == 2.5);
  CHECK(row.GetInt(1) == 2);
  CHECK(row.GetText(1) == "2.5");
  CHECK(row.GetInt(4) == 17);
  CHECK(row.GetDouble(4) == 17.0);
  CHECK(row.GetInt(2) == 0);
  CHECK(row.GetBool(0));
  CHECK_FALSE(row.GetBool(5));
}

TEST_CASE("store rows give defaults for NULL and raw bytes for blobs", "[store]") {
  const Row row = MakeRow();
  CHECK(row.IsNull(5));
  CHECK_FALSE(row.IsNull(0));
  CHECK(row.GetInt(5) == 0);
  CHECK(row.GetDouble(5) == 0.0);
  CHECK(row.GetText(5).empty());
  CHECK(row.GetBlob(5).empty());
  CHECK(row.GetBlob(3) == std::string("a\0b", 3));
  CHECK(row.GetText(2) == "hello");
}

TEST_CASE("store rows built by hand find columns by name", "[store]") {
  const Row row = MakeRow();
  CHECK(row.Index("n") == 0);
  CHECK(row.Index("none") == 5);
  CHECK(row.Index("missing") == -1);
  CHECK(Row().Index("n") == -1);
}

}  // namespace
}  // namespace salesos::store
