// account_rules: what a valid email, password and name are.

#include "account_rules.h"

#include <catch2/catch.hpp>
#include <string>

namespace salesos::auth {
namespace {

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += s;
  }
  return out;
}

const std::string kEAcute = "\xc3\xa9";         // é: 2 bytes, 1 code point
const std::string kEmoji = "\xf0\x9f\x98\x80";  // 😀: 4 bytes, 1 code point

// The single field violation of an INVALID_ARGUMENT status.
void CheckViolation(const Status& st, const std::string& field) {
  INFO(st.ToString());
  REQUIRE(st.code() == Code::kInvalidArgument);
  REQUIRE(st.violations().size() == 1);
  CHECK(st.violations()[0].field == field);
  CHECK_FALSE(st.violations()[0].description.empty());
}

TEST_CASE("validate email accepts ordinary addresses", "[auth][rules]") {
  for (const char* email : {"ada@example.com", "first.last+tag@sub.example.co.uk", "a@b.co",
                            "ADA@EXAMPLE.COM", "o'brien@example.ie", "x_y-z@example-mail.com"}) {
    INFO(email);
    Status st = ValidateEmail(email);
    INFO(st.ToString());
    CHECK(st.ok());
  }
}

TEST_CASE("validate email rejects malformed addresses naming the email field", "[auth][rules]") {
  for (const char* email :
       {"", "adaexample.com", "ada@@example.com", "ada@home@example.com", "@example.com",
        "ada@example", "ada@.com", "ada@example.", "ada@example..com", "ada lovelace@example.com",
        "ada@exam ple.com", " ada@example.com", "ada@example.com\n", "ada\t@example.com",
        "<ada@example.com>", "ada@example.com,bob@example.com"}) {
    INFO("email: '" << email << "'");
    CheckViolation(ValidateEmail(email), "email");
  }
}

TEST_CASE("validate email limits the address to 254 characters", "[auth][rules]") {
  const std::string domain = "@example.com";
  std::string longest = std::string(kMaxEmailLength - domain.size(), 'a') + domain;
  REQUIRE(longest.size() == 254);
  CHECK(ValidateEmail(longest).ok());
  CheckViolation(ValidateEmail("a" + longest), "email");
}

TEST_CASE("validate email names the field it was given", "[auth][rules]") {
  CheckViolation(ValidateEmail("nope", "user.email"), "user.email");
}

TEST_CASE("validate password needs at least 10 characters", "[auth][rules]") {
  CheckViolation(ValidatePassword("123456789"), "password");
  CHECK(ValidatePassword("1234567890").ok());
  CheckViolation(ValidatePassword(""), "password");
}

TEST_CASE("validate password counts code points and not bytes", "[auth][rules]") {
  // 10 'é' are 20 bytes and 10 characters: long enough.
  CHECK(ValidatePassword(Repeat(kEAcute, 10)).ok());
  // 9 'é' are 18 bytes but only 9 characters: too short.
  CheckViolation(ValidatePassword(Repeat(kEAcute, 9)), "password");
  CHECK(ValidatePassword(Repeat(kEmoji, 10)).ok());
  CheckViolation(ValidatePassword(Repeat(kEmoji, 9)), "password");
  // 128 'é' are 256 bytes: still within the 128-character limit.
  CHECK(ValidatePassword(Repeat(kEAcute, 128)).ok());
}

TEST_CASE("validate password allows at most 128 characters", "[auth][rules]") {
  CHECK(ValidatePassword(std::string(128, 'p')).ok());
  CheckViolation(ValidatePassword(std::string(129, 'p')), "password");
  CheckViolation(ValidatePassword(Repeat(kEAcute, 129)), "password");
}

TEST_CASE("validate password rejects invalid utf-8", "[auth][rules]") {
  for (const std::string& bad :
       {std::string("correct horse \xff"), std::string("correct horse \xc3"),
        std::string("\x80 correct horse"), std::string("correct \xe2\x82 horse"),
        std::string("correct horse \xf0\x9f\x98")}) {
    INFO(bad);
    Status st = ValidatePassword(bad);
    CheckViolation(st, "password");
    CHECK_THAT(st.message(), Catch::Contains("UTF-8"));
  }
}

