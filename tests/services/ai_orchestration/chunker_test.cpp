// The chunker: what a profile and campaigns become, how long text is cut, ids and limits.

#include "chunker.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "salesos/core/ids.h"

namespace salesos::ai {
namespace {

int Words(const std::string& text) {
  std::istringstream in(text);
  std::string w;
  int n = 0;
  while (in >> w) {
    ++n;
  }
  return n;
}

bool ValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80             ? 1
               : (c & 0xE0) == 0xC0 ? 2
               : (c & 0xF0) == 0xE0 ? 3
               : (c & 0xF8) == 0xF0 ? 4
                                    : 0;
    if (n == 0 || i + n > s.size()) {
      return false;
    }
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += n;
  }
  return true;
}

// `n` sentences "Sentence <i> talks about topic <i> in eight words." (9 words each).
std::string Sentences(int n, int from = 0) {
  std::string out;
  for (int i = from; i < from + n; ++i) {
    if (!out.empty()) {
      out += " ";
    }
    out += "Sentence " + std::to_string(i) + " talks about topic " + std::to_string(i) +
           " in nine words.";
  }
  return out;
}

CampaignFacts SummerSale() {
  CampaignFacts c;
  c.id = "0190c0de-0000-7000-8000-000000000001";
  c.name = "Summer Sale";
  c.product_name = "Trail Runner";
  c.product_description = "A light running shoe for rough trails.";
  c.has_price = true;
  c.price_minor = 4999;
  c.currency = "USD";
  c.features = {"breathable mesh", "grippy sole",   "reflective laces",
                "wide fit",        "recycled foam", "two-year warranty"};
  c.greeting = "Hi! Ready for the trails?";
  c.qualification_questions = {"What distance do you run?"};
  c.objections = {{"too expensive", "It lasts three seasons of daily runs."}, {"", ""}};
  c.closing_message = "Order today and we ship tomorrow.";
  return c;
}

BusinessProfile Profile() {
  BusinessProfile p;
  p.business_name = "Peak Outfitters";
  p.industry = "Outdoor retail";
  p.description = "We sell gear for hikers and trail runners.";
  p.website = "https://peak.example";
  p.phone = "+1 555 0100";
  p.documents = {{"Pricing FAQ", "https://peak.example/faq", "Shipping is free above 50 USD."},
                 {"", "", "   "},
                 {"", "https://peak.example/returns", "Returns are accepted within 30 days."}};
  return p;
}

const KnowledgeChunk* FindByTitle(const std::vector<KnowledgeChunk>& chunks,
                                  const std::string& title) {
  for (const auto& c : chunks) {
    if (c.title == title) {
      return &c;
    }
  }
  return nullptr;
}

TEST_CASE("a profile and a campaign become titled sources with exact facts", "[ai][chunker]") {
  auto docs = BuildKnowledgeDocuments(Profile(), {SummerSale()});
  REQUIRE(docs.size() == 4);  // profile, campaign, two non-empty documents
  CHECK(docs[0].source == "profile");
  CHECK(docs[1].source == "campaign:" + SummerSale().id);
  CHECK(docs[1].campaign_id == SummerSale().id);
  CHECK(docs[2].source == "document:Pricing FAQ");
  CHECK(docs[2].title == "Document: Pricing FAQ");
  CHECK(docs[3].source == "document:https://peak.example/returns");

  auto result = ChunkDocuments("ws-1", docs);
  CHECK(result.documents == 4);
  CHECK(result.dropped_chunks == 0);
  const auto& chunks = result.chunks;

  const auto* about = FindByTitle(chunks, "Business profile");
  REQUIRE(about != nullptr);
  CHECK(about->text ==
        "Peak Outfitters\nIndustry: Outdoor retail\n\nWe sell gear for hikers and "
        "trail runners.");
  CHECK(about->campaign_id.empty());
  const auto* contact = FindByTitle(chunks, "Business profile \xE2\x80\x94 contact");
  REQUIRE(contact != nullptr);
  CHECK(contact->text ==
        "Contact Peak Outfitters\nWebsite: https://peak.example\nPhone: +1 555 0100");
  CHECK(contact->source == "profile");

  const std::string campaign = "Campaign: Summer Sale \xE2\x80\x94 ";
  const auto* price = FindByTitle(chunks, campaign + "price");
  REQUIRE(price != nullptr);
  CHECK(price->text == "Trail Runner price: 49.99 USD");
  CHECK(price->campaign_id == SummerSale().id);
  const auto* product = FindByTitle(chunks, campaign + "product");
  REQUIRE(product != nullptr);
  CHECK(product->text == "Trail Runner\n\nA light running shoe for rough trails.");
  const auto* flow = FindByTitle(chunks, campaign + "chat flow");
  REQUIRE(flow != nullptr);
  CHECK(flow->text == "Hi! Ready for the trails?\n\nOrder today and we ship tomorrow.");
  const auto* objection = FindByTitle(chunks, campaign + "objections");
  REQUIRE(objection != nullptr);
  CHECK(objection->text == "too expensive \xE2\x80\x94 It lasts three seasons of daily runs.");

  int feature_passages = 0;
  for (const auto& c : chunks) {
    if (c.title == campaign + "features") {
      ++feature_passages;
      CHECK(c.text.rfind("Trail Runner features:\n- ", 0) == 0);
    }
    // Qualification questions are things to ask, not facts.
    CHECK(c.text.find("What distance") == std::string::npos);
  }
  CHECK(feature_passages == 2);  // 6 features, 5 a passage

  // Positions count 0.. within each source; ids are UUIDs, all different.
  std::set<std::string> ids;
  std::map<std::string, int> next;
  for (const auto& c : chunks) {
    CHECK(c.position == next[c.source]++);
    CHECK(IsUuid(c.id));
    CHECK(c.id == ChunkId("ws-1", c.source, c.position));
    ids.insert(c.id);
  }
  CHECK(ids.size() == chunks.size());
}

