#include "salesos/core/money.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>

namespace salesos {
namespace {

// ISO 4217 codes by their minor-unit exponent; every other listed code has 2. Codes without a
// minor unit in the standard (XAU, XXX, ...) are not prices and are refused.
constexpr std::string_view kExponent0[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                           "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                           "VND", "VUV", "XAF", "XOF", "XPF"};
constexpr std::string_view kExponent3[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
constexpr std::string_view kExponent4[] = {"CLF", "UYW"};
constexpr std::string_view kExponent2[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DKK", "DOP",
    "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR",
    "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK",
    "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
    "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB",
    "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN",
    "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD",
    "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG", "ZWL"};

template <size_t N>
bool Contains(const std::string_view (&codes)[N], std::string_view code) {
  return std::find(std::begin(codes), std::end(codes), code) != std::end(codes);
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

}  // namespace

Result<int> CurrencyExponent(std::string_view currency, std::string_view currency_field) {
  std::string code = Upper(currency);
  if (Contains(kExponent2, code)) {
    return 2;
  }
  if (Contains(kExponent0, code)) {
    return 0;
  }
  if (Contains(kExponent3, code)) {
    return 3;
  }
  if (Contains(kExponent4, code)) {
    return 4;
  }
  return FieldError(std::string(currency_field), "must be an ISO 4217 currency code such as \"USD\"");
}

Result<std::string> NormalizeCurrency(std::string_view currency, std::string_view currency_field) {
  if (currency.empty()) {
    return std::string(kDefaultCurrency);
  }
  SALESOS_ASSIGN_OR_RETURN(int exponent, CurrencyExponent(currency, currency_field));
  (void)exponent;
  return Upper(currency);
}

Result<int64_t> PriceToMinor(double major, const std::string& currency, std::string_view price_field,
                             std::string_view currency_field) {
  SALESOS_ASSIGN_OR_RETURN(std::string code, NormalizeCurrency(currency, currency_field));
  SALESOS_ASSIGN_OR_RETURN(int exponent, CurrencyExponent(code, currency_field));
  if (!std::isfinite(major)) {
    return FieldError(std::string(price_field), "must be a number");
  }
  if (major < 0) {
    return FieldError(std::string(price_field), "must not be negative");
  }
  // The shortest decimal that reads back as this double: "49.99", not 49.990000000000002.
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, std::fabs(major), std::chars_format::fixed);
  if (ec != std::errc()) {
    return FieldError(std::string(price_field), "must be a number");
  }
  std::string_view text(buf, static_cast<size_t>(end - buf));
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (fraction.size() > static_cast<size_t>(exponent)) {
    return FieldError(std::string(price_field), "has more decimals than " + code + " allows (" +
                                           std::to_string(exponent) + ")");
  }
  const std::string too_large =
      "must be less than " + std::to_string(kMaxMinorUnits) + " minor units of " + code;
  // 18 digits stay well inside int64_t; the bound below is checked exactly after.
  if (whole.size() + static_cast<size_t>(exponent) > 18) {
    return FieldError(std::string(price_field), too_large);
  }
  int64_t minor = 0;
  for (char c : whole) {
    minor = minor * 10 + (c - '0');
  }
  for (int i = 0; i < exponent; ++i) {
    size_t at = static_cast<size_t>(i);
    minor = minor * 10 + (at < fraction.size() ? fraction[at] - '0' : 0);
  }
  if (minor >= kMaxMinorUnits) {
    return FieldError(std::string(price_field), too_large);
  }
  return minor;
}

double MinorToMajor(int64_t minor, const std::string& currency) {
  auto exponent = CurrencyExponent(currency);
  int e = exponent.ok() ? *exponent : 2;
  double scale = 1;
  for (int i = 0; i < e; ++i) {
    scale *= 10;
  }
  // Division by an exact power of ten gives the double nearest to the decimal, which prints as
  // that decimal again ("49.99").
  return static_cast<double>(minor) / scale;
}

std::string FormatPrice(int64_t minor, const std::string& currency) {
  auto exponent = CurrencyExponent(currency);
  int e = exponent.ok() ? *exponent : 2;
  bool negative = minor < 0;
  uint64_t v = negative ? static_cast<uint64_t>(-(minor + 1)) + 1 : static_cast<uint64_t>(minor);
  std::string digits = std::to_string(v);
  if (e > 0) {
    if (digits.size() <= static_cast<size_t>(e)) {
      digits.insert(0, static_cast<size_t>(e) + 1 - digits.size(), '0');
    }
    digits.insert(digits.size() - static_cast<size_t>(e), ".");
  }
  return (negative ? "-" : "") + digits + " " + currency;
}

}  // namespace salesos
