// Summaries: transcript parsing, the built-in extractive summary (who asked what and how it
// ended, key points, action items with due dates and priorities, sentiment, topics) and the LLM
// call's validator.

#include "summarizer.h"

#include <catch2/catch.hpp>
#include <string>

namespace salesos::ai {
namespace {

constexpr char kToday[] = "2026-11-21";  // a Saturday

constexpr char kLampChat[] =
    "Ada: Hello! I'd like to order two oak lamps for my shop in Lyon.\n"
    "Paul: Hi Ada, thanks for your message. The oak lamp costs 49.99 EUR.\n"
    "Ada: Great. Do you deliver to Lyon? I need them before the opening on 1 December.\n"
    "Paul: Yes, we deliver to Lyon in 3 days. I will send you the invoice tomorrow.\n"
    "Ada: Perfect, please send it to ada@example.com. The oak lamps look lovely!\n"
    "Paul: Done. We'll call you on Friday to confirm the delivery.\n";

std::vector<TranscriptLine> Lines(std::string_view transcript) {
  auto r = ParseTranscript(transcript);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

SummaryResult LampSummary() { return Summarize(Lines(kLampChat), kToday); }

boost::json::object GoodAnswer() {
  return boost::json::parse(R"({
    "summary": "Ada wants two oak lamps at 49.99 EUR delivered to Lyon.",
    "keyPoints": ["The oak lamp costs 49.99 EUR", "Delivery to Lyon takes 3 days"],
    "actionItems": [{"description": "Send the invoice", "dueDate": "2026-11-22",
                     "priority": "high"},
                    {"description": "Call Ada", "dueDate": "", "priority": "medium"}],
    "sentiment": {"overall": "positive", "score": 0.6},
    "topics": ["oak lamps", "delivery"]
  })")
      .as_object();
}

TEST_CASE("transcript lines name their speakers, other lines continue the last one",
          "[ai][summary]") {
  auto lines = Lines(
      "[10:32] Ada: Hi, the meeting is at 10:30 tomorrow\n"
      "and I will bring the samples.\n"
      "21/11/2026, 10:35 - Customer: ok\n"
      "\n"
      "Agent Paul: Noted: thanks");
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].speaker == "Ada");
  CHECK(lines[0].text == "Hi, the meeting is at 10:30 tomorrow\nand I will bring the samples.");
  CHECK(lines[0].role.empty());
  CHECK(lines[1].speaker == "Customer");
  CHECK(lines[1].role == "customer");
  CHECK(lines[2].speaker == "Agent Paul");
  CHECK(lines[2].role == "business");
  CHECK(lines[2].text == "Noted: thanks");
}

TEST_CASE("a blank or oversized transcript is refused naming transcript", "[ai][summary]") {
  for (auto bad : {std::string("  \n "), std::string(100001, 'a')}) {
    auto r = ParseTranscript(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().violations().at(0).field == "transcript");
  }
  CHECK(ParseTranscript(std::string(100000, 'a')).ok());
}

TEST_CASE("text without any speaker is one speaker's", "[ai][summary]") {
  auto lines = Lines("I called the customer.\nShe wants a refund.");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].speaker == "Speaker");
}

TEST_CASE("the summary says who talked, what the customer asked and how it ended",
          "[ai][summary]") {
  CHECK(LampSummary().summary ==
        "Ada and Paul exchanged 6 messages. Ada wrote: \"I'd like to order two oak lamps for my "
        "shop in Lyon.\" It ended with Paul: \"We'll call you on Friday to confirm the "
        "delivery.\"");
}

TEST_CASE("commitments and requests become action items with dates and priorities",
          "[ai][summary]") {
  auto items = LampSummary().action_items;
  REQUIRE(items.size() == 3);
  CHECK(items[0].description == "Paul: I will send you the invoice tomorrow.");
  CHECK(items[0].due_date == "2026-11-22");
  CHECK(items[0].priority == "high");
  CHECK(items[1].description == "Ada: Perfect, please send it to ada@example.com.");
  CHECK(items[1].due_date.empty());
  CHECK(items[1].priority == "low");
  CHECK(items[2].description == "Paul: We'll call you on Friday to confirm the delivery.");
  CHECK(items[2].due_date == "2026-11-27");
  CHECK(items[2].priority == "medium");
}

TEST_CASE("due dates resolve against the reference date in five languages", "[ai][summary]") {
  CHECK(ResolveDueDate("I'll send it by 2026-12-01", kToday) == "2026-12-01");
  CHECK(ResolveDueDate("We'll ship it next week", kToday) == "2026-11-23");
  CHECK(ResolveDueDate("Payment at the end of the month", kToday) == "2026-11-30");
  CHECK(ResolveDueDate("I will call in 3 days", kToday) == "2026-11-24");
  CHECK(ResolveDueDate("Delivery on 1 December", kToday) == "2026-12-01");
  CHECK(ResolveDueDate("Delivery on December 1, 2027", kToday) == "2027-12-01");
  CHECK(ResolveDueDate("Let's meet the day after tomorrow", kToday) == "2026-11-23");
  CHECK(ResolveDueDate("Je vous envoie le devis demain", kToday) == "2026-11-22");
  CHECK(ResolveDueDate("Te llamo el viernes", kToday) == "2026-11-27");
  CHECK(ResolveDueDate("Ich schicke es nächste Woche", kToday) == "2026-11-23");
  CHECK(ResolveDueDate("Vou enviar até sexta", kToday) == "2026-11-27");
  CHECK(ResolveDueDate("Guten Morgen, ich schicke es", kToday).empty());
  CHECK(ResolveDueDate("I will send it tomorrow", "").empty());
  CHECK(ResolveDueDate("I will send it by 2026-12-01", "") == "2026-12-01");
}

