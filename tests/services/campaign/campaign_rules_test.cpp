// Campaign rules without a database: the lifecycle table, prices as exact minor units, the limits
// of a campaign's content, activation readiness, partial updates, copy names and paging tokens.

#include "campaign_rules.h"

#include "salesos/rpc/paging.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "salesos/core/ids.h"

namespace salesos::campaign {
namespace {

// The field of every violation, in order.
std::vector<std::string> Fields(const Status& st) {
  std::vector<std::string> out;
  for (const auto& v : st.violations()) {
    out.push_back(v.field);
  }
  return out;
}

v1::Campaign Complete() {
  v1::Campaign c;
  c.set_name("Spring lamps");
  c.mutable_product()->set_name("Desk lamp");
  c.mutable_product()->set_price(49.99);
  c.mutable_chat_flow()->set_greeting("Hi! Looking for a lamp?");
  c.mutable_chat_flow()->add_qualification_questions("For which room?");
  return c;
}

TEST_CASE("every (status, action) pair of the lifecycle has its outcome", "[campaign][rules]") {
  struct Row {
    const char* from;
    Action action;
    const char* to;       // "" when refused
    const char* message;  // the refusal's message
  };
  const Row table[] = {
      {"draft", Action::kActivate, "active", ""},
      {"draft", Action::kPause, "", "cannot pause a draft campaign"},
      {"draft", Action::kComplete, "", "cannot complete a draft campaign"},
      {"draft", Action::kDelete, "deleted", ""},
      {"draft", Action::kDuplicate, "draft", ""},
      {"active", Action::kActivate, "", "cannot activate an active campaign"},
      {"active", Action::kPause, "paused", ""},
      {"active", Action::kComplete, "completed", ""},
      {"active", Action::kDelete, "",
       "cannot delete an active campaign: only drafts can be deleted; complete it instead"},
      {"active", Action::kDuplicate, "draft", ""},
      {"paused", Action::kActivate, "active", ""},
      {"paused", Action::kPause, "", "cannot pause a paused campaign"},
      {"paused", Action::kComplete, "completed", ""},
      {"paused", Action::kDelete, "",
       "cannot delete a paused campaign: only drafts can be deleted; complete it instead"},
      {"paused", Action::kDuplicate, "draft", ""},
      {"completed", Action::kActivate, "", "cannot activate a completed campaign"},
      {"completed", Action::kPause, "", "cannot pause a completed campaign"},
      {"completed", Action::kComplete, "", "cannot complete a completed campaign"},
      {"completed", Action::kDelete, "",
       "cannot delete a completed campaign: only drafts can be deleted"},
      {"completed", Action::kDuplicate, "draft", ""},
  };
  for (const Row& row : table) {
    INFO(row.from << " + " << ActionName(row.action));
    auto next = Transition(row.from, row.action);
    if (std::string(row.to).empty()) {
      REQUIRE_FALSE(next.ok());
      CHECK(next.status().code() == Code::kAborted);
      CHECK(next.status().message() == row.message);
    } else {
      REQUIRE(next.ok());
      CHECK(*next == row.to);
    }
  }
  CHECK(Transition("archived", Action::kPause).status().code() == Code::kInternal);
}

TEST_CASE("prices become exact minor units of their currency", "[campaign][rules][price]") {
  CHECK(*PriceToMinor(49.99, "USD") == 4999);
  CHECK(*PriceToMinor(1000, "JPY") == 1000);
  CHECK(*PriceToMinor(0.1, "USD") == 10);
  CHECK(*PriceToMinor(0.29, "EUR") == 29);  // 0.29 * 100 is 28.999999999999996 as a double
  CHECK(*PriceToMinor(1.005, "KWD") == 1005);
  CHECK(*PriceToMinor(12.5, "BHD") == 12500);
  CHECK(*PriceToMinor(5000, "KRW") == 5000);
  CHECK(*PriceToMinor(0, "USD") == 0);
  CHECK(*PriceToMinor(19.99, "") == 1999);     // USD by default
  CHECK(*PriceToMinor(19.99, "eur") == 1999);  // codes are case-insensitive
  CHECK(*PriceToMinor(123456789.12, "USD") == 12345678912);
}

TEST_CASE(
    "a price with more decimals than its currency, a negative one or an unknown currency "
    "is refused, never rounded",
    "[campaign][rules][price]") {
  auto fraction = PriceToMinor(1.999, "USD");
  REQUIRE_FALSE(fraction.ok());
  CHECK(fraction.status().code() == Code::kInvalidArgument);
  CHECK(fraction.status().violations().at(0).field == "product.price");
  CHECK(fraction.status().message().find("more decimals than USD allows") != std::string::npos);
  CHECK_FALSE(PriceToMinor(1000.5, "JPY").ok());
  CHECK_FALSE(PriceToMinor(0.0001, "KWD").ok());
  auto negative = PriceToMinor(-1, "USD");
  REQUIRE_FALSE(negative.ok());
  CHECK(negative.status().message().find("negative") != std::string::npos);
  CHECK_FALSE(PriceToMinor(1e30, "USD").ok());
  CHECK_FALSE(PriceToMinor(std::numeric_limits<double>::infinity(), "USD").ok());
  CHECK_FALSE(PriceToMinor(std::numeric_limits<double>::quiet_NaN(), "USD").ok());
  for (const char* bad : {"XYZ", "US", "USDD", "U$D", "XAU"}) {
    INFO(bad);
    auto r = PriceToMinor(1, bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().violations().at(0).field == "product.currency");
  }
}

TEST_CASE("minor units read back as the decimal that was written", "[campaign][rules][price]") {
  for (double price : {49.99, 0.01, 0.29, 1234.56, 19.9, 0.0}) {
    CHECK(MinorToMajor(*PriceToMinor(price, "USD"), "USD") == price);
  }
  CHECK(MinorToMajor(1000, "JPY") == 1000.0);
  CHECK(MinorToMajor(1005, "KWD") == 1.005);
}

TEST_CASE("a campaign within every limit is valid, and each limit is named when passed",
          "[campaign][rules][limits]") {
  CHECK(ValidateCampaign(Complete()).ok());

  v1::Campaign c = Complete();
  c.set_name(std::string(200, 'n'));
  CHECK(ValidateCampaign(c).ok());
  c.set_name(std::string(201, 'n'));
  CHECK(Fields(ValidateCampaign(c)) == std::vector<std::string>{"name"});
  c.set_name("   ");
  CHECK(Fields(ValidateCampaign(c)) == std::vector<std::string>{"name"});
  // 200 characters of two bytes each are within the limit: it counts characters.
  std::string accents;
  for (int i = 0; i < 200; ++i) {
    accents += "\xC3\xA9";
  }
  c.set_name(accents);
  CHECK(ValidateCampaign(c).ok());

  c = Complete();
  for (int i = 0; i < 50; ++i) {
    c.mutable_chat_flow()->add_qualification_questions("q?");
  }
  CHECK(Fields(ValidateCampaign(c)) == std::vector<std::string>{"chatFlow.qualificationQuestions"});

  c = Complete();
  for (int i = 0; i < 51; ++i) {
    auto* o = c.mutable_chat_flow()->add_objection_handling();
    o->set_objection("too expensive");
    o->set_response("it lasts ten years");
  }
  CHECK(Fields(ValidateCampaign(c)) == std::vector<std::string>{"chatFlow.objectionHandling"});
  c.mutable_chat_flow()->mutable_objection_handling()->RemoveLast();
  CHECK(ValidateCampaign(c).ok());

  c = Complete();
  for (int i = 0; i < 21; ++i) {
    c.mutable_product()->add_images("https://example.com/" + std::to_string(i) + ".jpg");
  }
  CHECK(Fields(ValidateCampaign(c)) == std::vector<std::string>{"product.images"});

  c = Complete();
  c.mutable_product()->set_description(std::string(4000, 'd'));
  c.set_outreach_message(std::string(4000, 'o'));
  CHECK(ValidateCampaign(c).ok());
  c.mutable_product()->set_description(std::string(4001, 'd'));
  c.mutable_chat_flow()->set_greeting(std::string(4001, 'g'));
  c.mutable_target_audience()->set_persona(std::string(4001, 'p'));
  c.mutable_chat_flow()->add_qualification_questions(std::string(4001, 'q'));
  c.set_target_platform("tiktok");
  Status st = ValidateCampaign(c);
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(Fields(st) ==
        std::vector<std::string>{"targetPlatform", "product.description", "chatFlow.greeting",
                                 "chatFlow.qualificationQuestions[1]", "targetAudience.persona"});
  CHECK(st.message().find("(and 4 more)") != std::string::npos);

  c = Complete();
  c.mutable_product()->set_price(1.999);
  CHECK(Fields(ValidateCampaign(c)) == std::vector<std::string>{"product.price"});
  c.mutable_product()->set_price(1);
  c.mutable_product()->set_currency("ABC");
  CHECK(Fields(ValidateCampaign(c)) == std::vector<std::string>{"product.currency"});
}

TEST_CASE("activation lists every missing field", "[campaign][rules][activation]") {
  CHECK(CheckReadyToActivate(Complete()).ok());
  v1::Campaign empty;
  empty.set_name("Empty");
  Status st = CheckReadyToActivate(empty);
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(Fields(st) == std::vector<std::string>{"product.name", "product.price", "chatFlow.greeting",
                                               "chatFlow.qualificationQuestions"});
  v1::Campaign no_price = Complete();
  no_price.mutable_product()->set_price(0);
  CHECK(Fields(CheckReadyToActivate(no_price)) == std::vector<std::string>{"product.price"});
}

TEST_CASE("a partial update replaces what is present, merges objects and replaces lists",
          "[campaign][rules][update]") {
  v1::Campaign current = Complete();
  current.set_id("keep");
  current.set_status("active");
  current.mutable_chat_flow()->add_qualification_questions("Budget?");
  current.mutable_product()->add_features("dimmable");

  v1::Campaign patch;
  patch.mutable_product()->set_price(59);
  patch.mutable_chat_flow()->add_qualification_questions("Only this one?");
  patch.set_status("completed");  // ignored: status has its own rpcs
  patch.set_id("other");
  auto updated = ApplyUpdate(current, patch, {});
  REQUIRE(updated.ok());
  CHECK(updated->product().name() == "Desk lamp");
  CHECK(updated->product().price() == 59);
  CHECK(updated->product().features_size() == 1);
  CHECK(updated->chat_flow().greeting() == "Hi! Looking for a lamp?");
  REQUIRE(updated->chat_flow().qualification_questions_size() == 1);
  CHECK(updated->chat_flow().qualification_questions(0) == "Only this one?");
  CHECK(updated->status() == "active");
  CHECK(updated->id() == "keep");
}

TEST_CASE("an update mask copies exactly its paths and refuses read-only or unknown ones",
          "[campaign][rules][update]") {
  v1::Campaign current = Complete();
  current.set_outreach_message("hello");
  v1::Campaign patch;
  patch.set_name("Renamed");
  patch.mutable_product()->set_price(10);
  patch.mutable_product()->set_name("ignored: not in the mask");

  auto updated = ApplyUpdate(current, patch, {"name", "product.price", "outreachMessage"});
  REQUIRE(updated.ok());
  CHECK(updated->name() == "Renamed");
  CHECK(updated->product().price() == 10);
  CHECK(updated->product().name() == "Desk lamp");
  CHECK(updated->outreach_message().empty());  // in the mask and absent: cleared

  auto whole = ApplyUpdate(current, patch, {"chat_flow"});  // proto names work too
  REQUIRE(whole.ok());
  CHECK(whole->chat_flow().greeting().empty());

  auto comma = ApplyUpdate(current, patch, {"name,product.price"});
  REQUIRE(comma.ok());
  CHECK(comma->name() == "Renamed");

  for (const char* path :
       {"status", "stats", "stats.revenue", "createdAt", "updatedAt", "activatedAt", "completedAt",
        "id", "nope", "product.nope", "name.length", ""}) {
    INFO(path);
    auto r = ApplyUpdate(current, patch, {path});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK(r.status().violations().at(0).field == "updateMask");
  }
}

TEST_CASE("a copy is named \"<name> (copy)\" within 200 characters", "[campaign][rules]") {
  CHECK(CopyName("Spring") == "Spring (copy)");
  std::string long_name(200, 'x');
  std::string copy = CopyName(long_name);
  CHECK(copy.size() == 200);
  CHECK(copy.substr(193) == " (copy)");
  std::string accents;
  for (int i = 0; i < 200; ++i) {
    accents += "\xC3\xA9";
  }
  std::string accent_copy = CopyName(accents);
  CHECK(Utf8Length(accent_copy) == 200);
}

TEST_CASE("page sizes and tokens", "[campaign][rules][paging]") {
  using rpc::DecodePageToken;
  using rpc::EncodePageToken;
  using rpc::ResolvePageSize;
  CHECK(*ResolvePageSize(0) == 50);
  CHECK(*ResolvePageSize(200) == 200);
  CHECK(ResolvePageSize(201).status().violations().at(0).field == "pageSize");
  CHECK_FALSE(ResolvePageSize(-1).ok());
  std::string id = NewUuidV7();
  CHECK(*DecodePageToken(kCampaignPageKind, EncodePageToken(kCampaignPageKind, id)) == id);
  CHECK(DecodePageToken(kCampaignPageKind, "").value().empty());
  // A token of another list is refused, not misread.
  CHECK_FALSE(DecodePageToken(kCampaignPageKind, EncodePageToken("t1", id)).ok());
  for (const char* bad : {"zz", "abc", "6331", "not a token"}) {
    CHECK(DecodePageToken(kCampaignPageKind, bad).status().violations().at(0).field == "pageToken");
  }
}

}  // namespace
}  // namespace salesos::campaign

TEST_CASE("prices format exactly with the currency's decimals", "[campaign][rules]") {
  using salesos::campaign::FormatPrice;
  CHECK(FormatPrice(4999, "USD") == "49.99 USD");
  CHECK(FormatPrice(5, "USD") == "0.05 USD");
  CHECK(FormatPrice(1000, "JPY") == "1000 JPY");
  CHECK(FormatPrice(1234, "KWD") == "1.234 KWD");
  CHECK(FormatPrice(0, "EUR") == "0.00 EUR");
}
