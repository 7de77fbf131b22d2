#pragma once

// Money as DESIGN §4 keeps it: integer minor units plus an ISO 4217 code, never a float at rest.
// These convert the major-unit decimals of the JSON API (49.99) to minor units exactly, and back
// for answers and for text shown to people ("49.99 USD"). One table of currency exponents serves
// every service (campaign prices, AI answers that must state the exact price).

#include <cstdint>
#include <string>
#include <string_view>

#include "salesos/core/status.h"

namespace salesos {

inline constexpr char kDefaultCurrency[] = "USD";
// 10^15 minor units: beyond any product price, and exact in a double when shown in major units.
inline constexpr int64_t kMaxMinorUnits = 1'000'000'000'000'000;

// The decimal exponent of an ISO 4217 currency (2 for USD, 0 for JPY, 3 for KWD);
// kInvalidArgument naming `currency_field` for a code that is malformed or not a current ISO 4217
// code. Case-insensitive.
Result<int> CurrencyExponent(std::string_view currency,
                             std::string_view currency_field = "product.currency");
// The upper-case code, or kDefaultCurrency for "".
Result<std::string> NormalizeCurrency(std::string_view currency,
                                      std::string_view currency_field = "product.currency");
// `major` (49.99) as exact minor units (4999) of `currency`. A price with more decimals than the
// currency has ("1.999" USD), a negative, non-finite or too large one is kInvalidArgument naming
// `price_field`.
Result<int64_t> PriceToMinor(double major, const std::string& currency,
                             std::string_view price_field = "product.price",
                             std::string_view currency_field = "product.currency");
// Minor units back to major units for JSON answers (4999 USD → 49.99).
double MinorToMajor(int64_t minor, const std::string& currency);
// "49.99 USD", "1000 JPY": exact, with the currency's decimals, for text shown to people.
std::string FormatPrice(int64_t minor, const std::string& currency);

}  // namespace salesos
