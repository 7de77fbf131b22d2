#pragma once

// Ed25519 signing keys (RFC 8032) on OpenSSL 3, used to sign and verify JWTs.
//
// An Ed25519Key shares one immutable EVP_PKEY between its copies, so copying is cheap and any
// number of threads may Sign and Verify with the same key at once (each call uses its own
// EVP_MD_CTX).

#include <memory>
#include <string>
#include <string_view>

#include "salesos/core/status.h"

typedef struct evp_pkey_st EVP_PKEY;  // NOLINT: OpenSSL's own spelling, to avoid its headers here

namespace salesos::crypto {

class Ed25519Key {
 public:
  static constexpr size_t kPublicBytes = 32;
  static constexpr size_t kSignatureBytes = 64;

  // A new private key from OpenSSL's CSPRNG.
  static Result<Ed25519Key> Generate();
  // An unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") holding an Ed25519 key.
  // kInvalidArgument for anything else, including encrypted PEMs (never prompts for a passphrase).
  static Result<Ed25519Key> FromPrivatePem(std::string_view pem);
  // A verify-only key from its 32 raw public bytes; kInvalidArgument for any other length.
  static Result<Ed25519Key> FromPublicRaw(std::string_view raw32);
  // A verify-only key from a SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----", as
  // `openssl pkey -pubout` writes it); kInvalidArgument for anything else.
  static Result<Ed25519Key> FromPublicPem(std::string_view pem);

  // PKCS#8 PEM of the private key; "" for a verify-only key.
  std::string PrivatePem() const;
  // The 32 raw public key bytes.
  std::string PublicRaw() const;
  // SubjectPublicKeyInfo PEM of the public key.
  std::string PublicPem() const;
  bool HasPrivate() const { return has_private_; }

  // The 64-byte signature of `data`. Precondition: HasPrivate(); a verify-only key asserts in debug
  // builds and returns "" (which no Verify accepts) in release.
  std::string Sign(std::string_view data) const;
  // True only for a valid 64-byte signature of `data` by this key.
  bool Verify(std::string_view data, std::string_view sig) const;

 private:
  Ed25519Key(std::shared_ptr<EVP_PKEY> pkey, bool has_private)
      : pkey_(std::move(pkey)), has_private_(has_private) {}

  std::shared_ptr<EVP_PKEY> pkey_;  // never null
  bool has_private_ = false;
};

// Reads the PKCS#8 PEM at `pem_path`; if the file does not exist, generates a key and writes it
// there with mode 0600, atomically (a concurrent creator either wins or reads the winner's key). An
// existing file that is not an Ed25519 private key is an error (kInvalidArgument naming the path),
// never overwritten. I/O failures are kInternal.
Result<Ed25519Key> LoadOrCreateSigningKey(const std::string& pem_path);

// Reads an existing PEM file holding an Ed25519 private key (PKCS#8) or public key (SPKI), for keys
// that only verify (a previous signing key kept through a rotation); only the public half is kept.
// Never creates the file: kNotFound naming the path when it is missing, kInvalidArgument naming it
// when it holds anything else.
Result<Ed25519Key> LoadVerifyingKey(const std::string& pem_path);

}  // namespace salesos::crypto