TEST_CASE("urgency words make an item high priority", "[ai][summary]") {
  auto s =
      Summarize(Lines("Customer: Please call me back asap, it's urgent.\nAgent: Sure."), kToday);
  REQUIRE(s.action_items.size() == 1);
  CHECK(s.action_items[0].priority == "high");
  CHECK(s.action_items[0].due_date.empty());
}

TEST_CASE("key points are weighty sentences in transcript order", "[ai][summary]") {
  auto points = LampSummary().key_points;
  REQUIRE_FALSE(points.empty());
  CHECK(points.size() <= 5);
  CHECK(std::find(points.begin(), points.end(), "Paul: Hi Ada, thanks for your message.") ==
        points.end());
  CHECK(std::find(points.begin(), points.end(),
                  "Ada: I'd like to order two oak lamps for my "
                  "shop in Lyon.") != points.end());
}

TEST_CASE("topics are frequent phrases and words without names or greetings", "[ai][summary]") {
  auto topics = LampSummary().topics;
  REQUIRE(topics.size() >= 2);
  CHECK(topics[0] == "oak lamps");
  CHECK(topics[1] == "lyon");
  for (const auto& t : topics) {
    CHECK(t != "ada");
    CHECK(t != "hello");
  }
}

TEST_CASE("sentiment follows the customer's lines", "[ai][summary]") {
  CHECK(LampSummary().sentiment == "positive");
  auto angry = Summarize(Lines("Customer: This is terrible, the lamp arrived broken. I am very "
                               "angry.\nAgent: We are so happy to help, great day!"),
                         kToday);
  CHECK(angry.sentiment == "negative");
  CHECK(angry.sentiment_score < 0);
}

TEST_CASE("chat messages summarise with the customer named", "[ai][summary]") {
  std::vector<ChatMessage> messages = {{"customer", "How much is the oak lamp?", 0},
                                       {"ai", "It costs 49.99 EUR.", 0},
                                       {"customer", "", 0},
                                       {"customer", "I'll take two, please send the link.", 0}};
  auto lines = TranscriptFromMessages(messages, "Ada");
  REQUIRE(lines.size() == 3);
  CHECK(lines[1].speaker == "AI");
  auto s = Summarize(lines, kToday);
  CHECK(s.summary.rfind("Ada and AI exchanged 3 messages. Ada asked: \"How much is the oak "
                        "lamp?\"",
                        0) == 0);
  CHECK(s.action_items.size() == 1);
}

TEST_CASE("an empty conversation says so", "[ai][summary]") {
  auto s = Summarize({}, kToday);
  CHECK(s.summary == "There are no messages to summarise.");
  CHECK(s.sentiment == "neutral");
}

TEST_CASE("the validator accepts figures the transcript holds", "[ai][summary]") {
  auto validator = SummaryValidator(Lines(kLampChat));
  Status s = validator(GoodAnswer());
  INFO(s.ToString());
  CHECK(s.ok());
  auto parsed = SummaryFromOutput(GoodAnswer());
  REQUIRE(parsed.ok());
  CHECK(parsed->action_items.size() == 2);
  CHECK(parsed->sentiment == "positive");
}

TEST_CASE("the validator refuses invented figures, bad dates and bad priorities", "[ai][summary]") {
  auto validator = SummaryValidator(Lines(kLampChat));
  auto invented = GoodAnswer();
  invented["summary"] = "Ada wants ten lamps at 39.99 EUR.";
  CHECK(validator(invented).message().rfind("invalid_output", 0) == 0);
  auto bad_date = GoodAnswer();
  bad_date["actionItems"].as_array()[0].as_object()["dueDate"] = "22/11/2026";
  CHECK(validator(bad_date).message().rfind("invalid_output", 0) == 0);
  auto bad_priority = GoodAnswer();
  bad_priority["actionItems"].as_array()[0].as_object()["priority"] = "urgent";
  CHECK(validator(bad_priority).message().rfind("invalid_output", 0) == 0);
  auto bad_sentiment = GoodAnswer();
  bad_sentiment["sentiment"].as_object()["score"] = 3;
  CHECK_FALSE(validator(bad_sentiment).ok());
  auto blank = GoodAnswer();
  blank["summary"] = " ";
  CHECK_FALSE(validator(blank).ok());
}

TEST_CASE("the LLM call delimits the transcript and gives today", "[ai][summary]") {
  LlmCall call = SummaryCall(Lines(kLampChat), kToday);
  CHECK(call.job == "summarize");
  CHECK(call.system.find(kToday) != std::string::npos);
  CHECK(call.user.find("<<<\nAda: Hello!") != std::string::npos);
  CHECK(call.schema.at("required").as_array().size() == 5);
}

}  // namespace
}  // namespace salesos::ai
