// Leo: questions about campaigns and results answered from the data only, missing data said to be
// missing, how-to answers with the real API paths, the fallback for unknown questions, and the LLM
// call's validator refusing invented figures.

#include "assistant.h"

#include <catch2/catch.hpp>
#include <string>

namespace salesos::ai {
namespace {

AssistantData Data() {
  AssistantData d;
  d.workspace_name = "Ada Lamps";
  d.campaigns = {
      {"c1", "Winter Sale", "active", "whatsapp", {120, 40, 3, 149.97, "EUR"}},
      {"c2", "Spring Launch", "paused", "instagram", {200, 20, 5, 249.95, "EUR"}},
      {"c3", "Summer Teaser", "draft", "all", {0, 0, 0, 0, ""}},
      {"c4", "Autumn Leads", "active", "facebook", {50, 25, 1, 30, "USD"}},
  };
  d.training = AssistantTraining{true, 3, 42, "2026-11-20T10:00:00Z"};
  return d;
}

std::string Fact(const AssistantAnswer& a, const std::string& label) {
  for (const auto& f : a.facts) {
    if (f.label == label) return f.value;
  }
  return "<none>";
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

boost::json::object Output(const std::string& answer,
                           std::vector<std::pair<std::string, std::string>> facts = {}) {
  boost::json::array f;
  for (const auto& [l, v] : facts) f.push_back(boost::json::object{{"label", l}, {"value", v}});
  return boost::json::object{
      {"answer", answer}, {"facts", f}, {"suggestions", boost::json::array{}}};
}

TEST_CASE("a question must be 1 to 2000 characters", "[ai][assistant]") {
  CHECK(ValidateQuestion("How many campaigns?").ok());
  CHECK(ValidateQuestion("  ").violations().at(0).field == "question");
  CHECK_FALSE(ValidateQuestion(std::string(2001, 'a')).ok());
}

TEST_CASE("how many campaigns counts them by status", "[ai][assistant]") {
  auto a = Answer("How many campaigns do I have?", Data());
  CHECK(a.answer ==
        "You have 4 campaigns (2 active, 1 paused, 1 draft): Winter Sale, Spring Launch, Summer "
        "Teaser and Autumn Leads.");
  CHECK(Fact(a, "Campaigns") == "4");
  CHECK(Fact(a, "Active") == "2");
}

TEST_CASE("active and paused campaigns are named", "[ai][assistant]") {
  auto active = Answer("how many active campaigns?", Data());
  CHECK(active.answer == "You have 2 active campaigns: Winter Sale and Autumn Leads.");
  CHECK(Fact(active, "Active campaigns") == "2");
  CHECK(Answer("Which campaigns are paused?", Data()).answer ==
        "1 campaign is paused: Spring Launch.");
  CHECK(Answer("Show my drafts", Data()).answer == "You have 1 draft: Summer Teaser.");
  CHECK(Answer("Which campaigns are completed?", Data()).answer == "No campaign is completed.");
}

TEST_CASE("the best campaign by conversions, revenue and response rate", "[ai][assistant]") {
  auto best = Answer("Which campaign performs best?", Data());
  CHECK(best.answer ==
        "Spring Launch has the most conversions: 5 from 20 responses (25%), bringing in 249.95 "
        "EUR.");
  CHECK(best.suggestions.front() == "What is the conversion rate of Spring Launch?");
  // Revenue is compared within a currency, never across.
  CHECK(Answer("Which campaign made the most money?", Data()).answer ==
        "Spring Launch has the most revenue in EUR: 249.95 EUR. Autumn Leads has the most revenue "
        "in USD: 30.00 USD.");
  CHECK(Answer("best campaign by response rate", Data()).answer ==
        "Autumn Leads has the highest response rate: 50% (25 responses to 50 messages).");
}

TEST_CASE("total revenue is given per currency", "[ai][assistant]") {
  auto a = Answer("What's my total revenue?", Data());
  CHECK(a.answer ==
        "Your campaigns have brought in 399.92 EUR and 30.00 USD in total, from 9 conversions.");
  CHECK(Fact(a, "Revenue (EUR)") == "399.92 EUR");
}

TEST_CASE("a named campaign's conversion rate states its base", "[ai][assistant]") {
  auto a = Answer("What is the conversion rate of winter sale?", Data());
  CHECK(a.answer ==
        "Winter Sale (active, on WhatsApp): 120 messages sent, 40 responses (33.3% response "
        "rate), 3 conversions (a conversion rate of 7.5%: 3 of 40 responses), revenue 149.97 "
        "EUR.");
  CHECK(Fact(a, "Conversion rate") == "7.5%");
  auto draft = Answer("How is Summer Teaser doing?", Data());
  CHECK(Contains(draft.answer, "no responses yet, so no conversion rate"));
}

TEST_CASE("training status comes from the data, or is said to be unknown", "[ai][assistant]") {
  auto a = Answer("Is my AI trained?", Data());
  CHECK(a.answer.rfind("Yes, your AI is trained: its knowledge base holds 42 passages from 3 "
                       "documents",
                       0) == 0);
  AssistantData d = Data();
  d.training.reset();
  CHECK(Answer("Is my AI trained?", d).answer.rfind("I can't see the training status", 0) == 0);
  d.training = AssistantTraining{};
  CHECK(Answer("is the bot trained", d).answer.rfind("Not yet", 0) == 0);
}

TEST_CASE("conversation and contact counts are not invented before the data exists",
          "[ai][assistant]") {
  auto a = Answer("How many conversations need a human?", Data());
  CHECK(a.answer ==
        "I don't have conversation data yet, so I can't count conversations or hand-offs. What "
        "your campaigns recorded: 370 messages sent and 85 responses.");
  CHECK(Answer("How many contacts do I have?", Data()).answer ==
        "I don't have contact data yet, so I can't count your contacts.");
  AssistantData d = Data();
  d.conversations = AssistantConversationCounts{12, 4, 1};
  d.contacts = 310;
  CHECK(Answer("How many conversations need a human?", d).answer ==
        "You have 12 conversations: 4 open, 1 needs a person.");
  CHECK(Answer("How many contacts do I have?", d).answer == "You have 310 contacts.");
}

TEST_CASE("how-to questions point at the real API paths", "[ai][assistant]") {
  CHECK(Contains(Answer("How do I connect WhatsApp?", Data()).answer,
                 "POST /api/v1/integrations with {platform: \"whatsapp\", phoneNumberId, wabaId"));
  CHECK(Contains(Answer("how can I link my Facebook page", Data()).answer,
                 "{platform: \"facebook\", pageId, pageAccessToken, pageName}"));
  CHECK(Contains(Answer("How do I connect Instagram?", Data()).answer, "accountId"));
  CHECK(Contains(Answer("How do I create a campaign?", Data()).answer, "POST /api/v1/campaigns"));
  CHECK(Contains(Answer("How do I launch a campaign?", Data()).answer,
                 "POST /api/v1/campaigns/{id}/activate"));
  CHECK(Contains(Answer("How do I add a team member?", Data()).answer,
                 "POST /api/v1/workspace/members"));
  CHECK(Contains(Answer("How can I set up an LLM key?", Data()).answer, "PUT /api/v1/ai/settings"));
  CHECK(Contains(Answer("How do I train the AI?", Data()).answer, "POST /api/v1/ai/train"));
  CHECK(Contains(Answer("How do I build a segment of my customers?", Data()).answer,
                 "POST /api/v1/ai/segment-rules"));
  CHECK(Contains(Answer("Comment créer une campagne ?", Data()).answer, "POST /api/v1/campaigns"));
}

TEST_CASE("importing contacts is honestly not there yet", "[ai][assistant]") {
  CHECK(Answer("How do I import my contacts from a CSV?", Data())
            .answer.rfind("There is no contact import yet", 0) == 0);
}

TEST_CASE("the LLM help answer says which provider answers now", "[ai][assistant]") {
  AssistantData d = Data();
  d.ai_provider = "builtin";
  CHECK(Answer("how do I use my OpenAI key?", d)
            .answer.rfind("Right now your AI uses the built-in engine.", 0) == 0);
}

TEST_CASE("no campaigns means no results, and a pointer to create one", "[ai][assistant]") {
  AssistantData empty;
  auto a = Answer("Which campaign is the best?", empty);
  CHECK(a.answer.rfind("You have no campaigns yet", 0) == 0);
  CHECK(Fact(a, "Campaigns") == "0");
}

TEST_CASE("an unknown question gets what Leo can answer, with suggestions", "[ai][assistant]") {
  auto a = Answer("What's the weather in Lyon tomorrow?", Data());
  CHECK(a.answer.rfind("I'm not sure what you mean. I can answer questions about your campaigns",
                       0) == 0);
  CHECK(a.facts.empty());
  CHECK(a.suggestions.size() == 3);
}

TEST_CASE("an overview sums the campaigns", "[ai][assistant]") {
  auto a = Answer("Give me an overview of my results", Data());
  CHECK(a.answer ==
        "You have 4 campaigns, 2 active. Together they sent 370 messages, got 85 responses and 9 "
        "conversions for 399.92 EUR and 30.00 USD. Spring Launch leads with 5 conversions.");
}

TEST_CASE("the validator accepts figures from the data and the question", "[ai][assistant]") {
  auto v = AssistantValidator("What about the last 30 days?", Data());
  CHECK(v(Output("Winter Sale converted 7.5% of its 40 responses, earning 149.97 EUR.",
                 {{"Conversions", "3"}}))
            .ok());
  CHECK(v(Output("I don't have data for the last 30 days.")).ok());
  CHECK(v(Output("Steps:\n1. Open settings\n2. Paste the key")).ok());
}

TEST_CASE("the validator refuses invented figures", "[ai][assistant]") {
  auto v = AssistantValidator("How is Winter Sale doing?", Data());
  CHECK(v(Output("Winter Sale has 57 conversions.")).message().rfind("invalid_output", 0) == 0);
  CHECK(v(Output("Winter Sale converts 12% of responses.")).message().rfind("invalid_output", 0) ==
        0);
  CHECK(v(Output("Fine.", {{"Revenue", "999.00 EUR"}})).message().rfind("invalid_output", 0) == 0);
  CHECK_FALSE(v(Output(" ")).ok());
}

TEST_CASE("the LLM call carries the data with computed rates and the help table",
          "[ai][assistant]") {
  LlmCall call = AssistantCall("Which campaign is best?", Data());
  CHECK(call.job == "assistant");
  CHECK(Contains(call.system, "\"conversionRate\":\"7.5%\""));
  CHECK(Contains(call.system, "\"conversations\":\"no data yet\""));
  CHECK(Contains(call.system, "POST /api/v1/integrations"));
  CHECK(Contains(call.user, "<<<\nWhich campaign is best?\n>>>"));
  auto parsed = AssistantAnswerFromOutput(Output("Spring Launch.", {{"Conversions", "5"}}));
  REQUIRE(parsed.ok());
  CHECK(parsed->facts.at(0).value == "5");
}

}  // namespace
}  // namespace salesos::ai
