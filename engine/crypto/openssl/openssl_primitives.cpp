// OpenSSL 3 backend: SHA-256, the CSPRNG, public key import and ES256 verification.

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "der_signature.h"
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

EvpPkeyPtr MakeEvpKey(const UncompressedPoint& point, const BIGNUM* private_key) {
  ParamBuildPtr build(OSSL_PARAM_BLD_new());
  if (!build) return nullptr;
  bool pushed =
      OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
      OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) &&
      (private_key == nullptr ||
       OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_PRIV_KEY, private_key));
  if (!pushed) return nullptr;
  ParamsPtr params(OSSL_PARAM_BLD_to_param(build.get()));
  if (!params) return nullptr;

  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  int selection = private_key ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, selection, params.get()) <= 0) {
    ERR_clear_error();
    return nullptr;
  }
  return EvpPkeyPtr(key);
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

ErrorCode CheckP256PublicKey(const P256PublicKey& key) {
  return internal::MakeEvpKey(internal::EncodePoint(key), nullptr) ? ErrorCode::kOk
                                                                   : ErrorCode::kInvalidKey;
}

ErrorCode VerifyEs256(const P256PublicKey& key, std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t> signature) {
  if (signature.size() != kEs256SignatureSize) return ErrorCode::kInvalidSignatureLength;

  internal::EvpPkeyPtr pkey = internal::MakeEvpKey(internal::EncodePoint(key), nullptr);
  if (!pkey) return ErrorCode::kInvalidKey;

  std::array<std::uint8_t, internal::kMaxDerSignatureSize> der;
  std::size_t der_size =
      internal::RawToDerSignature(signature.first<kEs256SignatureSize>(), &der);
  Sha256Digest digest = Sha256(message);

  internal::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) <= 0) {
    ERR_clear_error();
    return ErrorCode::kCryptoFailure;
  }
  int verified = EVP_PKEY_verify(ctx.get(), der.data(), der_size, digest.data(), digest.size());
  ERR_clear_error();
  return verified == 1 ? ErrorCode::kOk : ErrorCode::kSignatureMismatch;
}

}  // namespace dpopfleet
