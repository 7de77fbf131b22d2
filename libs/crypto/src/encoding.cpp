#include "salesos/crypto/encoding.h"

#include <array>
#include <cstdint>

namespace salesos::crypto {
namespace {

constexpr char kStdAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr int8_t kInvalid = -1;

using DecodeTable = std::array<int8_t, 256>;

constexpr DecodeTable MakeTable(const char* alphabet) {
  DecodeTable t{};
  for (auto& v : t) {
    v = kInvalid;
  }
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  }
  return t;
}

constexpr DecodeTable kStdTable = MakeTable(kStdAlphabet);
constexpr DecodeTable kUrlTable = MakeTable(kUrlAlphabet);

std::string Encode(std::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) {
      out += "==";
    }
  } else if (rest == 2) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) {
      out += '=';
    }
  }
  return out;
}

// Decodes unpadded base64 text; `what` names the encoding in error messages.
Result<std::string> DecodeUnpadded(std::string_view text, const DecodeTable& table,
                                   const char* what) {
  if (text.size() % 4 == 1) {
    return InvalidArgument(std::string("invalid ") + what + ": impossible length");
  }
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int8_t v = table[static_cast<unsigned char>(c)];
    if (v == kInvalid) {
      return InvalidArgument(std::string("invalid ") + what + ": unexpected character");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Non-zero leftover bits would give a second spelling of the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return InvalidArgument(std::string("invalid ") + what + ": non-canonical final character");
  }
  return out;
}

// Splits off trailing '=' and checks that, if there are any, they pad to a multiple of 4.
Result<std::string_view> StripPadding(std::string_view text, bool required, const char* what) {
  size_t n_pad = 0;
  while (n_pad < text.size() && text[text.size() - 1 - n_pad] == '=') {
    ++n_pad;
  }
  if (n_pad == 0 && !required) {
    return text;
  }
  if (n_pad > 2 || text.size() % 4 != 0) {
    return InvalidArgument(std::string("invalid ") + what + ": bad padding");
  }
  std::string_view body = text.substr(0, text.size() - n_pad);
  // "QQ=" style: the padding must be exactly what the unpadded length needs.
  if ((body.size() % 4 == 0 && n_pad != 0) || (body.size() % 4 == 2 && n_pad != 2) ||
      (body.size() % 4 == 3 && n_pad != 1)) {
    return InvalidArgument(std::string("invalid ") + what + ": bad padding");
  }
  return body;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) { return Encode(bytes, kUrlAlphabet, false); }

Result<std::string> Base64UrlDecode(std::string_view text) {
  auto body = StripPadding(text, /*required=*/false, "base64url");
  if (!body.ok()) {
    return body.status();
  }
  return DecodeUnpadded(*body, kUrlTable, "base64url");
}

std::string Base64Encode(std::string_view bytes) { return Encode(bytes, kStdAlphabet, true); }

Result<std::string> Base64Decode(std::string_view text) {
  auto body = StripPadding(text, /*required=*/true, "base64");
  if (!body.ok()) {
    return body.status();
  }
  return DecodeUnpadded(*body, kStdTable, "base64");
}

Result<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return InvalidArgument("invalid hex: odd length");
  }
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return InvalidArgument("invalid hex: unexpected character");
    }
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

}  // namespace salesos::crypto
