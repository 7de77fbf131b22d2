#include "salesos/crypto/ed25519.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cassert>
#include <climits>

#include "key_file.h"

namespace salesos::crypto {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* p) { return std::shared_ptr<EVP_PKEY>(p, PkeyFree()); }

// OpenSSL queues errors per thread; left behind, a stale one would be reported by whatever OpenSSL
// call this thread makes next, far from its cause.
void ClearErrors() { ERR_clear_error(); }

// Refuses to decrypt: the default callback would prompt on the terminal for a passphrase.
int NoPassphrase(char*, int, int, void*) { return -1; }

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

Result<Ed25519Key> Ed25519Key::Generate() {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    ClearErrors();
    return Internal("cannot generate an Ed25519 key");
  }
  return Ed25519Key(Own(raw), true);
}

Result<Ed25519Key> Ed25519Key::FromPrivatePem(std::string_view pem) {
  if (pem.size() > static_cast<size_t>(INT_MAX)) {
    return InvalidArgument("not an Ed25519 private key PEM: too large");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    return Internal("cannot allocate a BIO");
  }
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr);
  ClearErrors();
  if (raw == nullptr) {
    return InvalidArgument("not an unencrypted PKCS#8 private key PEM");
  }
  auto pkey = Own(raw);
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return InvalidArgument("PEM holds a private key that is not Ed25519");
  }
  return Ed25519Key(std::move(pkey), true);
}

Result<Ed25519Key> Ed25519Key::FromPublicRaw(std::string_view raw32) {
  if (raw32.size() != kPublicBytes) {
    return InvalidArgument("Ed25519 public key must be 32 bytes, got " +
                           std::to_string(raw32.size()));
  }
  EVP_PKEY* raw =
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(raw32), raw32.size());
  if (raw == nullptr) {
    ClearErrors();
    return InvalidArgument("not an Ed25519 public key");
  }
  return Ed25519Key(Own(raw), false);
}

Result<Ed25519Key> Ed25519Key::FromPublicPem(std::string_view pem) {
  if (pem.size() > static_cast<size_t>(INT_MAX)) {
    return InvalidArgument("not an Ed25519 public key PEM: too large");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    return Internal("cannot allocate a BIO");
  }
  EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr);
  ClearErrors();
  if (raw == nullptr) {
    return InvalidArgument("not a public key PEM");
  }
  auto pkey = Own(raw);
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return InvalidArgument("PEM holds a public key that is not Ed25519");
  }
  return Ed25519Key(std::move(pkey), false);
}

std::string Ed25519Key::PublicPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) != 1) {
    ClearErrors();
    return "";
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string Ed25519Key::PrivatePem() const {
  if (!has_private_) {
    return "";
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted with null cipher.
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    ClearErrors();
    return "";
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  // The memory BIO's buffer held the private key; wipe it before it is freed.
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return pem;
}

std::string Ed25519Key::PublicRaw() const {
  std::string out(kPublicBytes, '\0');
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey_.get(), reinterpret_cast<unsigned char*>(out.data()),
                                  &len) != 1 ||
      len != kPublicBytes) {
    ClearErrors();
    return "";
  }
  return out;
}

std::string Ed25519Key::Sign(std::string_view data) const {
  assert(has_private_ && "Ed25519Key::Sign on a verify-only key");
  if (!has_private_) {
    return "";
  }
  // A fresh context per call: contexts are not thread-safe, the key is.
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(kSignatureBytes, '\0');
  size_t sig_len = sig.size();
  // Ed25519 hashes internally (PureEdDSA), hence the null digest and the one-shot call.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len, Bytes(data),
                     data.size()) != 1 ||
      sig_len != kSignatureBytes) {
    ClearErrors();
    return "";
  }
  return sig;
}

bool Ed25519Key::Verify(std::string_view data, std::string_view sig) const {
  if (sig.size() != kSignatureBytes) {
    return false;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), Bytes(sig), sig.size(), Bytes(data), data.size()) == 1;
  if (!ok) {
    ClearErrors();
  }
  return ok;
}

Result<Ed25519Key> LoadOrCreateSigningKey(const std::string& pem_path) {
  auto pem = internal::LoadOrCreateFile(pem_path, []() -> Result<std::string> {
    auto key = Ed25519Key::Generate();
    if (!key.ok()) {
      return key.status();
    }
    std::string pem = key->PrivatePem();
    if (pem.empty()) {
      return Internal("cannot encode the new Ed25519 key as PEM");
    }
    return pem;
  });
  if (!pem.ok()) {
    return pem.status();
  }
  auto key = Ed25519Key::FromPrivatePem(*pem);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!key.ok()) {
    return InvalidArgument("signing key file " + pem_path + ": " + key.status().message());
  }
  return key;
}

Result<Ed25519Key> LoadVerifyingKey(const std::string& pem_path) {
  auto pem = internal::ReadExistingFile(pem_path);
  if (!pem.ok()) {
    return pem.status();
  }
  bool is_public = pem->find("-----BEGIN PUBLIC KEY-----") != std::string::npos;
  auto key = is_public ? Ed25519Key::FromPublicPem(*pem) : Ed25519Key::FromPrivatePem(*pem);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!key.ok()) {
    return InvalidArgument("key file " + pem_path + ": " + key.status().message() +
                           " (want an Ed25519 private or public key PEM)");
  }
  // Only the public half is needed to verify; drop the private one.
  return Ed25519Key::FromPublicRaw(key->PublicRaw());
}

}  // namespace salesos::crypto
