// OpenSSL 3 backend: SHA-256 and the CSPRNG (openssl_verify.cpp checks keys and verifies).

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "openssl/openssl_handles.h"

namespace dpopfleet {
namespace internal {

std::string DrainOpenSslErrors() {
  unsigned long first = ERR_get_error();
  ERR_clear_error();
  if (first == 0) return "no OpenSSL error recorded";
  char text[256];
  ERR_error_string_n(first, text, sizeof(text));
  return text;
}

const EC_GROUP* P256Group() {
  static const EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  return group;
}

}  // namespace internal

const char* CryptoBackendName() {
  static const std::string name = std::string("OpenSSL ") + OpenSSL_version(OPENSSL_VERSION_STRING);
  return name.c_str();
}

Sha256Digest Sha256(std::span<const std::uint8_t> data) {
  // Fetching the digest once and keeping one context per thread avoids OpenSSL 3's
  // per-call algorithm lookup and context allocation, which cost as much as hashing a
  // proof's few hundred bytes.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local internal::EvpMdCtxPtr ctx(EVP_MD_CTX_new());

  Sha256Digest digest{};
  unsigned int length = 0;
  if (!sha256 || !ctx || EVP_DigestInit_ex2(ctx.get(), sha256, nullptr) <= 0 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) <= 0 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) <= 0) {
    // SHA-256 fails only if OpenSSL cannot allocate; there is no meaningful digest to
    // return, and continuing would sign or compare garbage.
    OPENSSL_die("SHA-256 failed", __FILE__, __LINE__);
  }
  return digest;
}

void SecureClear(std::span<std::uint8_t> bytes) { OPENSSL_cleanse(bytes.data(), bytes.size()); }

ErrorCode RandomBytes(std::span<std::uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    ERR_clear_error();
    return ErrorCode::kCryptoFailure;
  }
  return ErrorCode::kOk;
}

namespace internal {

ErrorCode RandomPrivateBytes(std::span<std::uint8_t> out) {
  if (RAND_priv_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    ERR_clear_error();
    return ErrorCode::kCryptoFailure;
  }
  return ErrorCode::kOk;
}

}  // namespace internal

}  // namespace dpopfleet