TEST_CASE("prices are shown exactly with the currency's decimals", "[ai][chunker]") {
  CHECK(FormatPrice(4999, "USD") == "49.99 USD");
  CHECK(FormatPrice(5, "EUR") == "0.05 EUR");
  CHECK(FormatPrice(1000, "JPY") == "1000 JPY");
  CHECK(FormatPrice(1500, "KWD") == "1.500 KWD");
  CHECK(FormatPrice(0, "USD") == "0.00 USD");
  CHECK(FormatPrice(123456789012345, "USD") == "1234567890123.45 USD");
  CampaignFacts free = SummerSale();
  free.has_price = false;
  auto chunks = ChunkDocuments("ws", BuildKnowledgeDocuments({}, {free})).chunks;
  CHECK(FindByTitle(chunks, "Campaign: Summer Sale \xE2\x80\x94 price") == nullptr);
}

TEST_CASE("long text is cut on sentences into 60 to 120 words with a small overlap",
          "[ai][chunker]") {
  std::string text = Sentences(120);  // 1080 words
  auto chunks = SplitIntoChunks(text);
  REQUIRE(chunks.size() >= 9);
  for (size_t i = 0; i < chunks.size(); ++i) {
    INFO("chunk " << i << ": " << chunks[i]);
    CHECK(Words(chunks[i]) <= kMaxChunkWords);
    if (i + 1 < chunks.size()) {
      CHECK(Words(chunks[i]) >= kMinChunkWords);
    }
    CHECK(chunks[i].rfind("Sentence ", 0) == 0);  // starts on a sentence
    CHECK(chunks[i].back() == '.');               // ends on one
    if (i > 0) {
      // The next chunk repeats the previous one's last two sentences (18 words, within the
      // overlap of 20), and nothing more.
      std::string prev = chunks[i - 1];
      size_t last = prev.rfind("Sentence ");
      size_t second_last = prev.rfind("Sentence ", last - 1);
      std::string tail = prev.substr(second_last);
      CHECK(chunks[i].rfind(tail + " ", 0) == 0);
      std::string third_last = prev.substr(prev.rfind("Sentence ", second_last - 1), 12);
      CHECK(chunks[i].find(third_last) == std::string::npos);
    }
  }
  // Every sentence is somewhere.
  for (int i = 0; i < 120; ++i) {
    std::string s = "Sentence " + std::to_string(i) + " talks";
    bool found = false;
    for (const auto& c : chunks) {
      found = found || c.find(s) != std::string::npos;
    }
    CHECK(found);
  }
}

TEST_CASE("paragraphs end chunks once they are long enough, and short ones are merged",
          "[ai][chunker]") {
  std::string a = Sentences(8, 0);    // 72 words
  std::string b = Sentences(8, 100);  // 72 words
  auto chunks = SplitIntoChunks(a + "\n\n" + b);
  REQUIRE(chunks.size() == 2);
  CHECK(chunks[0] == a);
  CHECK(chunks[1] == b);  // no overlap across a paragraph

  auto merged = SplitIntoChunks("Short one.\n\nShort two.\nA line.\n\n\n  Short three.  ");
  REQUIRE(merged.size() == 1);
  CHECK(merged[0] == "Short one.\n\nShort two.\nA line.\n\nShort three.");

  CHECK(SplitIntoChunks("").empty());
  CHECK(SplitIntoChunks(" \n\n \t ").empty());
}

TEST_CASE("a sentence longer than a chunk is cut between words", "[ai][chunker]") {
  std::string text;
  for (int i = 0; i < 300; ++i) {
    text += "word" + std::to_string(i) + " ";
  }
  auto chunks = SplitIntoChunks(text);
  REQUIRE(chunks.size() >= 3);
  int total = 0;
  for (const auto& c : chunks) {
    CHECK(Words(c) <= kMaxChunkWords);
    total += Words(c);
  }
  CHECK(total >= 300);
}

