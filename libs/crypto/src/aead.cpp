#include "salesos/crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "key_file.h"
#include "salesos/crypto/encoding.h"
#include "salesos/crypto/hash.h"

namespace salesos::crypto {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

[[noreturn]] void Die(const char* what) {
  // Sealing with valid arguments only fails when OpenSSL cannot allocate; returning an unsealed or
  // empty value instead could store secrets in the clear or lose them.
  std::fprintf(stderr, "salesos::crypto::Aead: %s failed\n", what);
  std::abort();
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// OpenSSL takes int lengths; feed larger inputs in pieces. `update` is EVP_EncryptUpdate or
// EVP_DecryptUpdate; `out` may be null for aad.
template <typename Update>
bool UpdateChunked(Update update, EVP_CIPHER_CTX* ctx, unsigned char* out, std::string_view in) {
  constexpr size_t kChunk = size_t{1} << 30;
  size_t done = 0;
  while (done < in.size()) {
    size_t n = std::min(in.size() - done, kChunk);
    int out_len = 0;
    if (update(ctx, out ? out + done : nullptr, &out_len, Bytes(in) + done, static_cast<int>(n)) !=
            1 ||
        (out && static_cast<size_t>(out_len) != n)) {
      return false;
    }
    done += n;
  }
  return true;
}

}  // namespace

Result<Aead> Aead::FromKey(std::string_view key32) {
  if (key32.size() != kKeyBytes) {
    return InvalidArgument("AES-256-GCM key must be " + std::to_string(kKeyBytes) + " bytes, got " +
                           std::to_string(key32.size()));
  }
  Aead aead;
  aead.keys_.emplace_back();
  std::copy(key32.begin(), key32.end(), aead.keys_[0].begin());
  return aead;
}

Result<Aead> Aead::FromKeys(std::string_view current32,
                            const std::vector<std::string>& previous32) {
  if (current32.size() != kKeyBytes) {
    return InvalidArgument("current AES-256-GCM key must be " + std::to_string(kKeyBytes) +
                           " bytes, got " + std::to_string(current32.size()));
  }
  Aead aead;
  aead.keys_.emplace_back();
  std::copy(current32.begin(), current32.end(), aead.keys_[0].begin());
  for (size_t i = 0; i < previous32.size(); ++i) {
    const std::string& k = previous32[i];
    if (k.size() != kKeyBytes) {
      return InvalidArgument("previous AES-256-GCM key " + std::to_string(i + 1) + " must be " +
                             std::to_string(kKeyBytes) + " bytes, got " +
                             std::to_string(k.size()));
    }
    Key key{};
    std::copy(k.begin(), k.end(), key.begin());
    bool seen = false;
    for (const Key& held : aead.keys_) {
      seen = seen || CRYPTO_memcmp(held.data(), key.data(), kKeyBytes) == 0;
    }
    if (!seen) {
      aead.keys_.push_back(key);
    }
    OPENSSL_cleanse(key.data(), key.size());
  }
  return aead;
}

Aead::~Aead() {
  for (Key& key : keys_) {
    OPENSSL_cleanse(key.data(), key.size());
  }
}

std::string Aead::Seal(std::string_view plaintext, std::string_view aad) const {
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* buf = reinterpret_cast<unsigned char*>(out.data());
  std::string nonce = SecureRandom(kNonceBytes);
  std::copy(nonce.begin(), nonce.end(), buf);

  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, keys_.front().data(),
                                 Bytes(nonce)) != 1) {
    Die("EVP_EncryptInit_ex");
  }
  if (!UpdateChunked(EVP_EncryptUpdate, ctx.get(), nullptr, aad) ||
      !UpdateChunked(EVP_EncryptUpdate, ctx.get(), buf + kNonceBytes, plaintext)) {
    Die("EVP_EncryptUpdate");
  }
  int final_len = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), buf + kNonceBytes + plaintext.size(), &final_len) != 1 ||
      final_len != 0) {
    Die("EVP_EncryptFinal_ex");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          buf + kNonceBytes + plaintext.size()) != 1) {
    Die("EVP_CTRL_GCM_GET_TAG");
  }
  return out;
}

