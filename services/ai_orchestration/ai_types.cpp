#include "ai_types.h"

#include <array>
#include <utility>

#include "salesos/core/money.h"

namespace salesos::ai {
namespace {

constexpr std::array<std::pair<Intent, std::string_view>, 10> kIntentNames = {{
    {Intent::kGreeting, "greeting"},
    {Intent::kProductQuestion, "product_question"},
    {Intent::kPriceQuestion, "price_question"},
    {Intent::kPurchaseIntent, "purchase_intent"},
    {Intent::kObjection, "objection"},
    {Intent::kQualificationAnswer, "qualification_answer"},
    {Intent::kHumanRequest, "human_request"},
    {Intent::kComplaint, "complaint"},
    {Intent::kSmalltalk, "smalltalk"},
    {Intent::kOther, "other"},
}};

}  // namespace

std::string_view IntentName(Intent intent) {
  for (const auto& [i, name] : kIntentNames) {
    if (i == intent) {
      return name;
    }
  }
  return "other";
}

std::optional<Intent> ParseIntent(std::string_view name) {
  for (const auto& [i, n] : kIntentNames) {
    if (n == name) {
      return i;
    }
  }
  return std::nullopt;
}

int CurrencyDecimals(std::string_view currency) {
  auto exponent = salesos::CurrencyExponent(currency);
  return exponent.ok() ? *exponent : 2;
}

std::string FormatPrice(int64_t minor, std::string_view currency) {
  std::string code(currency);
  for (auto& c : code) {
    c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  }
  return salesos::FormatPrice(minor, code);
}

const std::vector<Intent>& AllIntents() {
  static const std::vector<Intent> kAll = [] {
    std::vector<Intent> out;
    for (const auto& [i, n] : kIntentNames) {
      out.push_back(i);
    }
    return out;
  }();
  return kAll;
}

}  // namespace salesos::ai