TEST_CASE("text without spaces is cut between code points, never inside one", "[ai][chunker]") {
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    text += i % 40 == 39 ? "\xE3\x80\x82" : "\xE6\xB0\xB4";  // 水 ... 。
  }
  text += " caf\xC3\xA9 \xF0\x9F\x98\x80";  // café 😀
  auto chunks = SplitIntoChunks(text);
  REQUIRE(chunks.size() > 1);
  std::string joined;
  for (const auto& c : chunks) {
    CHECK(ValidUtf8(c));
    CHECK(c.size() <= kMaxChunkBytes);
    joined += c;
  }
  // Pieces are cut after a Chinese full stop where there is one.
  CHECK(chunks[0].substr(chunks[0].size() - 3) == "\xE3\x80\x82");
  CHECK(joined.find("caf\xC3\xA9") != std::string::npos);
}

TEST_CASE("invalid UTF-8 and NUL bytes become replacement characters", "[ai][chunker]") {
  std::string text = std::string("ok \xC3 bad \xFF\xFE nul ") + std::string(1, '\0') + " end\r\nx";
  auto chunks = SplitIntoChunks(text);
  REQUIRE(chunks.size() == 1);
  CHECK(ValidUtf8(chunks[0]));
  CHECK(chunks[0].find('\0') == std::string::npos);
  CHECK(chunks[0] == "ok \xEF\xBF\xBD bad \xEF\xBF\xBD\xEF\xBF\xBD nul \xEF\xBF\xBD end\nx");
}

TEST_CASE("chunking is deterministic and ids belong to one workspace", "[ai][chunker]") {
  BusinessProfile p = Profile();
  p.documents.push_back({"Manual", "", Sentences(100)});
  auto a = ChunkDocuments("ws-a", BuildKnowledgeDocuments(p, {SummerSale()}));
  auto b = ChunkDocuments("ws-a", BuildKnowledgeDocuments(p, {SummerSale()}));
  auto other = ChunkDocuments("ws-b", BuildKnowledgeDocuments(p, {SummerSale()}));
  REQUIRE(a.chunks.size() == b.chunks.size());
  REQUIRE(a.chunks.size() == other.chunks.size());
  for (size_t i = 0; i < a.chunks.size(); ++i) {
    CHECK(a.chunks[i].id == b.chunks[i].id);
    CHECK(a.chunks[i].text == b.chunks[i].text);
    CHECK(a.chunks[i].id != other.chunks[i].id);
  }
}

TEST_CASE("two documents with one name continue each other's positions", "[ai][chunker]") {
  BusinessProfile p;
  p.documents = {{"FAQ", "", "First."}, {"FAQ", "", "Second."}};
  auto result = ChunkDocuments("ws", BuildKnowledgeDocuments(p, {}));
  REQUIRE(result.chunks.size() == 2);
  CHECK(result.documents == 2);
  CHECK(result.chunks[0].position == 0);
  CHECK(result.chunks[1].position == 1);
  CHECK(result.chunks[0].id != result.chunks[1].id);
}

TEST_CASE("the workspace limit cuts documents and reports what it cut", "[ai][chunker]") {
  BusinessProfile p = Profile();
  p.documents.push_back({"Huge", "", ""});
  for (int i = 0; i < 2100; ++i) {
    p.documents.back().content += Sentences(10, i * 10) + "\n\n";
  }
  p.documents.push_back({"After", "", "Never reached."});
  auto result = ChunkDocuments("ws", BuildKnowledgeDocuments(p, {SummerSale()}));
  CHECK(result.chunks.size() == kMaxWorkspaceChunks);
  CHECK(result.dropped_chunks > 0);
  CHECK(result.truncated_sources == std::vector<std::string>{"document:Huge", "document:After"});
  // The profile and the campaign come first and are whole.
  CHECK(FindByTitle(result.chunks, "Business profile") != nullptr);
  CHECK(FindByTitle(result.chunks, "Campaign: Summer Sale \xE2\x80\x94 price") != nullptr);
  CHECK(result.documents == 5);  // profile, campaign, FAQ, returns, Huge (in part)
}

TEST_CASE("an empty profile gives no knowledge", "[ai][chunker]") {
  auto result = ChunkDocuments("ws", BuildKnowledgeDocuments({}, {}));
  CHECK(result.chunks.empty());
  CHECK(result.documents == 0);
  CampaignFacts bare;
  bare.id = "c1";
  auto docs = BuildKnowledgeDocuments({}, {bare});
  CHECK(docs.empty());
}

}  // namespace
}  // namespace salesos::ai
