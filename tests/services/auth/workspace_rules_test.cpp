// workspace_rules: roles and who grants them, the last-owner rules, the business profile's limits,
// member list paging.

#include "workspace_rules.h"

#include <catch2/catch.hpp>
#include <string>

namespace salesos::auth {
namespace {

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) {
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

void CheckOk(const Status& st) {
  INFO(st.ToString());
  CHECK(st.ok());
}

BusinessProfile FullProfile() {
  BusinessProfile p;
  p.business_name = "Ada's Lamps";
  p.owner_name = "Ada Lovelace";
  p.industry = "Lighting";
  p.description = "Hand-made lamps.\nShipped from Lyon.\tSince 1843.";
  p.website = "https://ada-lamps.example.com/shop?x=1#top";
  p.phone = "+33 (4) 12-34-56-78";
  p.documents = {{"Price list", "https://ada-lamps.example.com/prices.pdf", "Desk lamp: 40 EUR"},
                 {"FAQ", "", "Do you ship abroad? Yes."},
                 {"Returns", "http://example.com/returns", ""}};
  return p;
}

TEST_CASE("the four workspace roles are valid and nothing else is", "[auth][rules][workspace]") {
  for (const char* role : {"owner", "admin", "agent", "viewer"}) {
    INFO(role);
    CheckOk(ValidateRole(role));
  }
  for (const char* role : {"", "Owner", "ADMIN", "superadmin", "service", "agent ", "guest"}) {
    INFO(role);
    Status st = ValidateRole(role);
    CheckViolation(st, "role");
    CHECK(st.violations()[0].description == "must be one of owner, admin, agent, viewer");
  }
  CheckViolation(ValidateRole("boss", "members[0].role"), "members[0].role");
}

TEST_CASE("only an owner makes owners, while admins make admins, agents and viewers",
          "[auth][rules][workspace]") {
  CheckOk(CheckCanGrant(true, "owner"));
  CHECK(CheckCanGrant(false, "owner").code() == Code::kPermissionDenied);
  for (const char* role : {"admin", "agent", "viewer"}) {
    INFO(role);
    CheckOk(CheckCanGrant(false, role));
    CheckOk(CheckCanGrant(true, role));
  }
}

TEST_CASE("the last owner cannot be demoted, another owner can", "[auth][rules][workspace]") {
  Status last = CheckRoleChange(true, "owner", "admin", 1);
  CHECK(last.code() == Code::kFailedPrecondition);
  CHECK_THAT(last.message(), Catch::Contains("last owner"));
  CHECK(CheckRoleChange(true, "owner", "viewer", 0).code() == Code::kFailedPrecondition);
  CheckOk(CheckRoleChange(true, "owner", "admin", 2));
  // Keeping the owner role is no change at all, even for the last owner.
  CheckOk(CheckRoleChange(true, "owner", "owner", 1));
}

TEST_CASE("only an owner grants or takes away the owner role", "[auth][rules][workspace]") {
  CHECK(CheckRoleChange(false, "agent", "owner", 1).code() == Code::kPermissionDenied);
  CHECK(CheckRoleChange(false, "owner", "admin", 3).code() == Code::kPermissionDenied);
  // Permission is decided before the last-owner rule: an admin learns it may not, not why else.
  CHECK(CheckRoleChange(false, "owner", "admin", 1).code() == Code::kPermissionDenied);
  CheckOk(CheckRoleChange(true, "agent", "owner", 1));
  // Admins move members between admin, agent and viewer.
  CheckOk(CheckRoleChange(false, "agent", "admin", 1));
  CheckOk(CheckRoleChange(false, "admin", "viewer", 1));
}

TEST_CASE("the last owner cannot be removed, not even by themself", "[auth][rules][workspace]") {
  CHECK(CheckRemoval(true, "owner", 1).code() == Code::kFailedPrecondition);
  CheckOk(CheckRemoval(true, "owner", 2));
  CHECK(CheckRemoval(false, "owner", 2).code() == Code::kPermissionDenied);
  for (const char* role : {"admin", "agent", "viewer"}) {
    INFO(role);
    CheckOk(CheckRemoval(false, role, 1));
  }
}

TEST_CASE("a full business profile is valid, and so is one with only a name",
          "[auth][rules][workspace]") {
  CheckOk(ValidateBusinessProfile(FullProfile()));
  BusinessProfile minimal;
  minimal.business_name = "A";
  CheckOk(ValidateBusinessProfile(minimal));
}

TEST_CASE("each text limit of the profile holds exactly, counted in code points",
          "[auth][rules][workspace]") {
  struct Limit {
    std::string field;
    std::string BusinessProfile::*member;
    size_t max;
  };
  for (const Limit& l : {Limit{"businessName", &BusinessProfile::business_name, 100},
                         Limit{"ownerName", &BusinessProfile::owner_name, 100},
                         Limit{"industry", &BusinessProfile::industry, 100},
                         Limit{"description", &BusinessProfile::description, 5000}}) {
    INFO(l.field);
    BusinessProfile p = FullProfile();
    // Two-byte characters: a byte count would refuse the limit itself.
    p.*l.member = Repeat(kEAcute, l.max);
    CheckOk(ValidateBusinessProfile(p));
    p.*l.member = Repeat(kEmoji, l.max);
    CheckOk(ValidateBusinessProfile(p));
    p.*l.member = Repeat("a", l.max + 1);
    CheckViolation(ValidateBusinessProfile(p), "businessInfo." + l.field);
  }
}

TEST_CASE("a business name is required, and not blank", "[auth][rules][workspace]") {
  BusinessProfile p = FullProfile();
  p.business_name = "";
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.businessName");
  p.business_name = "   ";
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.businessName");
}

TEST_CASE("website is empty or an http(s) URL of at most 2048 characters",
          "[auth][rules][workspace]") {
  BusinessProfile p = FullProfile();
  p.website = "";
  CheckOk(ValidateBusinessProfile(p));
  p.website = "HTTPS://Example.com";
  CheckOk(ValidateBusinessProfile(p));
  std::string base = "https://example.com/";
  p.website = base + std::string(2048 - base.size(), 'a');
  CheckOk(ValidateBusinessProfile(p));
  p.website += "a";
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.website");
  for (const char* bad : {"example.com", "ftp://example.com", "https://", "http:///path",
                          "https://exa mple.com", "javascript:alert(1)", "https://?q"}) {
    INFO(bad);
    p.website = bad;
    CheckViolation(ValidateBusinessProfile(p), "businessInfo.website");
  }
}

TEST_CASE("phone is empty or at most 32 of digits, spaces and + - ( )",
          "[auth][rules][workspace]") {
  BusinessProfile p = FullProfile();
  p.phone = "";
  CheckOk(ValidateBusinessProfile(p));
  p.phone = std::string(32, '1');
  CheckOk(ValidateBusinessProfile(p));
  p.phone = std::string(33, '1');
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.phone");
  for (const char* bad : {"555-CALL-NOW", "+1 555 0100 ext. 3", "555/0100", "\xef\xbc\x91"}) {
    INFO(bad);
    p.phone = bad;
    CheckViolation(ValidateBusinessProfile(p), "businessInfo.phone");
  }
}

TEST_CASE("at most 20 documents, each named, with an http(s) url and at most 100000 characters",
          "[auth][rules][workspace]") {
  BusinessProfile p = FullProfile();
  p.documents.assign(20, ProfileDocument{"Doc", "", "x"});
  CheckOk(ValidateBusinessProfile(p));
  p.documents.push_back(ProfileDocument{"Doc", "", "x"});
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.documents");

  p = FullProfile();
  p.documents[2].content = Repeat(kEAcute, 100000);
  CheckOk(ValidateBusinessProfile(p));
  p.documents[2].content += "a";
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.documents[2].content");

  p = FullProfile();
  p.documents[1].name = "";
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.documents[1].name");
  p.documents[1].name = Repeat(kEmoji, 200);
  CheckOk(ValidateBusinessProfile(p));
  p.documents[1].name += "a";
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.documents[1].name");

  p = FullProfile();
  p.documents[0].url = "file:///etc/passwd";
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.documents[0].url");
  p.documents[0].url = "https://example.com/" + std::string(2100, 'a');
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.documents[0].url");
}

TEST_CASE("profile text is UTF-8 without control characters, and long text keeps its lines",
          "[auth][rules][workspace]") {
  BusinessProfile p = FullProfile();
  p.description = "bad \xc3";
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.description");
  p.description = std::string("nul \0 inside", 12);
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.description");
  p.description = "line one\r\nline two\ttabbed";
  CheckOk(ValidateBusinessProfile(p));
  p = FullProfile();
  p.industry = "two\nlines";
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.industry");
  p = FullProfile();
  p.documents[0].content = std::string("\x01", 1);
  CheckViolation(ValidateBusinessProfile(p), "businessInfo.documents[0].content");
  // The prefix is the caller's: the path names the field as the client sent it.
  p = FullProfile();
  p.owner_name = "\x7f";
  CheckViolation(ValidateBusinessProfile(p, "profile"), "profile.ownerName");
}

TEST_CASE("page size defaults to 50 and takes 1 to 200", "[auth][rules][workspace]") {
  CHECK(*ResolvePageSize(0) == 50);
  CHECK(*ResolvePageSize(1) == 1);
  CHECK(*ResolvePageSize(200) == 200);
  CheckViolation(ResolvePageSize(201).status(), "pageSize");
  CheckViolation(ResolvePageSize(-1).status(), "pageSize");
}

TEST_CASE("a member page token round-trips and anything else is refused naming pageToken",
          "[auth][rules][workspace]") {
  const std::string id = "01937a2e-0000-7000-8000-000000000001";
  std::string token = EncodeMemberPageToken(id);
  CHECK(token.find(id) == std::string::npos);  // opaque, not the id in plain sight
  auto decoded = DecodeMemberPageToken(token);
  REQUIRE(decoded.ok());
  CHECK(*decoded == id);
  auto first = DecodeMemberPageToken("");
  REQUIRE(first.ok());
  CHECK(first->empty());
  for (const char* bad : {"not a token", "bTE6", "eDox", "!!!!", "bTE"}) {
    INFO(bad);
    CheckViolation(DecodeMemberPageToken(bad).status(), "pageToken");
  }
}

}  // namespace
}  // namespace salesos::auth