TEST_CASE("validate name accepts ordinary names", "[auth][rules]") {
  CHECK(ValidateName("Ada", "name").ok());
  CHECK(ValidateName("Ada Lovelace", "name").ok());
  CHECK(ValidateName("Zo" + kEAcute + " " + kEmoji, "name").ok());
  CHECK(ValidateName(Repeat(kEAcute, 100), "name").ok());
  CHECK(ValidateName("  Ada  ", "name").ok());
}

TEST_CASE("validate name rejects empty and whitespace-only names", "[auth][rules]") {
  for (const char* name : {"", " ", "   ", "\t", " \t "}) {
    INFO("name: '" << name << "'");
    CheckViolation(ValidateName(name, "businessName"), "businessName");
  }
}

TEST_CASE("validate name rejects control characters", "[auth][rules]") {
  for (const std::string& name : {std::string("Ada\nLovelace"), std::string("Ada\x01"),
                                  std::string("Ada\tLovelace"), std::string("Ada\rLovelace"),
                                  std::string("Ada\x1b[31m"), std::string("Ada\0Lovelace", 12)}) {
    INFO(name);
    CheckViolation(ValidateName(name, "name"), "name");
  }
}

TEST_CASE("validate name allows at most 100 code points", "[auth][rules]") {
  CHECK(ValidateName(std::string(100, 'n'), "name").ok());
  CheckViolation(ValidateName(std::string(101, 'n'), "name"), "name");
  CheckViolation(ValidateName(Repeat(kEAcute, 101), "name"), "name");
  CheckViolation(ValidateName("Ada \xff", "name"), "name");
}

TEST_CASE("email key lower-cases the normalized email", "[auth][rules]") {
  CHECK(EmailKey("Ada.Lovelace@Example.COM") == "ada.lovelace@example.com");
  CHECK(EmailKey("ada@example.com") == "ada@example.com");
  CHECK(EmailKey(NormalizeEmail("  ADA@Example.com ")) == "ada@example.com");
}

TEST_CASE("normalize email trims surrounding spaces and keeps the case", "[auth][rules]") {
  CHECK(NormalizeEmail("  Ada@Example.com\t") == "Ada@Example.com");
  CHECK(NormalizeEmail("ada@example.com") == "ada@example.com");
  CHECK(NormalizeEmail("   ") == "");
  CHECK(ValidateEmail(NormalizeEmail(" ada@example.com ")).ok());
}

TEST_CASE("utf-8 length counts code points and flags invalid input", "[auth][rules]") {
  CHECK(Utf8Length("") == 0);
  CHECK(Utf8Length("abc") == 3);
  CHECK(Utf8Length(kEAcute) == 1);
  CHECK(Utf8Length("\xe2\x82\xac") == 1);  // €
  CHECK(Utf8Length(kEmoji) == 1);
  CHECK(Utf8Length("a" + kEAcute + kEmoji) == 3);
  CHECK(Utf8Length("\xff") == -1);
  CHECK(Utf8Length("\xc3") == -1);
  CHECK(Utf8Length("\x80") == -1);
  CHECK(Utf8Length("\xc3\x28") == -1);
}

}  // namespace
}  // namespace salesos::auth

TEST_CASE("invalid UTF-8 forms are not counted as text", "[auth][rules]") {
  using salesos::auth::Utf8Length;
  CHECK(Utf8Length("h\xc3\xa9") == 2);
  CHECK(Utf8Length("\xf0\x9f\x98\x80") == 1);          // U+1F600
  CHECK(Utf8Length("\xc0\x80") == -1);                 // overlong NUL
  CHECK(Utf8Length("\xe0\x80\xaf") == -1);             // overlong '/'
  CHECK(Utf8Length("\xed\xa0\x80") == -1);             // a surrogate
  CHECK(Utf8Length("\xf4\x90\x80\x80") == -1);         // above U+10FFFF
  CHECK(Utf8Length("\xf5\x80\x80\x80") == -1);
}

TEST_CASE("names with DEL or C1 control characters are refused", "[auth][rules]") {
  using salesos::auth::ValidateName;
  CHECK_FALSE(ValidateName("Ada\x7f", "name").ok());
  CHECK_FALSE(ValidateName("Ada\xc2\x85", "name").ok());  // U+0085 NEXT LINE
  CHECK(ValidateName("Ad\xc3\xa1", "name").ok());          // á stays fine
}