Result<std::string> Aead::Open(std::string_view sealed, std::string_view aad) const {
  size_t key_index = 0;
  return Open(sealed, aad, &key_index);
}

Result<std::string> Aead::Open(std::string_view sealed, std::string_view aad,
                               size_t* key_index) const {
  Result<std::string> first = OpenWith(keys_.front(), sealed, aad);
  if (first.ok() || first.status().code() != Code::kDataLoss || keys_.size() == 1) {
    if (first.ok()) {
      *key_index = 0;
    }
    return first;
  }
  for (size_t i = 1; i < keys_.size(); ++i) {
    Result<std::string> opened = OpenWith(keys_[i], sealed, aad);
    if (opened.ok()) {
      *key_index = i;
      return opened;
    }
  }
  return Status(Code::kDataLoss,
                "sealed value failed authentication under the current key and " +
                    std::to_string(keys_.size() - 1) +
                    " previous key(s) (tampered, wrong aad, or sealed with a key that is not "
                    "configured)");
}

Result<std::string> Aead::OpenWith(const Key& key, std::string_view sealed, std::string_view aad) {
  if (sealed.size() < kOverheadBytes) {
    return InvalidArgument("sealed value is " + std::to_string(sealed.size()) +
                           " bytes, shorter than nonce and tag (" + std::to_string(kOverheadBytes) +
                           ")");
  }
  std::string_view nonce = sealed.substr(0, kNonceBytes);
  std::string_view ciphertext = sealed.substr(kNonceBytes, sealed.size() - kOverheadBytes);
  std::string_view tag = sealed.substr(sealed.size() - kTagBytes);

  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), Bytes(nonce)) != 1) {
    return Internal("cannot start AES-256-GCM");
  }
  std::string plaintext(ciphertext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  // The tag is an input to EVP_DecryptFinal_ex, which compares it in constant time.
  std::string tag_copy(tag);
  if (!UpdateChunked(EVP_DecryptUpdate, ctx.get(), nullptr, aad) ||
      !UpdateChunked(EVP_DecryptUpdate, ctx.get(), out, ciphertext) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag_copy.data()) != 1) {
    return Internal("AES-256-GCM decryption failed");
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out + ciphertext.size(), &final_len) != 1) {
    // Unauthenticated plaintext must not linger in memory any more than reach the caller.
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return Status(Code::kDataLoss,
                  "sealed value failed authentication (tampered, wrong key or wrong aad)");
  }
  return plaintext;
}

namespace {

// The key in a key file's text: base64 with any line breaks and indentation, of n_bytes bytes.
Result<std::string> DecodeKeyText(const std::string& path, Result<std::string> text,
                                  size_t n_bytes) {
  if (!text.ok()) {
    return text.status();
  }
  // Tolerate the line breaks and indentation that editors and `base64` add.
  std::string compact;
  for (char c : *text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      compact += c;
    }
  }
  OPENSSL_cleanse(text->data(), text->size());
  auto key = Base64Decode(compact);
  OPENSSL_cleanse(compact.data(), compact.size());
  if (!key.ok()) {
    return InvalidArgument("key file " + path + " is not base64: " + key.status().message());
  }
  if (key->size() != n_bytes) {
    return InvalidArgument("key file " + path + " holds a " + std::to_string(key->size()) +
                           "-byte key, want " + std::to_string(n_bytes) + " bytes");
  }
  return key;
}

}  // namespace

Result<std::string> LoadOrCreateKeyFile(const std::string& path, size_t n_bytes) {
  if (n_bytes == 0) {
    return InvalidArgument("key file " + path + ": a key must be at least one byte");
  }
  return DecodeKeyText(path, internal::LoadOrCreateFile(path, [n_bytes]() -> Result<std::string> {
                         return Base64Encode(SecureRandom(n_bytes)) + "\n";
                       }),
                       n_bytes);
}

Result<std::string> LoadKeyFile(const std::string& path, size_t n_bytes) {
  if (n_bytes == 0) {
    return InvalidArgument("key file " + path + ": a key must be at least one byte");
  }
  return DecodeKeyText(path, internal::ReadExistingFile(path), n_bytes);
}

}  // namespace salesos::crypto
